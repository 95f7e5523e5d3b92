"""The raw per-request log, a debug option (REQUEST_LOG=1): every request a process sent, kept in compact arrays,
saved at test stop and read back by load_logs. The run's figures never come from it: they come from the HDR
histograms and counts of loadtests/client_figures.py, the one client-figures path."""
from __future__ import annotations

import os
from array import array
from pathlib import Path

import numpy as np

from loadtests import clock

FILE_GLOB = "client_requests.*.npz"


class RequestLog:
    """Timestamps, response times and outcomes of this process's requests."""

    def __init__(self):
        self.names: list[str] = []
        self._index: dict[str, int] = {}
        self.ts = array("d")
        self.rt_ms = array("d")
        self.name_idx = array("h")
        self.ok = array("b")
        self.status = array("h")  # HTTP status; 0 when no response came back (connection refused, reset...)

    def add(self, name: str, response_time_ms: float, ok: bool, status: int = 0, ts: float | None = None) -> None:
        idx = self._index.get(name)
        if idx is None:
            idx = self._index[name] = len(self.names)
            self.names.append(name)
        # The event fires when the response is complete: its start is now minus the response time.
        self.ts.append(clock.now() if ts is None else ts)
        self.rt_ms.append(response_time_ms)
        self.name_idx.append(idx)
        self.ok.append(ok)
        self.status.append(status)

    def save(self, run_dir: Path) -> Path:
        path = Path(run_dir) / f"client_requests.{os.getpid()}.npz"
        np.savez_compressed(path, ts=np.frombuffer(self.ts, dtype=float), rt_ms=np.frombuffer(self.rt_ms, dtype=float),
                            name_idx=np.frombuffer(self.name_idx, dtype=np.int16), ok=np.frombuffer(self.ok, dtype=np.int8),
                            status=np.frombuffer(self.status, dtype=np.int16), names=np.array(self.names, dtype=str))
        return path


def load_logs(folder: Path) -> dict[str, np.ndarray]:
    """Every process's saved log in folder, merged: ts, rt_ms, name (str), ok, status."""
    parts = sorted(Path(folder).glob(FILE_GLOB))
    if not parts:
        return {"ts": np.array([]), "rt_ms": np.array([]), "name": np.array([], dtype=str), "ok": np.array([], dtype=bool),
                "status": np.array([], dtype=np.int16)}
    ts, rt, name, ok, status = [], [], [], [], []
    for p in parts:
        with np.load(p) as z:
            names = z["names"]
            ts.append(z["ts"])
            rt.append(z["rt_ms"])
            name.append(names[z["name_idx"]] if len(names) else np.array([], dtype=str))
            ok.append(z["ok"].astype(bool))
            status.append(z["status"])
    return {"ts": np.concatenate(ts), "rt_ms": np.concatenate(rt), "name": np.concatenate(name),
            "ok": np.concatenate(ok), "status": np.concatenate(status)}
