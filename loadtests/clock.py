"""The clock of a load-generator process. Every time a process stamps (requests, windows, CPU samples) is read here,
so a test can give a worker a clock off the master's (LOADGEN_CLOCK_SKEW_S) and check it is measured and corrected.

It is the wall clock as it read when the process started, advanced by the monotonic clock: the arrivals' schedule
and Locust's shape run on the monotonic clock, so a step of the machine's wall clock (a time sync: +5.4 s once in the
gated stage of a default run here) must move neither them nor the windows requests are stamped into. The API and
Prometheus stamp with the machine's wall clock: WallSteps records where it stepped, so the timeline places each
window where their stamps put it."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

SKEW_S = float(os.environ.get("LOADGEN_CLOCK_SKEW_S", "0") or 0)
STEP_S = 0.1   # a change of the wall clock against this process's clock worth recording (slewing moves it µs a second)

_WALL0, _MONO0 = time.time(), time.perf_counter()


def now() -> float:
    return _WALL0 + (time.perf_counter() - _MONO0) + SKEW_S


def wall_drift() -> float:
    """How far the machine's wall clock lies ahead of now(): what it stepped by since this process started."""
    return time.time() + SKEW_S - now()


@dataclass
class WallSteps:
    """The machine's wall clock against now(), sampled while a test runs: [(now(), drift)] where the drift changed."""
    samples: list[tuple[float, float]] = field(default_factory=list)

    def sample(self) -> None:
        t, drift = now(), wall_drift()
        if not self.samples or abs(drift - self.samples[-1][1]) > STEP_S:
            self.samples.append((t, drift))

    def drift_at(self, t: float) -> float:
        """The drift in effect at `t` (now()'s time): the last sample's at or before it, the first's before any."""
        found = self.samples[0][1] if self.samples else 0.0
        for at, drift in self.samples:
            if at > t:
                break
            found = drift
        return found

    def to_wall(self, t: float) -> float:
        """`t` (now()'s time) on the machine's wall clock."""
        return t + self.drift_at(t)


def offset(sent: float, master: float, received: float) -> tuple[float, float]:
    """(master's clock minus this one, round trip) from one exchange: the master's reading is taken as the midpoint
    of the round trip (NTP's assumption), so the offset is known to within half the round trip."""
    return master - (sent + received) / 2, received - sent
