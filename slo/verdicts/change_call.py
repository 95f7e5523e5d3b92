"""A change against the baseline called: regressed, improved, no regression or cannot tell, with what would decide
it where it cannot tell. The statistics floor (slo/stats/noise.py, bucketed.py) gives the relative change and its
interval, whatever test made them; the call and its words are made here, once, for every test."""
from __future__ import annotations

import math

# Where the statistics floor could give no relative scale (its `no_scale`): why, as the advice says it.
NO_SCALE = {
    "zero_median": "the baseline's median is 0: a relative change has no scale",
    "no_errors": "no error on either side: a relative change cannot be bounded; hold the error ratio to an objective "
                 "(kind error_ratio) instead",
}
ONE_SIDE_ONLY = ("a quantile lay in the histogram's first or last bucket, bounded on one side only: add bucket edges "
                 "past it, or judge a target whose recording gives it exact")


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
    return "cannot tell", (f"about {max(2, round((half / room) ** 2 + 0.5))}x the points would decide it (repeat the "
                           "runs or lengthen the stages)")


def worse_made_positive(rel: dict, higher_is_worse: bool) -> tuple[float, float, float]:
    """(low, high, shift) of a relative change on the worse-is-positive scale; an end or shift past any bound (None,
    or not given: a figure observed without an interval) as far as it can go (a change cannot fall below -100 %)."""
    sign = 1 if higher_is_worse else -1
    low, high = rel.get("low"), rel.get("high")
    ends = [-1.0 if low is None else low, math.inf if high is None else high]
    worse_low, worse_high = sorted(sign * end for end in ends)
    return worse_low, worse_high, sign * (math.inf if rel["shift"] is None else rel["shift"])


def called(rel: dict, limit: float | None, higher_is_worse: bool) -> tuple[str, str | None]:
    """A relative change and its interval called against `limit` (no limit: any change), worse made positive."""
    return three_answers(*worse_made_positive(rel, higher_is_worse), limit or 0.0)


def call(test: dict, limit: float | None, higher_is_worse: bool) -> dict:
    """`test` (a change as the statistics floor gives it) with its verdict and advice: cannot tell where it gave no
    interval (its method says why) or no scale; where the histogram's buckets bounded the interval, the advice says
    when they, not the points, left it undecided."""
    test = dict(test)
    no_scale, bounds = test.pop("no_scale", None), test.pop("bucket_bounds", None)
    rel = test.get("relative")
    if rel is None:
        return {**test, "verdict": "cannot tell"}
    if no_scale is not None:
        return {**test, "verdict": "cannot tell", "advice": NO_SCALE[no_scale]}
    verdict, advice = called(rel, limit, higher_is_worse)
    if bounds is not None:
        alone = called(bounds["interpolated"], limit, higher_is_worse)[0]
        test["interpolated"] = {"verdict": alone, "relative": bounds["interpolated"]}
        if verdict == "cannot tell" and bounds["one_side_only"]:
            advice = ONE_SIDE_ONLY
        elif verdict == "cannot tell" and alone != "cannot tell":
            advice = (f"the histogram's buckets around this quantile ({_edges(bounds['buckets'])}) are wider than the "
                      "change that matters: add bucket edges near it, or judge a target whose recording gives it exact")
    return {**test, "verdict": verdict, "advice": advice}


def _edges(buckets: list[tuple[float, float | None]]) -> str:
    """The buckets the points lay in, as ms ranges, widest first (at most three)."""
    seen = sorted({(low, high) for low, high in buckets},
                  key=lambda b: -(b[1] / b[0] if b[1] is not None and b[0] > 0 else math.inf))
    return ", ".join(f"{low:g}-{'+Inf' if high is None else f'{high:g}'} ms" for low, high in seen[:3])
