"""Client figures per stage without a shared disk: each Locust process keeps, per stage and endpoint, an HDR
histogram and counts by outcome, plus its own CPU per stage and its seconds (loadtests/client_series.py); it
sends what is new to the master through Locust's messaging, and the master merges it exactly (HDR histograms
add up).

Memory stays flat per stage however long the run: a fixed-size histogram per stage and endpoint; the master's
seconds grow by a few counts and a sparse histogram a second.
"""
from __future__ import annotations

import math
import os
import socket
from pathlib import Path

import psutil
from hdrh.histogram import HdrHistogram

from loadtests import clock
from loadtests.client_series import SecondRecorder, SeriesMerger
from loadtests.profile import Profile
from loadtests.windows import StageWindow, window_at
from runfolder import files

MAX_US = 120_000_000   # two minutes, in microseconds
SATURATED = 0.85       # a generator process this busy (cores) delays its own requests: its figures are its own
LAG_BOUND_MS = 10.0    # p99 of its event loop's lag, or of the open model's send lag, past which a process is too
                       # late to time the API: 10 % of a 100 ms objective
STALL_CPU = 0.5        # late from a process this idle: the machine paused it
_COUNTS = ("requests", "failures", "no_response", "status_200")


def _hdr() -> HdrHistogram:
    return HdrHistogram(1, MAX_US, 3)


class StageRecorder:
    """One Locust process's figures since its last report, attributed to stages by the run's wall-clock start."""

    def __init__(self, profile: Profile, worker: str | None = None):
        self.windows: list[StageWindow] = profile.windows()
        self.names = [w.name for w in self.windows]
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.wall_start: float | None = None
        self._proc = psutil.Process()
        self._last_cpu = self._cpu_now()
        self._reset()

    def _reset(self) -> None:
        self.hdr: dict[tuple[int, str], HdrHistogram] = {}
        self.counts: dict[tuple[int, str], dict[str, int]] = {}
        self.seconds = SecondRecorder()
        self.cpu: dict[int, list[float]] = {}   # stage -> [cpu seconds, wall seconds] inside its measured window
        self.arrivals: dict[int, list[int]] = {}  # open model: stage -> [sent, dropped]
        self.lags: dict[tuple[int, str], HdrHistogram] = {}  # (stage, "loop" or "send") -> lag in microseconds
        self.sender_errors: dict[int, int] = {}  # open model: arrivals counted as sent whose sender raised

    def lag(self, kind: str, seconds: float, ts: float | None = None) -> None:
        """The process's own lateness: its event loop waking late (loop), or a request sent after its intended
        start (send, open model); attributed to the measured window it fell in."""
        if self.wall_start is None:
            return
        w = window_at(self.windows, (clock.now() if ts is None else ts) - self.wall_start, measured=True)
        if w is None:
            return
        h = self.lags.get((w.index, kind))
        if h is None:
            h = self.lags[(w.index, kind)] = _hdr()
        h.record_value(max(1, min(int(seconds * 1e6), MAX_US)))

    def sender_error(self) -> None:
        w = None if self.wall_start is None else window_at(self.windows, clock.now() - self.wall_start, measured=True)
        if w is not None:
            self.sender_errors[w.index] = self.sender_errors.get(w.index, 0) + 1

    def count_arrival(self, stage: int, dropped: bool) -> None:
        acc = self.arrivals.setdefault(stage, [0, 0])
        acc[1 if dropped else 0] += 1
        self.seconds.arrival(clock.now())

    def _cpu_now(self) -> tuple[float, float]:
        t = self._proc.cpu_times()
        return clock.now(), t.user + t.system

    def add(self, name: str, response_time_ms: float, ok: bool, status: int, ts: float | None = None) -> None:
        ts = clock.now() if ts is None else ts
        self.seconds.add(ts, response_time_ms, ok)
        if self.wall_start is None:
            return
        w = window_at(self.windows, ts - self.wall_start, measured=True)
        if w is None:
            return
        key = (w.index, name)
        h = self.hdr.get(key)
        if h is None:
            h = self.hdr[key] = _hdr()
            self.counts[key] = dict.fromkeys(_COUNTS, 0)
        h.record_value(max(1, min(int(response_time_ms * 1000), MAX_US)))
        c = self.counts[key]
        c["requests"] += 1
        c["failures"] += not ok
        c["no_response"] += status == 0
        c["status_200"] += status == 200

    def sample_cpu(self) -> None:
        """Attribute the CPU used since the last sample to the stage whose measured window it fell in."""
        now, cpu = self._cpu_now()
        (then, cpu_then), self._last_cpu = self._last_cpu, (now, cpu)
        if now <= then:
            return
        self.seconds.add_cpu((then + now) / 2, cpu - cpu_then)
        if self.wall_start is None:
            return
        w = window_at(self.windows, (then + now) / 2 - self.wall_start, measured=True)
        if w is not None:
            acc = self.cpu.setdefault(w.index, [0.0, 0.0])
            acc[0] += cpu - cpu_then
            acc[1] += now - then

    def delta(self) -> dict:
        """What is new since the last call, as JSON-able data for the master; the accumulators start afresh."""
        out = {"worker": self.worker,
               "stages": {f"{self.names[i]}|{name}": {"hdr": h.encode().decode(), **self.counts[(i, name)]}
                          for (i, name), h in self.hdr.items()},
               **self.seconds.delta(),
               "stage_cpu": {self.names[i]: v for i, v in self.cpu.items()},
               "arrivals": {self.names[i]: v for i, v in self.arrivals.items()},
               "lags": {f"{self.names[i]}|{kind}": h.encode().decode() for (i, kind), h in self.lags.items()},
               "sender_errors": {self.names[i]: n for i, n in self.sender_errors.items()}}
        self._reset()
        return out


def _stage_of(worker: dict, stage: str) -> dict:
    return worker.setdefault(stage, {"requests": 0, "cpu_s": 0.0, "wall_s": 0.0})


class Merger:
    """The master's (or the only process's) merge of every process's deltas: exact, whatever their order."""

    def __init__(self):
        self.hdr: dict[str, HdrHistogram] = {}
        self.counts: dict[str, dict[str, int]] = {}
        self.series = SeriesMerger()
        self.workers: dict[str, dict[str, dict]] = {}   # worker -> stage -> {requests, cpu_s, wall_s}
        self.arrivals: dict[str, list[int]] = {}        # stage -> [sent, dropped]
        self.finals: dict | None = None                 # master: {expected, received} worker finals
        self.lags: dict[tuple[str, str, str], HdrHistogram] = {}  # (worker, stage, kind) -> lag histogram
        self.sender_errors: dict[str, int] = {}         # stage -> arrivals whose sender raised
        self.clocks: dict[str, dict] = {}               # worker -> its clock against the master's, corrected

    def add(self, delta: dict) -> None:
        worker = self.workers.setdefault(delta["worker"], {})
        for key, part in delta["stages"].items():
            h = self.hdr.get(key)
            if h is None:
                h = self.hdr[key] = _hdr()
                self.counts[key] = dict.fromkeys(_COUNTS, 0)
            h.add(HdrHistogram.decode(part["hdr"]))
            for c in _COUNTS:
                self.counts[key][c] += part[c]
            _stage_of(worker, key.split("|", 1)[0])["requests"] += part["requests"]
        self.series.add(delta["worker"], delta)
        for stage, (sent, dropped) in delta.get("arrivals", {}).items():
            acc = self.arrivals.setdefault(stage, [0, 0])
            acc[0] += sent
            acc[1] += dropped
        if delta.get("clock"):
            self.clocks[delta["worker"]] = {"offset_ms": round(1000 * delta["clock"]["offset_s"], 3),
                                            "uncertainty_ms": round(500 * delta["clock"]["rtt_s"], 3)}
        for stage, n in delta.get("sender_errors", {}).items():
            self.sender_errors[stage] = self.sender_errors.get(stage, 0) + n
        for key, encoded in delta.get("lags", {}).items():
            stage, kind = key.split("|", 1)
            h = self.lags.get((delta["worker"], stage, kind))
            if h is None:
                h = self.lags[(delta["worker"], stage, kind)] = _hdr()
            h.add(HdrHistogram.decode(encoded))
            _stage_of(worker, stage)
        for stage, (cpu_s, wall_s) in delta.get("stage_cpu", {}).items():
            w = _stage_of(worker, stage)
            w["cpu_s"] += cpu_s
            w["wall_s"] += wall_s

    def save(self, folder: Path) -> Path:
        for (worker, stage, kind), h in self.lags.items():
            self.workers[worker][stage][f"{kind}_lag_p99_ms"] = round(h.get_value_at_percentile(99) / 1000, 3)
            self.workers[worker][stage][f"{kind}_lag_max_ms"] = round(h.get_max_value() / 1000, 3)
        doc = {"stages": {k: {"hdr": h.encode().decode(), **self.counts[k]} for k, h in self.hdr.items()},
               "series": self.series.doc(), "workers": self.workers, "arrivals": self.arrivals, "finals": self.finals,
               "sender_errors": self.sender_errors, "clocks": self.clocks}
        return files.CLIENT_STATS.write(folder, doc)


def stage_figures(doc: dict, stage: dict, endpoint: str | None) -> dict:
    """One stage's client figures from a saved client_stats.json: counts, rates, HDR percentiles, generator CPU."""
    seconds = stage["end"] - stage["measure_from"]
    parts = {k.split("|", 1)[1]: v for k, v in doc["stages"].items() if k.split("|", 1)[0] == stage["name"]}
    chosen = [v for name, v in parts.items() if endpoint is None or name == endpoint]
    h = _hdr()
    for v in chosen:
        h.add(HdrHistogram.decode(v["hdr"]))
    count = lambda key, vs=chosen: sum(v[key] for v in vs)  # noqa: E731
    all_requests = count("requests", list(parts.values()))
    workers = {}
    for name, stages in doc.get("workers", {}).items():
        w = stages.get(stage["name"])
        if w:
            cores = round(w["cpu_s"] / w["wall_s"], 3) if w["wall_s"] > 0 else None
            loop, send = w.get("loop_lag_p99_ms"), w.get("send_lag_p99_ms")
            why = ([f"CPU {cores:.2f} core >= {SATURATED}"] if cores is not None and cores >= SATURATED else []) + \
                  ([f"event-loop lag p99 {loop:g} ms > {LAG_BOUND_MS:g}"] if loop is not None and loop > LAG_BOUND_MS
                   else []) + \
                  ([f"send lag p99 {send:g} ms > {LAG_BOUND_MS:g}"] if send is not None and send > LAG_BOUND_MS else [])
            # Late (its loop or its sends) while the process was nearly idle: not a generator that could not keep
            # up, but a machine that paused it (the client's figures then include the pause). Measured: loop lags
            # of 11 ms at 0.06 core on a generator sharing its core with Prometheus, at 26 req/s.
            stalled = bool(why) and cores is not None and cores < STALL_CPU
            workers[name] = {"requests": w["requests"], "cpu_cores": cores, "loop_lag_p99_ms": loop,
                             "send_lag_p99_ms": send, "saturated": bool(why) and not stalled, "why": why,
                             "stalled": stalled}
    cpu = [w["cpu_cores"] for w in workers.values() if w["cpu_cores"] is not None]
    lags = {kind: max((w[f"{kind}_lag_p99_ms"] for w in workers.values() if w[f"{kind}_lag_p99_ms"] is not None),
                      default=None) for kind in ("loop", "send")}
    out = {"requests_all_endpoints": all_requests, "requests": count("requests"), "failures": count("failures"),
           # Requests that got no HTTP answer never reached the server's counters.
           "no_response": count("no_response"), "status_200": count("status_200"),
           "rps": round(count("requests") / seconds, 2) if seconds > 0 else None,
           "rps_all_endpoints": round(all_requests / seconds, 2) if seconds > 0 else None,
           "generator_cpu_cores": round(sum(cpu), 3) if cpu else None,
           "workers": workers, "generator_bound": any(w["saturated"] for w in workers.values()),
           "machine_stall": any(w["stalled"] for w in workers.values()),
           # The worst process's own lateness (p99, ms): what the generator adds to the client's times.
           "generator_loop_lag_p99_ms": lags["loop"], "generator_send_lag_p99_ms": lags["send"],
           "source": "HDR histograms merged from every generator process"}
    if h.get_total_count():
        out.update(mean_ms=round(h.get_mean_value() / 1000, 3),
                   **{f"p{q:g}_ms": round(h.get_value_at_percentile(q) / 1000, 3) for q in (50, 95, 99)},
                   max_ms=round(h.get_max_value() / 1000, 3), percentiles=tail_curve(h))
    out["sender_errors"] = (doc.get("sender_errors") or {}).get(stage["name"], 0)
    arrivals = doc.get("arrivals", {}).get(stage["name"])
    if arrivals:
        # The open model: every latency above is from the request's intended start (coordinated omission free).
        out.update(sent=arrivals[0], dropped=arrivals[1], hdr_count=h.get_total_count(),
                   **{f"hdr_p{q:g}_ms": out.get(f"p{q:g}_ms") for q in (50, 95, 99)})
    return out


def tail_curve(h: HdrHistogram, nines: int = 5, per_nine: int = 10) -> list[list[float]]:
    """[percentile, ms] points from 0 % to 100 %, evenly spaced on the 1/(1-q) axis of HdrHistogram plots,
    as far into the tail as the count allows."""
    deepest = min(nines, int(math.log10(max(h.get_total_count(), 10))))
    points = [100 * (1 - 10 ** (-k / per_nine)) for k in range(deepest * per_nine + 1)]
    return [[round(p, 5), round(h.get_value_at_percentile(p) / 1000, 3)] for p in points] + \
        [[100.0, round(h.get_max_value() / 1000, 3)]]
