"""The wall clock of a load-generator process. Every time a process stamps (requests, windows, CPU samples) is read
here, so a test can give a worker a clock off the master's (LOADGEN_CLOCK_SKEW_S) and check it is measured and
corrected."""
from __future__ import annotations

import os
import time

SKEW_S = float(os.environ.get("LOADGEN_CLOCK_SKEW_S", "0") or 0)


def now() -> float:
    return time.time() + SKEW_S


def offset(sent: float, master: float, received: float) -> tuple[float, float]:
    """(master's clock minus this one, round trip) from one exchange: the master's reading is taken as the midpoint
    of the round trip (NTP's assumption), so the offset is known to within half the round trip."""
    return master - (sent + received) / 2, received - sent
