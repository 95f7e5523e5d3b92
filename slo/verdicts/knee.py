"""Where the knee lies, from every stage at once: the share of requests over each latency threshold rises with the
offered rate, so each stage's interval also bounds its neighbours' (a monotone envelope), and a curve fitted across
the stages says where it crosses the objective, between the rates the ladder offered.

The envelope: the true share at rate r_j is at most the share at any higher rate, so the upper bound of a stage is
the least of its own and every higher stage's; its lower bound the greatest of its own and every lower stage's. A
stage whose interval lies wholly below a lower stage's breaks that order (a slow spell of the machine, a stall): it is
named, and the envelope does not let it set an end of the capacity.

The fit: near the knee a queue's tail share grows about exponentially with the rate (an M/M/1 queue's exactly:
P(T > t) = exp(-(mu - lambda) t)), so log share is fitted as a line in the rate, each stage weighted by the inverse
of its log share's variance, with a dispersion factor where the stages scatter more than that. Where the API's
recording holds a stage's latencies (or, where the API records nothing, the generator timed each answer), its share
is read from its whole tail (slo/stats/tail.py: many requests, so stages far below the knee speak too); elsewhere
from the requests over the threshold, at the effective size its interval used. The crossing of the objective's limit
and its inverse-prediction interval (Fieller's) come from the fitted line's band.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from slo.stats import confidence
from slo.stats.tail import GENERATOR
from slo.verdicts.kinds import kind_of
from slo.verdicts.report import Stage

MIN_FIT_POINTS = 4
MAX_FIT_SHARE = 0.5   # past it the share bends toward 1 as a queue collapses: the tail's line no longer holds
# For a limit at or past MAX_FIT_SHARE (p50's): a stationary queue's log share stays a line in the rate until nearly
# every request is over the threshold (M/M/1: exp(-(mu - lambda) t) up to 1), so its crossing has stages well past
# it to lean on. Capped at 75 % (halfway from p50's limit to 1) the line through the stages under the knee crossed
# with a high end up to three times its low end on the forest API (a stage at 98 % of saturation, 91 % over 75 ms,
# left out); with them, default-like M/M/1 ladders held the knee as often (98.95 %, was 99.05 %) at a median width
# of 30 % (was 32 %), and the knee's share of saturation 99.75 % at 24 % (was 99.9 % at 39 %; 2,000 draws each).
NEAR_ALL_SHARE = 0.95
# A share read from the tail more than e^4 (about 55 times) below the objective's limit comes from the body of the
# latencies (the service time's own shape, at low load), not from the queue's tail: on the forest API stages at a
# third of saturation read e^-13 over 300 ms and pulled the line to a crossing above the saturation.
MAX_TAIL_REACH = 4.0


@dataclass(frozen=True)
class Point:
    """One stage's share over an objective's threshold: its rate, interval, counts and effective-size divisor."""
    stage: str
    rate: float
    low: float
    high: float
    requests: float
    counted: float
    divisor: float
    tail: dict | None = None   # the share read from the stage's whole tail (slo/stats/tail.py), where recorded

    def observed(self) -> float:
        """The share of the stage's requests over the threshold."""
        return self.tail["observed"] if self.tail else self.counted / self.requests

    def usable(self, limit: float) -> bool:
        """At most MAX_FIT_SHARE over the threshold (for a limit at or past it, p50's, NEAR_ALL_SHARE: a stationary
        queue's tail line holds there, and the crossing needs stages on both sides of it); above 0 where only the
        counts over the threshold speak; where read from the tail, within MAX_TAIL_REACH of the limit."""
        if self.observed() > (MAX_FIT_SHARE if limit < MAX_FIT_SHARE else NEAR_ALL_SHARE):
            return False
        if self.tail:
            return self.tail["log_share"] >= math.log(limit) - MAX_TAIL_REACH
        return self.counted > 0

    def log_share(self) -> tuple[float, float]:
        """(log share, its variance): from the tail where read, else binomial at the effective size; the log raised
        by half its variance, since the log of a share estimated without bias lies under the log of the share by
        about that much (the delta method's second order), and near the knee, where slow requests come together,
        the variance is large: uncorrected, the fitted crossing lay over the knee too often, the capacity's
        interval wholly over it in 5.05 % of make capacity's simulated searches and 3.2 % of the default run's
        with two steps against a target that times no prediction (2.5 % promised a side; 3.05 and 2.6 % with it,
        2,000 draws each, tests/slo/stats/test_coverage.py)."""
        if self.tail:
            log_share, variance = self.tail["log_share"], self.tail["variance"]
        else:
            share = self.counted / self.requests
            log_share, variance = math.log(share), (1 - share) / (self.requests / self.divisor * share)
        return log_share + variance / 2, variance


def points_of(stages: list[Stage], name: str, rate_of) -> list[Point]:
    """Every stage's share objective `name` that has an interval, in rate order."""
    out = []
    for s in stages:
        o = s.objective(name)
        c = o and o.confidence
        if not c or c.low is None or c.requests is None:
            continue
        counted = sum(c.counted_range) / 2 if c.counted is not None else 0.0  # bracketed: the middle of the edges
        out.append(Point(s.name, rate_of(s), c.low, c.high, c.requests, counted, c.divisor or 1.0, c.tail))
    return sorted(out, key=lambda p: p.rate)


def envelope(points: list[Point]) -> tuple[list[tuple[float, float]], list[str]]:
    """(each point's monotone bounds, the stages that break the order): a stage whose upper bound lies under a lower
    stage's lower bound."""
    lows = list(np.maximum.accumulate([p.low for p in points])) if points else []
    highs = list(np.minimum.accumulate([p.high for p in points][::-1])[::-1]) if points else []
    breaks = [p.stage for i, p in enumerate(points) if i and p.high < max(q.low for q in points[:i])]
    return list(zip(lows, highs)), breaks


def fit_crossing(points: list[Point], limit: float, level: float, unit: str = "rps") -> dict | None:
    """The rate where the fitted log share crosses `limit`, with Fieller's interval at `level` (keys estimate_<unit>,
    interval_<unit>: the points' rates are in that unit); None with fewer than MIN_FIT_POINTS usable stages
    (Point.usable), or where the fitted share does not rise."""
    usable = [p for p in points if p.usable(limit)]
    if len(usable) < MIN_FIT_POINTS:
        return None
    r = np.array([p.rate for p in usable])
    y, variance = np.array([p.log_share() for p in usable]).T
    w = 1 / np.maximum(variance, 1e-12)
    x = np.column_stack([np.ones_like(r), r])
    xtw = x.T * w
    cov = np.linalg.inv(xtw @ x)
    a, b = cov @ (xtw @ y)
    resid = y - (a + b * r)
    df = len(usable) - 2
    dispersion = max(1.0, float((w * resid ** 2).sum()) / df) if df > 0 else 1.0
    cov = cov * dispersion
    if b <= 0:
        return None
    y = math.log(limit)
    # t with the fit's own degrees of freedom: the line's shape is an assumption its residuals check only roughly
    # (with z where they scattered no more than their counts allow, the search's intervals held the knee 94 %).
    crit = float(confidence.t_quantile(1 - (1 - level) / 2, df))
    # (a + b r - y)^2 <= crit^2 (Var a + 2 r Cov(a, b) + r^2 Var b): a quadratic in r.
    qa = b * b - crit ** 2 * cov[1, 1]
    qb = 2 * (b * (a - y) - crit ** 2 * cov[0, 1])
    qc = (a - y) ** 2 - crit ** 2 * cov[0, 0]
    estimate = (y - a) / b
    out = {f"estimate_{unit}": round(float(estimate), 2), "stages": [p.stage for p in usable],
           "from_tail": [p.stage for p in usable if p.tail], "dispersion": round(dispersion, 3),
           "from_generator": [p.stage for p in usable if p.tail and p.tail.get("source") == GENERATOR],
           f"slope_per_{unit}": round(float(b), 5), f"interval_{unit}": [None, None]}
    disc = qb * qb - 4 * qa * qc
    if qa > 0 and disc >= 0:   # the slope is known well enough for the band to cross the limit on both sides
        lo, hi = sorted(((-qb - math.sqrt(disc)) / (2 * qa), (-qb + math.sqrt(disc)) / (2 * qa)))
        below, above = contradicting(points, limit, lo, hi)
        out[f"interval_{unit}"] = [None if below else round(float(lo), 2), None if above else round(float(hi), 2)]
        out["contradicted_by"] = below + above
    return out


def contradicting(points: list[Point], limit: float, low: float, high: float) -> tuple[list[str], list[str]]:
    """The stages whose own share says an end of the fitted interval is wrong: (those over the limit at a rate under
    its low end, those under it at a rate over its high end). A line's shape is an assumption: on the forest API the
    share over p50's threshold stays low and flat at low load (the prediction's own cost) and then rises steeply, so
    a line through the low stages crossed half at [36.5, ...] req/s where a stage at 35.7 showed 57 % over it. The
    end they contradict bounds nothing, and the bracket's stands there; the other end stays, since they say the knee
    lies further their way, not the other. A stage's point estimate decides, not its interval: counting only shares
    beyond the limit by more than one of their own standard errors, the refined and slowed-stage searches held the
    knee 94.0 and 93.9 % of the time (2,000 draws), against 94.85 and 94.35 % this way; near the knee the line's
    own interval is too narrow without this check."""
    below = [p.stage for p in points if p.observed() > limit and p.rate < low]
    above = [p.stage for p in points if p.observed() < limit and p.rate > high]
    return below, above


def share_knees(stages: list[Stage], rate_of, level: float, unit: str = "rps") -> dict:
    """Per latency objective with intervals: the stages that break the rising order, and the fitted crossing (with
    the stages placed by `rate_of`, in `unit`)."""
    out = {}
    for o in (stages[0].objectives if stages else []):
        limit = o.confidence.limit
        points = points_of(stages, o.name, rate_of) if kind_of(o).rises_with_load else []
        if points and limit is not None:
            out[o.name] = {"limit": limit, "breaks_order": envelope(points)[1],
                              "fit": fit_crossing(points, limit, level, unit)}
    return out


def lowest_crossing(knees: dict, unit: str = "rps") -> dict | None:
    """The lowest fitted crossing over the objectives with an interval (one of whose ends a stage may have
    contradicted: unknown), where the first objective breaks."""
    fits = [(name, k["fit"]) for name, k in knees.items()
            if k["fit"] and k["fit"][f"interval_{unit}"] != [None, None]]
    if not fits:
        return None
    name, fit = min(fits, key=lambda f: f[1][f"estimate_{unit}"])
    return {"objective": name, **fit}


def bracket_stages(stages: list[Stage], place) -> tuple[Stage | None, Stage | None]:
    """(the last of the stages that met every objective with confidence, walking up from the lowest placed by
    `place` until one did not; the last of those that failed one with confidence, walking down from the highest
    until one did not): the bracket's ends, the capacity's evidence that assumes no curve. A stage that ran to its
    end failed; one the client's tail broke met nothing users would accept.
    Each walk stops at the first stage that did not pass (up) or fail (down); at a tie of places, such a stage comes
    first. The stages over the knee lie above every stage under it, so the low end lies over the knee only where the
    lowest of those over it passed falsely, and the high end under it only where the highest of those under it
    failed falsely, each at most the promised share of the time (fixed-sequence testing). Taking the highest pass
    under the lowest failure instead gave every stage near the knee its own chance to pass falsely: make capacity's
    search, stepping there until the bracket closed, ended wholly over the knee 4.1 % of the time (2.5 % promised;
    seed 35, 2,000 draws; 1.95 % this way, median width 22.8 % of the low end against 21.3 %). Taking the lowest
    failure did the same under it: the default run's step of 10 s, placed near the knee on a machine whose speed
    moved, failed falsely under it often enough that the capacity lay wholly under the knee 2.2 % of 2,000 draws,
    32 of its 44 misses there (0.6 % this way)."""
    up = sorted(stages, key=lambda s: (place(s), met_with_confidence(s)))
    down = sorted(stages, key=lambda s: (place(s), not failed_with_confidence(s)), reverse=True)
    return _last_before(up, met_with_confidence), _last_before(down, failed_with_confidence)


def _last_before(walk: list[Stage], holds) -> Stage | None:
    """The last stage of `walk` before the first one for which `holds` does not."""
    last = None
    for s in walk:
        if not holds(s):
            break
        last = s
    return last


def failed_with_confidence(stage: Stage) -> bool:
    """Failed an objective with confidence, having run to its end."""
    return stage.status == "fail" and stage.completed


def met_with_confidence(stage: Stage) -> bool:
    """Every objective met with confidence, and the client's tail broke none."""
    return stage.status in ("pass", "warn") and not stage.client_breaks


def narrowed(bracket: list, fitted: list | None) -> tuple[list, list[str]]:
    """The capacity interval: the bracket between the best confident pass and the lowest confident failure, narrowed
    by the fitted crossing's interval where that lies inside it; and which decided each end ("bracket" or "fit")."""
    low, high = bracket
    decided = ["bracket", "bracket"]
    if fitted is None:
        return [low, high], decided
    f_low, f_high = fitted   # an end a stage contradicted is None: it bounds nothing
    f_low = f_low if f_low is not None and f_low > 0 else None   # a band that reaches no load bounds nothing below
    new_low = f_low if f_low is not None and (low is None or f_low > low) else low
    new_high = f_high if f_high is not None and (high is None or f_high < high) else high
    if new_low is not None and new_high is not None and new_low >= new_high:
        # the fit and the bracket disagree: the bracket, which assumes no curve, stands
        return [low, high], decided
    decided = ["fit" if new_low != low else "bracket", "fit" if new_high != high else "bracket"]
    return [round(new_low, 1) if decided[0] == "fit" else low, round(new_high, 1) if decided[1] == "fit" else high], \
        decided
