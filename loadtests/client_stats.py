"""Client-side figures per stage window, from the request logs every Locust process saved."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from loadtests.requestlog import FILE_GLOB


def load_logs(run_dir: Path) -> dict[str, np.ndarray]:
    """All processes' requests merged: ts, rt_ms, name (str), ok; and per-process CPU samples."""
    parts = sorted(Path(run_dir).glob(FILE_GLOB))
    if not parts:
        return {"ts": np.array([]), "rt_ms": np.array([]), "name": np.array([], dtype=str), "ok": np.array([], dtype=bool),
                "status": np.array([], dtype=np.int16), "cpu": []}
    ts, rt, name, ok, status, cpu = [], [], [], [], [], []
    for p in parts:
        with np.load(p) as z:
            names = z["names"]
            ts.append(z["ts"])
            rt.append(z["rt_ms"])
            name.append(names[z["name_idx"]] if len(names) else np.array([], dtype=str))
            ok.append(z["ok"].astype(bool))
            status.append(z["status"] if "status" in z.files else np.full(len(z["ok"]), -1, dtype=np.int16))
            cpu.append((z["cpu_ts"], z["cpu_s"]))
    return {"ts": np.concatenate(ts), "rt_ms": np.concatenate(rt), "name": np.concatenate(name),
            "ok": np.concatenate(ok), "status": np.concatenate(status), "cpu": cpu}


def _cpu_share(cpu: list, start: float, end: float) -> float | None:
    """CPU seconds the generator processes used per wall second in [start, end] (1.0 = one core)."""
    total = 0.0
    for ts, cs in cpu:
        if len(ts) < 2:
            continue
        total += float(np.interp(end, ts, cs) - np.interp(start, ts, cs))
    return round(total / (end - start), 3) if end > start and cpu else None


def stage_figures(logs: dict, stage: dict, endpoint: str | None = "/predict") -> dict:
    """Count, rate, failures and latency percentiles of one stage's measured window."""
    start, end = stage["measure_from"], stage["end"]
    in_window = (logs["ts"] > start) & (logs["ts"] <= end)
    all_count = int(in_window.sum())
    sel = in_window & (logs["name"] == endpoint) if endpoint else in_window
    rt = logs["rt_ms"][sel]
    seconds = end - start
    out = {
        "requests_all_endpoints": all_count,
        "requests": int(sel.sum()),
        "failures": int((~logs["ok"][sel]).sum()),
        # Requests that got no HTTP answer never reached the server's counters.
        "no_response": int((logs["status"][sel] == 0).sum()),
        "status_200": int((logs["status"][sel] == 200).sum()),
        "rps": round(int(sel.sum()) / seconds, 2) if seconds > 0 else None,
        "rps_all_endpoints": round(all_count / seconds, 2) if seconds > 0 else None,
        "generator_cpu_cores": _cpu_share(logs["cpu"], start, end),
    }
    if len(rt):
        p50, p95, p99 = np.percentile(rt, [50, 95, 99])
        out.update(mean_ms=round(float(rt.mean()), 3), p50_ms=round(float(p50), 3),
                   p95_ms=round(float(p95), 3), p99_ms=round(float(p99), 3), max_ms=round(float(rt.max()), 3))
    return out
