"""A relative change from a shift of logs, as every baseline test gives its interval (slo/stats/noise.py); the call
against the smallest change that matters is the verdicts' (slo/verdicts/change_call.py)."""
from __future__ import annotations

import math

MAX_LOG_CHANGE = 50.0    # a change of e^50 is unbounded in all but name (exp past 709 overflows a float)


def relative_of_logs(shift: float, low: float, high: float) -> dict:
    """A shift of logs and its interval as relative changes (e^x - 1), rounded. Clamped: the family policy's search
    for a p-value asks for levels near 1, where a widened interval's log ends pass what a float can exponentiate."""
    return {k: round(math.expm1(min(v, MAX_LOG_CHANGE)), 4) for k, v in (("shift", shift), ("low", low),
                                                                          ("high", high))}
