"""Where a run's refinement steps next, from the stages judged so far and the capacity its report gives: pure
functions of the report, so tests drive them with made-up stages (slobench/refine.py runs the steps).

Where the knee's share fitted across the stages decided the interval at the run's typical speed: its middle (a stage
at the knee tells the fit the most). Else from the bracket between the best confident pass and the lowest confident
failure: climb while nothing failed, step under the lowest stage while nothing passed, then split the widest gap
between its ends (where none is left, the widest of the bracket the capacity is stated by at the typical speed).
When to stop comes from the bracket alone (settled), not from the interval the fit narrows it to: stopping once a
fitted interval looked narrow picked the fits that happened to be (against M/M/1 targets within 300 s they held the
knee 94 % of the time; stopped by the bracket, 95.1 % of 2,000 in make coverage, the budget going on evidence). A
stage that ran on a machine of another speed than the rest of the run is no evidence: it is run again first, once,
where it tells the most (run_again).
"""
from __future__ import annotations

import statistics
from typing import NamedTuple

from slo.verdicts.capacity import knee_reach
from slo.verdicts.knee import met_with_confidence
from slo.verdicts.report import Capacity, Stage
from slo.verdicts.knee_speed import SATURATION_PCT
from slo.verdicts.saturation import PREDICTOR_BOUND, rate_at_share, stage_demand_ms, utilization_at

CLIMB = 1.25           # above a ladder that broke nothing: the next rate, a quarter higher (under, a quarter lower)
JUMP = 2.0             # or a fifth past the utilization law's saturation, at most this many times the top
OVER_SATURATION = 1.2  # as the default ladder's last stage: a queue offered a fifth over its saturation grows
# through a step decisively (in simulation the collapse test fired in 99 % of such windows); a step at the
# saturation itself stayed undecided (63.7 req/s, 18 s)
MAX_RPS = 20_000
# The stages whose prediction time says what the next step's will be: the last ones run. In 11 quiet default runs
# (2026-12-07) a step's prediction time lay a median 1.6 % (mean 3.7 %) from the last two stages' mean, and 4.0 %
# (4.8 %) from the run's typical one, which had set one run's two steps at 80 and 82 % of saturation where they were
# aimed at 93 % (14.7 ms typical, 13.8 and 13.0 ms in the steps).
RECENT = 2


def evidence(stages: list[Stage]) -> list[Stage]:
    """The stages that speak for the API: not those run on a machine of another speed than the rest of the run
    (they measured the machine), nor those whose generator could not keep up (they measured the generator)."""
    return [s for s in stages if s.offered_rps and not s.departed and not s.client.generator_bound]


def settled(cap: Capacity, aim: float) -> bool:
    """The bracket [the best confident pass, the lowest confident failure], the evidence the refinement stops by, is
    closed and within `aim` of its low end."""
    low, high = cap.bracket_rps
    return bool(low and high) and (high - low) / low <= aim


def under_saturation(low: float | None, high: float | None, saturation_rps: float | None) -> float | None:
    """`high`, or the utilization law's saturation where that lies between the ends and the prediction is what
    saturates (`low` kept the predictor busy PREDICTOR_BOUND of the time or more): the knee lies under it, since a
    queue offered more grows without bound. Quiet default runs stepped at the middle of ends past it, at 100 and
    102 % of saturation, and the one step stayed undecided ([49.7, 80.9] and [55.7, 84.6] req/s)."""
    if saturation_rps and low and high and low < saturation_rps < high and low >= PREDICTOR_BOUND * saturation_rps:
        return saturation_rps
    return high


def fitted_middle(cap: Capacity, offered: bool = False, saturation_rps: float | None = None) -> float | None:
    """The middle of the capacity interval at the run's typical speed, where the knee's share fitted across the
    stages decided an end of it (the capacity's `speed`, slo/verdicts/capacity.py); with `offered`, of the interval
    at the rates offered where no speed was measured and the fit there decided an end; under the saturation
    (under_saturation); None elsewhere."""
    if cap.speed:
        (low, high), decided_by = cap.speed.interval_rps, cap.speed.decided_by
    elif offered:
        (low, high), decided_by = cap.interval_rps, cap.decided_by
    else:
        return None
    if low is None or high is None or "fit" not in decided_by:
        return None
    return round((low + under_saturation(low, high, saturation_rps)) / 2, 1)


def at_recent_speed(rate: float | None, stages: list[Stage], cap: Capacity) -> float | None:
    """`rate`, a rate at the run's typical prediction time (the capacity's `speed`), at the prediction time of the
    last RECENT stages that are evidence: the share of saturation it was chosen for, on the machine the step will
    run on. Unchanged where either is not measured."""
    demands = [d for d in (stage_demand_ms(s) for s in evidence(stages)) if d]
    if rate is None or cap.speed is None or not demands:
        return rate
    return round(rate * cap.speed.typical_demand_ms / statistics.mean(demands[-RECENT:]), 1)


def past_the_crossing(stages: list[Stage], cap: Capacity, servers: int = 1) -> float | None:
    """Where the knee's share fitted across the stages has its crossing but no interval (capacity.knee_reach: every
    stage lies on one side of the knee, so the slope is not known well enough for the band to cross the limit on
    both sides) and that crossing lies inside the capacity's interval at the typical speed: a step halfway from the
    crossing to that interval's high end (the saturation, where nothing under it failed), where its share gives the
    line a point past the knee to lean on. None where the fit has an interval (fitted_middle) or the capacity is not
    placed by speed. A busy loop on the API's core for a whole default run left its stages at 42 to 64 % of
    saturation, p50's share at most 40 %: the bracket's rule stepped under the ladder, at 10.2 req/s, where no step
    fit what the run had left ([?, 33.3] req/s). Simulated (an M/M/1 target at 25 to 35 ms a request, the knee at 70
    to 78 % of saturation, the probe reading 85 to 95 % of it, one 15 s step; 2,000 draws, the ladder leaving no
    share in 430 to 480 of them), the capacity held the knee 98.1 % of the time there with a median width of 39 % of
    its low end, within 25 % in 23.5 % of them; a step at the crossing itself, 98.9 %, 51 % and 9 %; the bracket's
    rule, 98.9 %, 52 % and 12 % (where its step fit: it had no room in that run)."""
    if cap.speed is None or cap.knee_share is not None:
        return None
    reach = _reach_inside(stages, cap, servers)
    high = cap.speed.interval_rps[1]
    return reach if reach is None or high is None else round((reach + high) / 2, 1)


def at_the_crossing(stages: list[Stage], cap: Capacity, servers: int = 1) -> float | None:
    """Where the knee's share fitted across the stages has an interval but decided neither end of the capacity at
    the typical speed (its interval wider than the bracket it would narrow), its crossing, where that lies inside the
    capacity's interval: a stage at the knee tells the fit the most. None elsewhere. A quiet default run left
    [64.4, 77.0] req/s (20 % of its low end; the knee near 90 % [83, 124] of saturation, four stages fitted): the
    bracket's widest gap under the saturation was within the aim, so no step ran in the 60 s its budget had left."""
    if cap.speed is None or cap.knee_share is None or "fit" in cap.speed.decided_by:
        return None
    return _reach_inside(stages, cap, servers)


def strictly_inside(rate: float, low: float | None, high: float | None) -> bool:
    """low < rate < high, an end that is None open."""
    return (low is None or rate > low) and (high is None or rate < high)


def _reach_inside(stages: list[Stage], cap: Capacity, servers: int) -> float | None:
    """The knee's fitted crossing (capacity.knee_reach), where it lies inside the capacity's interval at the typical
    speed; else None."""
    reach = knee_reach(stages, servers)
    return reach if reach is not None and strictly_inside(reach, *cap.speed.interval_rps) else None


def run_again(stages: list[Stage], cap: Capacity, middle: float | None = None) -> Stage | None:
    """The stage to run again, once: of those that ran on a machine of another speed than the rest of the run (or
    served the queue one left) and were offered inside the bracket, the one nearest `middle` (next_step's: the
    fitted knee's, under the saturation, where the fit decided an end: fitted_middle; else the knee the ladder was
    placed around, its `prior_rps`), else the bracket's. A busy loop on the API's core for a minute in the middle
    of a default run took its stages at 60 to 80 % of saturation,
    where the knee's fit reads its shares; stepped at the bracket's middle instead, the one step there was undecided
    and the interval stayed [34, 82.5] req/s. Simulated (two or three knee stages on a machine twice as slow, then
    three steps), the stages run again left a median width of 41 % of the low end where the bracket's split left
    49 %, the knee held as often (97.9 and 98.25 % of 2,000 draws; tests/slo/stats/test_coverage_machine.py); after one
    step, 111 % and 115 %."""
    low, high = cap.bracket_rps
    sent = [s.offered_rps for s in stages if s.offered_rps]
    inside = [s for s in stages if s.departed and s.offered_rps and sent.count(s.offered_rps) < 2
              and strictly_inside(s.offered_rps, low, high)]
    if not inside:
        return None
    rates = [s.offered_rps for s in inside]
    middle = middle or ((low or min(rates)) + (high or max(rates))) / 2
    return min(inside, key=lambda s: abs(s.offered_rps - middle))


class NextStep(NamedTuple):
    """Where the next step goes (None: no step) and why: for the knee's fit (`fit`, which needs no decision of its
    own: at the middle of the fitted knee, or `past` a crossing that has no interval yet), or running again `again`,
    a stage that measured the machine (`fit` too where it lies outside the capacity's interval: its share still
    tells the fit, while a decision there moves neither end; deciding p99 at the gate's 15 req/s took 36 s, a
    default run's whole room for steps, 2026-12-08)."""
    rate: float | None
    fit: bool = False
    again: str | None = None
    past: bool = False


def next_rate(stages: list[Stage], cap: Capacity, aim: float, floor: float, saturation_rps: float | None = None,
              few: bool = False, prior_rps: float | None = None, servers: int = 1) -> float | None:
    """The rate of next_step."""
    return next_step(stages, cap, aim, floor, saturation_rps, few, prior_rps, servers).rate


def next_step(stages: list[Stage], cap: Capacity, aim: float, floor: float, saturation_rps: float | None = None,
              few: bool = False, prior_rps: float | None = None, servers: int = 1) -> NextStep:
    """Where the next step goes, from the run's capacity (as its report gives it) and the rates its evidence offered; no
    rate once the bracket is within `aim`, or where no step would tell more. First a stage that measured the machine,
    run again once where it tells the most (run_again). Where the knee's share fitted across the stages decided the
    interval at the typical speed, at that interval's middle (fitted_middle), unless that rate was offered twice
    already: a stage at the knee tells the fit the most (one 18 s step there, after the default-like ladder, left a
    median width of 28 % of the low end where the bracket's split left 41 %, the knee held 96.4 % of 500 draws); where
    the fit has its crossing but no interval, past it (past_the_crossing); with `few`, where its interval decided
    neither end, at its crossing (at_the_crossing). Each at the last stages' speed (at_recent_speed). Else from the
    bracket (with `few`, never under a stage that passed with confidence: highest_pass_under). Above a ladder that broke
    nothing, a quarter past its top (unless its top stage measured the generator), or a fifth past `saturation_rps`, the
    utilization law's saturation, where that lies further (at most twice the top) and the top kept the predictor busy at
    least PREDICTOR_BOUND of the time (else the prediction is not what saturates: a linear model's API): a ladder placed
    from a probe that ran while the machine was slowed tops out far under the knee, and a quarter at a time the budget
    ran out before anything failed ([51.4, ?] req/s where the API's prediction time put saturation near 67); under one
    that passed nothing, a quarter under its lowest stage above `floor` (the gated rate), or under the gated stage
    itself where that lands at or under it: a step is never gated (is_gated), and a run whose gate failed or stayed
    undecided still says how much the API takes (on a machine slowed by other work, a gate undecided at 15 req/s with
    every stage above it undecided or failing left 'below 24.8 req/s'); else the widest gap between the bracket's ends,
    split by every rate offered inside it (undecided ones too), or where none over `aim` is left, of the bracket the
    capacity is stated by at the typical speed (split_at_typical_speed). Where nothing passed, stepping where the
    shares the stages observed crossed an objective's limit instead lowered how often `make capacity`'s search held the
    knee (seeds 35 to 37, 1,000 draws: 93.4, 94.9 and 94.1 % against 94.4, 95.9 and 96.3 %): steps near the knee stay
    undecided, and the bracket gains nothing. With `few` (the budget leaves room for one or two steps: the default run),
    the fit at the rates offered steers too, where the target times no prediction: after the default-like ladder, one
    step there left a median width of 36 % of the low end where the bracket's split left 43 % (held 97.85 and 98.75 % of
    2,000 draws), two 27 % against 40 %; in make capacity's 300 s search, steps there held the knee only 91.65 % of the
    time (each more step near the knee one more chance for the fit to be wrong), so a search steps by the bracket."""
    if settled(cap, aim):
        return NextStep(None)
    low, high = cap.bracket_rps
    rates = sorted({s.offered_rps for s in evidence(stages)})
    if not rates:
        return NextStep(None)
    middle, past = fitted_middle(cap, few, saturation_rps), False
    if middle is None:   # where the fit has its crossing but no interval, a step past it (`servers` API processes)
        middle = past_the_crossing(stages, cap, servers)
        past = middle is not None
    if middle is None and few:   # a fit too wide to decide an end: a step at its crossing (the default run's few)
        middle = at_the_crossing(stages, cap, servers)
    middle = at_recent_speed(middle, stages, cap)
    again = run_again(stages, cap, middle or prior_rps)
    if again is not None:   # outside the capacity's interval, for the fit's share only: a decision there moves no end
        return NextStep(again.offered_rps,
                        again.offered_rps == middle or not strictly_inside(again.offered_rps, *cap.interval_rps),
                        again.name)
    if few:   # a split under a stage that passed with confidence cannot be the run's one or two steps' best use
        low = highest_pass_under(stages, low, high)
    rate = _rate_from_bracket(stages, low, high, rates, middle, aim, floor, saturation_rps)
    if rate is None:   # no gap left in req/s offered, but the capacity is stated by the stages' shares of saturation
        rate = at_recent_speed(split_at_typical_speed(stages, cap, aim, servers), stages, cap)
    fit = rate is not None and rate == middle
    return NextStep(rate, fit, None, fit and past)


def highest_pass_under(stages: list[Stage], low: float | None, high: float | None) -> float | None:
    """The highest rate under `high` whose stage met every objective with confidence, where that lies over the
    bracket's `low` (whose walk up stopped at an undecided stage under it)."""
    if low is None or high is None:
        return low
    passed = [s.offered_rps for s in evidence(stages) if met_with_confidence(s) and s.offered_rps < high]
    return max([low, *passed])


def _rate_from_bracket(stages: list[Stage], low, high, rates: list[float], middle: float | None, aim: float,
                       floor: float, saturation_rps: float | None) -> float | None:
    """next_step past a stage to run again: the fitted middle, the climb, the step under, or the bracket's split."""
    offered = [s.offered_rps for s in stages if s.offered_rps]
    if middle is not None and offered.count(middle) < 2:
        return middle
    if high is None:
        top = max(offered)
        bound = any(s.client.generator_bound and s.offered_rps >= top for s in stages)
        climb = top * CLIMB
        if saturation_rps and top >= PREDICTOR_BOUND * saturation_rps:   # the prediction is what saturates
            climb = max(climb, min(OVER_SATURATION * saturation_rps, JUMP * top))
        return None if bound or climb > MAX_RPS else round(climb, 1)
    if low is None:
        under = min((r for r in rates if floor < r < high), default=0.0) / CLIMB
        under = under if under > floor else rates[0] / CLIMB
        return round(under, 1) if under < high else None
    high = under_saturation(low, high, saturation_rps)
    a, b = widest_gap(low, high, rates)
    rate = round((a + b) / 2, 1)
    # A rate whose stage measured the machine may be tried again, once: twice says this machine will not tell.
    return rate if (b - a) / a > aim and offered.count(rate) < 2 else None


def split_at_typical_speed(stages: list[Stage], cap: Capacity, aim: float, servers: int = 1) -> float | None:
    """The middle of the widest gap wider than `aim` in the bracket the capacity at the typical speed is stated by
    (every stage placed at the share of its own saturation it offered, moved to the typical speed: the capacity's
    `speed`), under the saturation, in req/s at the typical speed; None where that bracket is not closed or has no
    such gap. The bracket in req/s offered may have none where this one is wide: a quiet default run's stage at the
    knee ran while a prediction took 14.8 ms against a typical 13.8 and failed, so the bracket offered was [57.6,
    66.5] req/s with a step at 63 inside it (no gap over 10 %), while the capacity it stated was [55.2, 71.1], 29 %;
    the run ended 35 s inside its budget with p50's share fitted at three stages, one short of a fit."""
    if cap.speed is None or None in cap.speed.bracket_pct:
        return None
    low, high = cap.speed.bracket_pct
    typical = cap.speed.typical_demand_ms
    placed = [100 * utilization_at(s, servers, typical) for s in evidence(stages) if stage_demand_ms(s)]
    high = min(high, SATURATION_PCT)
    if high == low:
        return None
    a, b = widest_gap(low, high, placed)
    return round(rate_at_share((a + b) / 2, servers, typical), 1) if (b - a) / a > aim else None


def widest_gap(low: float, high: float, inside: list[float]) -> tuple[float, float]:
    """The widest gap, relative to its low end, between `low` and `high` split by the points of `inside` between
    them."""
    points = sorted({low, high} | {p for p in inside if low < p < high})
    return max(zip(points, points[1:]), key=lambda gap: (gap[1] - gap[0]) / gap[0])
