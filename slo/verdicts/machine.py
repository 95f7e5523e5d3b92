"""Whether the machine was slowed during a stage: how much of the API's cores went to other work (another process,
or the hypervisor's steal), from what the harness sampled each second while the load ran (machine.json). A stage
whose API shared its core measured the machine, not the API: it sets neither end of the capacity."""
from __future__ import annotations

from common.sample import mean_interval

SLOWED_SHARE = 0.10   # of the API's cores taken by other work, beyond noise: the stage ran on a slowed machine


def _deltas(samples: list[dict], start: float, end: float) -> list[tuple[float, float, float]]:
    """(other work, steal, seconds) per pair of consecutive samples inside [start, end], in core-seconds."""
    inside = [s for s in samples if start <= s["t"] <= end and s.get("api_cpu_s") is not None]
    out = []
    for a, b in zip(inside, inside[1:]):
        dt = b["t"] - a["t"]
        if dt <= 0:
            continue
        busy = sum(b["cores"][c][0] - a["cores"][c][0] for c in b["cores"])
        steal = sum(b["cores"][c][1] - a["cores"][c][1] for c in b["cores"])
        out.append((max(0.0, busy - (b["api_cpu_s"] - a["api_cpu_s"])), steal, dt))
    return out


def stage_machine(machine: dict | None, start: float, end: float, level: float) -> dict | None:
    """The share of the API's cores other work took in the window (mean over its seconds, with a t interval over
    them), the hypervisor's steal among it, and whether the stage ran on a slowed machine; None without samples."""
    if not machine or not machine.get("samples"):
        return None
    cores = max(1, len(machine.get("api_cpus") or []) or 1)
    deltas = _deltas(machine["samples"], start, end)
    if len(deltas) < 3:
        return None
    shares = [(other + steal) / (cores * dt) for other, steal, dt in deltas]
    k = len(shares)
    mean, low, high = mean_interval(shares, level)
    steal = sum(s for _, s, _ in deltas) / sum(cores * dt for *_, dt in deltas)
    return {"taken_share": round(mean, 4), "low": round(max(0.0, low), 4), "high": round(high, 4),
            "steal_share": round(steal, 4), "seconds": k, "slowed": low > SLOWED_SHARE,
            "method": f"each second, the API's cores' busy time less the API's own CPU time, plus steal; t interval "
                      f"over {k} seconds; slowed when its low end is over {SLOWED_SHARE:.0%}"}


def slowed_sentences(stages: list[dict]) -> list[str]:
    """One sentence per stage run on a slowed machine."""
    out = []
    for s in stages:
        m = s.get("machine") or {}
        if m.get("slowed"):
            out.append(f"Stage {s['name']} ran on a slowed machine: other work took {m['taken_share']:.0%} "
                       f"[{m['low']:.0%}, {m['high']:.0%}] of the API's core(s)"
                       + (f" ({m['steal_share']:.0%} stolen by the hypervisor)" if m["steal_share"] >= 0.01 else "")
                       + "; it measured the machine, not the API, and sets neither end of the capacity.")
    return out
