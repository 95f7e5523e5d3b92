"""Every request the generator sent, kept in compact arrays and saved per process at test stop."""
from __future__ import annotations

import os
from array import array
from pathlib import Path

import numpy as np
import psutil

from loadtests import clock

FILE_GLOB = "client_requests.*.npz"


class RequestLog:
    """Timestamps, response times and outcomes of this process's requests, plus its CPU time."""

    def __init__(self):
        self.names: list[str] = []
        self._index: dict[str, int] = {}
        self.ts = array("d")
        self.rt_ms = array("d")
        self.name_idx = array("h")
        self.ok = array("b")
        self.status = array("h")  # HTTP status; 0 when no response came back (connection refused, reset...)
        self.cpu_ts = array("d")
        self.cpu_s = array("d")
        self._proc = psutil.Process()

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

    def sample_cpu(self) -> None:
        t = self._proc.cpu_times()
        self.cpu_ts.append(clock.now())
        self.cpu_s.append(t.user + t.system)

    def save(self, run_dir: Path) -> Path:
        path = Path(run_dir) / f"client_requests.{os.getpid()}.npz"
        np.savez_compressed(path, ts=np.frombuffer(self.ts, dtype=float), rt_ms=np.frombuffer(self.rt_ms, dtype=float),
                            name_idx=np.frombuffer(self.name_idx, dtype=np.int16), ok=np.frombuffer(self.ok, dtype=np.int8),
                            status=np.frombuffer(self.status, dtype=np.int16),
                            cpu_ts=np.frombuffer(self.cpu_ts, dtype=float), cpu_s=np.frombuffer(self.cpu_s, dtype=float),
                            names=np.array(self.names, dtype=str))
        return path
