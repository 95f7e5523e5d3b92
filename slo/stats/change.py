"""A relative change and its interval called against the smallest change that matters: regressed, improved, no
regression or cannot tell (how a baseline comparison answers, whatever test made the interval)."""
from __future__ import annotations

import math

MAX_LOG_CHANGE = 50.0    # a change of e^50 is unbounded in all but name (exp past 709 overflows a float)


def relative_of_logs(shift: float, low: float, high: float) -> dict:
    """A shift of logs and its interval as relative changes (e^x - 1), rounded. Clamped: the family policy's search
    for a p-value asks for levels near 1, where a widened interval's log ends pass what a float can exponentiate."""
    return {k: round(math.expm1(min(v, MAX_LOG_CHANGE)), 4) for k, v in (("shift", shift), ("low", low),
                                                                          ("high", high))}


def called(rel: dict, limit: float | None, higher_is_worse: bool) -> tuple[str, str | None]:
    """A relative change and its interval called against `limit` (no limit: any change), worse made positive."""
    sign = 1 if higher_is_worse else -1
    worse_low, worse_high = sorted((sign * rel["low"], sign * rel["high"]))
    return three_answers(worse_low, worse_high, sign * rel["shift"], limit or 0.0)


def three_answers(worse_low: float, worse_high: float, worse_shift: float, matter: float) -> tuple[str, str | None]:
    """On the worse-is-positive scale: regressed (the whole interval past the limit), improved (wholly past it the
    better way), no regression (wholly short of the limit: an equivalence test), else cannot tell, with how many
    times the points would decide it (an interval narrows as one over the square root of its points)."""
    if worse_low > matter:
        return "regressed", None
    if worse_high < -matter:
        return "improved", None
    if worse_high < matter:
        return "no regression", None
    half = (worse_high - worse_low) / 2
    room = abs(worse_shift - matter)
    if not math.isfinite(half) or not math.isfinite(room):
        return "cannot tell", "too few counted on a side to bound the change: more requests or repeats would"
    if room < 1e-9:
        return "cannot tell", "its shift sits on the limit: no number of points decides it"
    return "cannot tell", f"about {max(2, round((half / room) ** 2 + 0.5))}x the points would decide it (repeat the runs or lengthen the stages)"
