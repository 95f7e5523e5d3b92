"""The client side of the run second by second: requests, failures, arrivals, latency percentiles, generator CPU
and users. Each process keeps, per second, counts and a sparse log-binned latency histogram; the master adds
them up exactly (bins add), so per-second percentiles are the whole generator's, whatever the worker count.

A bin is 2 % wide: a per-second percentile is within 1 % of the exact one (the per-stage HDR figures are exact).
"""
from __future__ import annotations

import math

STEP = math.log(1.02)


def bin_of(ms: float) -> int:
    return int(math.log(max(ms, 1e-3) * 1000) / STEP)


def value_of(b: int) -> float:
    """The bin's middle, in ms."""
    return math.exp((b + 0.5) * STEP) / 1000


def percentile(bins: dict, q: float) -> float | None:
    """The q-quantile (0..1) of a sparse {bin: count} histogram, in ms."""
    total = sum(bins.values())
    if not total:
        return None
    rank, seen = q * total, 0
    for b in sorted(bins, key=int):
        seen += bins[b]
        if seen >= rank:
            return value_of(int(b))
    return value_of(int(max(bins, key=int)))


class SecondRecorder:
    """One process's seconds since its last report: {second: [requests, failures, arrivals, {bin: count}]}."""

    def __init__(self):
        self.seconds: dict[int, list] = {}
        self.cpu: dict[int, float] = {}

    def _at(self, ts: float) -> list:
        s = self.seconds.get(int(ts))
        if s is None:
            s = self.seconds[int(ts)] = [0, 0, 0, {}]
        return s

    def add(self, ts: float, ms: float, ok: bool) -> None:
        s = self._at(ts)
        s[0] += 1
        s[1] += not ok
        b = bin_of(ms)
        s[3][b] = s[3].get(b, 0) + 1

    def arrival(self, ts: float) -> None:
        self._at(ts)[2] += 1

    def add_cpu(self, ts: float, cpu_s: float) -> None:
        self.cpu[int(ts)] = self.cpu.get(int(ts), 0.0) + cpu_s

    def delta(self) -> dict:
        out = {"seconds": {str(k): [n, f, a, {str(b): c for b, c in bins.items()}]
                           for k, (n, f, a, bins) in self.seconds.items()},
               "cpu": {str(k): round(v, 4) for k, v in self.cpu.items()}}
        self.seconds, self.cpu = {}, {}
        return out


class SeriesMerger:
    """The master's sum of every process's seconds, its CPU per second by process, and the user count it ran."""

    def __init__(self):
        self.seconds: dict[str, list] = {}
        self.cpu: dict[str, dict[str, float]] = {}
        self.users: dict[str, int] = {}

    def add(self, worker: str, delta: dict) -> None:
        for second, (n, f, a, bins) in delta.get("seconds", {}).items():
            s = self.seconds.setdefault(second, [0, 0, 0, {}])
            s[0] += n
            s[1] += f
            s[2] += a
            for b, c in bins.items():
                s[3][b] = s[3].get(b, 0) + c
        mine = self.cpu.setdefault(worker, {})
        for second, cpu_s in delta.get("cpu", {}).items():
            mine[second] = round(mine.get(second, 0.0) + cpu_s, 4)

    def sample_users(self, ts: float, users: int) -> None:
        self.users[str(int(ts))] = users

    def doc(self) -> dict:
        return {"seconds": self.seconds, "cpu": self.cpu, "users": self.users}


def series(doc: dict | None, wall_start: float, stopped_at: float) -> dict | None:
    """Per-second arrays from a saved client_stats.json's "series", t in seconds since the run started:
    req/s answered or not, failures/s, arrivals/s (open model), p50/p95/p99 ms, users, CPU cores per process."""
    if not doc:
        return None
    ts = [str(s) for s in range(int(wall_start), int(stopped_at) + 1)]
    rows = [doc["seconds"].get(s) for s in ts]  # None: a second without a request
    counts = [row or [0, 0, 0, {}] for row in rows]
    out = {"t": [int(s) - wall_start for s in ts],
           "requests": [c[0] for c in counts],
           "failures": [c[1] for c in counts],
           "arrivals": [c[2] for c in counts],
           "users": [doc.get("users", {}).get(s) for s in ts],
           "cpu_cores": {w: [round(c[s], 3) if s in c else None for s in ts]
                         for w, c in sorted(doc.get("cpu", {}).items()) if c}}
    for q in (0.5, 0.95, 0.99):
        out[f"p{q * 100:g}_ms"] = [None if row is None else _round(percentile(row[3], q)) for row in rows]
    if not any(out["arrivals"]):
        del out["arrivals"]
    return out


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 3)
