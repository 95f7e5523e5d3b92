"""Before the ladder: how many requests a second of the profile's mix the target serves at most, measured with
closed-loop clients (each waits for its answer) at a few concurrencies in turn. A profile's `saturation_share`
stages are placed from it, so the knee lies inside the ladder on a fast machine and on a slow one."""
from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import asdict, dataclass, field

import requests

from common.sample import mean_interval

from loadtests.probe_and_refine import Probe
from loadtests.profile import Profile
from loadtests.tasks import Tasks

TIMEOUT_S = 10.0
BLOCK_S = 0.5          # completions are counted per half second: the blocks of a level's interval
LEVEL = 0.95
BUSY_CLIENT = 0.8      # the probe's own process busy this share of a core: it, not the target, may be the limit


class ProbeError(RuntimeError):
    """The target answered too little of the probe to measure what it serves."""


class _Client:
    """What the scenario's tasks call (Locust's client interface), over one requests session, counting answers."""

    def __init__(self, base_url: str):
        self.base, self.session = base_url.rstrip("/"), requests.Session()
        self.answered, self.failed = 0, 0

    def _count(self, response):
        if 200 <= response.status_code < 300:
            self.answered += 1
        else:
            self.failed += 1
        return response

    def post(self, path: str, json=None, name=None, headers=None):
        return self._count(self.session.post(self.base + path, json=json, headers=headers, timeout=TIMEOUT_S))

    def get(self, path: str, name=None):
        return self._count(self.session.get(self.base + path, timeout=TIMEOUT_S))


@dataclass(frozen=True)
class Level:
    """One concurrency's throughput: its mean over half-second blocks, with a t interval over them."""
    concurrency: int
    rps: float
    low: float
    high: float
    answered: int
    failed: int


@dataclass(frozen=True)
class Saturation:
    """What the target serves of the mix at most when kept busy (saturation_of), what one request then cost it, and
    the notes that say where the figure may fall short."""
    rps: float
    low: float
    high: float
    levels: list[Level]
    client_cpu_share: float
    notes: list[str] = field(default_factory=list)

    @property
    def service_ms(self) -> float:
        return 1000.0 / self.rps

    def sentence(self) -> str:
        per = ", ".join(f"{lv.concurrency}: {lv.rps:.1f}" for lv in self.levels)
        return (f"saturation probe: {self.rps:.1f} req/s [{self.low:.1f}, {self.high:.1f}] of the profile's mix "
                f"({self.service_ms:.1f} ms a request; req/s by closed-loop concurrency {per})"
                + "".join(f"; {n}" for n in self.notes))

    def as_dict(self) -> dict:
        return {**asdict(self), "service_ms": round(self.service_ms, 2), "level": LEVEL, "block_s": BLOCK_S,
                "method": "closed-loop clients at each concurrency in turn; throughput per half-second block, "
                          "t interval over the blocks; the best level's, or the highest concurrency's where it "
                          "served less than the best with confidence, measured twice"}


def _level_of(concurrency: int, done: list[float], start: float, seconds: float, clients: list[_Client]) -> Level:
    blocks = [0] * max(2, int(seconds / BLOCK_S))
    for t in done:
        i = math.floor((t - start) / BLOCK_S)   # floor: a completion during the warm-up is negative, never block 0
        if 0 <= i < len(blocks):
            blocks[i] += 1
    mean, low, high = mean_interval([b / BLOCK_S for b in blocks], LEVEL)
    return Level(concurrency, round(mean, 2), round(max(0.0, low), 2), round(high, 2),
                 sum(c.answered for c in clients), sum(c.failed for c in clients))


def _one_level(target_url: str, scenario: Tasks, concurrency: int, warm_s: float, seconds: float,
               cpus: set[int] | None) -> Level:
    """`concurrency` clients send the mix back to back for warm_s + seconds; completions after warm_s count. Each
    client thread runs on `cpus` (the generator's), never on the target's core."""
    clients = [_Client(target_url) for _ in range(concurrency)]
    start = time.monotonic() + warm_s
    end = start + seconds
    done: list[float] = []
    errors: list[BaseException] = []

    def loop(client: _Client) -> None:
        if cpus:
            os.sched_setaffinity(0, cpus)   # this thread only
        while time.monotonic() < end:
            try:
                scenario.pick()(client)
            except requests.RequestException as exc:
                client.failed += 1
                errors.append(exc)
                time.sleep(0.05)
                continue
            done.append(time.monotonic())   # list.append is atomic under the GIL

    threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=warm_s + seconds + TIMEOUT_S + 5)
    level = _level_of(concurrency, done, start, seconds, clients)
    if level.answered == 0:
        why = f": {errors[-1]}" if errors else f" ({level.failed} answers were errors)"
        raise ProbeError(f"the saturation probe got no answer from {target_url} at concurrency {concurrency}{why}")
    return level


def measure(target_url: str, profile: Profile, log=print, cpus: set[int] | None = None) -> Saturation:
    """Each of the profile's probe concurrencies in turn; the saturation is what saturation_of reads from them."""
    scenario = Tasks(profile, keep=lambda *_: None)
    spec, levels = profile.probe_plan or Probe(), []
    cpu0, wall0 = time.process_time(), time.monotonic()
    for k in spec.concurrency:
        levels.append(_one_level(target_url, scenario, k, spec.warm_s, spec.seconds, cpus))
        log(f"  probe at concurrency {k}: {levels[-1].rps:.1f} req/s [{levels[-1].low:.1f}, {levels[-1].high:.1f}]")
    if fell(levels):
        k = levels[-1].concurrency
        log(f"  probe: served less at concurrency {k} than at a lower one; measuring it again (a fall that stays is "
            "the target's, one that passes was a slow spell)")
        levels.append(_one_level(target_url, scenario, k, spec.warm_s, spec.seconds, cpus))
        log(f"  probe at concurrency {k} again: {levels[-1].rps:.1f} req/s [{levels[-1].low:.1f}, "
            f"{levels[-1].high:.1f}]")
    busy = (time.process_time() - cpu0) / max(1e-9, time.monotonic() - wall0)
    return saturation_of(levels, busy)


def fell(levels: list[Level]) -> bool:
    """The last level served less than the best with confidence."""
    best = max(levels, key=lambda lv: lv.rps)
    return levels[-1] is not best and levels[-1].high < best.low


def saturation_of(levels: list[Level], busy: float) -> Saturation:
    """The best level's throughput; but where a higher concurrency served less than it with confidence, the highest
    concurrency's. A target whose core other work shares is served in bursts while it waits for each answer (the
    scheduler favours a process that slept) and gets only its share once it stays busy: measured with a busy loop on
    the API's core, 41 req/s at concurrency 1 and 20.5 at 4, where the stages then saturated near 22. An API whose
    event loop takes more of its core with more connections open does the same on a quiet machine (51.8 req/s at 2,
    42.8 at 4, where the utilization law put saturation near 43.6). Open load near the knee keeps it busy, so the
    ladder is placed from the busy figure. But a slow spell of the machine during the busy level reads the same: on a
    quiet machine 56.8 req/s at 2 and 37.2 at 4, where the stages then saturated near 60. So measure() takes a level
    that fell once more (the last of `levels`, at the same concurrency as the one before it): a fall that stays is
    the target's, one that passed was no lasting limit. `busy`: the probe's own share of a core."""
    best = max(levels, key=lambda lv: lv.rps)
    top, notes = levels[-1], []
    again = len(levels) > 1 and levels[-2].concurrency == top.concurrency
    busy_fall = fell(levels)
    if busy_fall:
        notes.append(f"served less when kept busy ({top.rps:.1f} req/s at concurrency {top.concurrency} against "
                     f"{best.rps:.1f} at {best.concurrency}{', measured twice' if again else ''}): other work "
                     "sharing its cores, or its own cost of more requests in flight; the busy figure is taken, as "
                     "open load keeps it busy near the knee")
        best = top
    elif again:
        notes.append(f"served less at concurrency {top.concurrency} at first ({levels[-2].rps:.1f} req/s), not when "
                     f"measured again ({top.rps:.1f}): a slow spell, not a lasting limit of the target; the best "
                     "level is taken")
    if len(levels) > 1 and best is levels[-1] and not busy_fall and not again and best.low > levels[-2].high:
        notes.append(f"still rising at concurrency {best.concurrency}: the target may serve more (probe.concurrency)")
    if busy >= BUSY_CLIENT:
        notes.append(f"the probe's client was busy {busy:.0%} of a core: it, not the target, may have been the limit")
    failed = sum(lv.failed for lv in levels)
    if failed:
        notes.append(f"{failed} answers were errors")
    return Saturation(best.rps, best.low, best.high, levels, round(busy, 3), notes)
