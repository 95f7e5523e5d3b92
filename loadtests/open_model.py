"""Open-model load: requests start on a Poisson (or constant) schedule whether earlier ones answered or not.

One dispatcher user per Locust process. Latency is measured from each request's intended start, so a
slow API cannot hide its slowness by slowing the load down (coordinated omission), and is recorded in
an HDR histogram per stage; arrivals that find max_concurrency requests in flight are dropped, counted.
"""
from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import gevent
from gevent.pool import Pool
from hdrh.histogram import HdrHistogram

from loadtests.profile import Profile, window_at

HDR_GLOB = "client_hdr.*.json"
_MAX_US = 120_000_000  # two minutes


class Retimed:
    """Stands in for Locust's request event: re-times each request from its intended start, then fires."""

    def __init__(self, event, schedule: "OpenSchedule"):
        self.event, self.schedule, self.intended = event, schedule, {}

    def fire(self, **meta):
        intended = self.intended.pop(gevent.getcurrent(), None)
        if intended is not None:
            meta["response_time"] = (time.perf_counter() - intended) * 1000
            self.schedule.record(intended, meta["response_time"])
        self.event.fire(**meta)


class OpenSchedule:
    """The arrival schedule of one process, and its per-stage HDR histograms, sends and drops.

    Figures cover each stage's measured window only (ramp and settle excluded), the window the server's
    figures cover; arrivals are placed in it by their intended start.
    """

    def __init__(self, profile: Profile, processes: int, seed: int | None = None):
        self.profile, self.processes = profile, max(1, processes)
        self.rng = random.Random(seed)
        self.t0 = None
        self.wall_t0 = None
        self.windows = profile.windows()
        self.hdr = [HdrHistogram(1, _MAX_US, 3) for _ in profile.stages]
        self.dropped = [0] * len(profile.stages)
        self.sent = [0] * len(profile.stages)

    def stage_at(self, t: float) -> int | None:
        """The stage whose arrival rate applies at t (perf_counter seconds)."""
        w = window_at(self.windows, t - self.t0)
        return None if w is None else w.index

    def measured_stage_at(self, t: float) -> int | None:
        """The stage whose measured window holds t, or None (ramp, settle, or after the last stage)."""
        w = window_at(self.windows, t - self.t0, measured=True)
        return None if w is None else w.index

    def start(self, wall_start: float | None = None) -> None:
        """Anchor the schedule: at the run's wall-clock start when known (so its windows are the timeline's), else now."""
        now_wall, now = time.time(), time.perf_counter()
        self.wall_t0 = wall_start if wall_start is not None else now_wall
        self.t0 = now - (now_wall - self.wall_t0)

    def gap(self, stage: int) -> float:
        rate = self.profile.stages[stage].rate_rps / self.processes
        return self.rng.expovariate(rate) if self.profile.arrival == "poisson" else 1.0 / rate

    def record(self, intended: float, response_ms: float) -> None:
        i = self.measured_stage_at(intended)
        if i is not None:
            self.hdr[i].record_value(max(1, min(int(response_ms * 1000), _MAX_US)))

    def run(self, send, retimed: Retimed, wall_start: float | None = None) -> None:
        """Dispatch until the last stage ends; send(intended) performs one request."""
        pool = Pool(self.profile.max_concurrency)
        self.start(wall_start)
        intended = max(self.t0, time.perf_counter())
        while True:
            stage = self.stage_at(intended)
            if stage is None:
                break
            intended += self.gap(stage)
            delay = intended - time.perf_counter()
            if delay > 0:
                gevent.sleep(delay)
            if self.stage_at(intended) is None:
                break
            measured = self.measured_stage_at(intended)
            if pool.full():
                if measured is not None:
                    self.dropped[measured] += 1
                continue
            if measured is not None:
                self.sent[measured] += 1
            pool.spawn(self._one, send, retimed, intended)
        pool.join(timeout=30)

    @staticmethod
    def _one(send, retimed, intended):
        retimed.intended[gevent.getcurrent()] = intended
        try:
            send()
        finally:
            retimed.intended.pop(gevent.getcurrent(), None)

    def save(self, folder: Path) -> Path:
        doc = {s.name: {"hdr": self.hdr[i].encode().decode(), "dropped": self.dropped[i], "sent": self.sent[i],
                        "wall_t0": self.wall_t0}
               for i, s in enumerate(self.profile.stages)}
        path = Path(folder) / f"client_hdr.{os.getpid()}.json"
        path.write_text(json.dumps(doc))
        return path


def merged_stage_figures(run_dir: Path) -> dict[str, dict]:
    """Per stage, over every process: HDR percentiles of the latency from intended start, drops, sends."""
    merged: dict[str, dict] = {}
    for path in sorted(Path(run_dir).glob(HDR_GLOB)):
        for name, part in json.loads(path.read_text()).items():
            m = merged.setdefault(name, {"hdr": HdrHistogram(1, _MAX_US, 3), "dropped": 0, "sent": 0})
            m["hdr"].add(HdrHistogram.decode(part["hdr"]))
            m["dropped"] += part["dropped"]
            m["sent"] += part["sent"]
    out = {}
    for name, m in merged.items():
        h = m["hdr"]
        out[name] = {"dropped": m["dropped"], "sent": m["sent"], "hdr_count": h.get_total_count(),
                     **({f"hdr_p{q:g}_ms": round(h.get_value_at_percentile(q) / 1000, 3) for q in (50, 95, 99)}
                        if h.get_total_count() else {})}
    return out
