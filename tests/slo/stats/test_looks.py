"""Looks at a stage before its end (slo/stats/looks.py): Pocock's per-look level, and the promise it keeps. A stage on
its objective, judged at every planned look and stopped at the first that decides it, is confidently wrong no more
often than the level allows a side, with slow requests in runs and a real queue; judged at the file's own level at
every look, more often than one look at its end. And a floor: at twice the limit it still fails by its last look often enough to be worth it.

The promise is drawn 10,000 times a case in `make coverage` (with the cost of looking at the file's own level);
`make test` draws 1,000 times from one case, against three standard errors, and the power floor. The rates measured are in docs/trusting-the-numbers.md.
"""

import numpy as np
import pytest
from scipy import stats

from slo.file.model import LatencyQuantile
from slo.stats import intervals
from slo.stats.looks import Looks, pocock_level
from slo.verdicts.kinds import QuantileKind
from tests.slo.stats import simulate as sim
from tests.slo.stats.test_coverage import FULL, MIDDLE, SERVICE_S, rates, within_the_level

LEVEL = 0.95
BLOCKS = 40          # a stage's longest measured window, one-second blocks
PLAN = Looks.spread(3, 0.5, LEVEL)   # a refinement step's default plan: looks at half, three quarters and all of it


@pytest.mark.parametrize("shares, z", [((1.0,), 1.960), ((0.5, 1.0), 2.178), ((1 / 3, 2 / 3, 1.0), 2.289),
                                       ((0.25, 0.5, 0.75, 1.0), 2.361)],
                         ids=["one look is the level itself", "two looks evenly spaced: Pocock's 2.178",
                              "three looks evenly spaced: Pocock's 2.289", "four looks evenly spaced: Pocock's 2.361"])
def test_each_look_judges_at_pococks_boundary(shares, z):
    got = stats.norm.isf((1 - pocock_level(tuple(round(s, 6) for s in shares), LEVEL)) / 2)
    assert got == pytest.approx(z, abs=0.002)


@pytest.mark.parametrize("count, first, shares", [(3, 0.5, (0.5, 0.75, 1.0)), (1, 0.5, (1.0,)), (3, 0.97, (1.0,)),
                                                  (2, 0.4, (0.4, 1.0))],
                         ids=["three looks from half the longest length", "one look is the stage's end",
                              "a first look at the end leaves room for no other", "two looks"])
def test_looks_are_spread_from_the_first_to_the_end(count, first, shares):
    assert Looks.spread(count, first, LEVEL).shares == shares


@pytest.mark.parametrize("shares", [(), (0.5, 0.4, 1.0), (0.5, 0.9), (0.0, 1.0)],
                         ids=["no look", "looks that do not rise", "a last look before the end", "a look at the start"])
def test_a_plan_that_is_no_plan_is_refused(shares):
    with pytest.raises(ValueError, match="looks"):
        Looks(shares, LEVEL)


def sequential(run: sim.Run, o: LatencyQuantile, plan: Looks, level: float) -> str | None:
    """The middle window judged at each look at `level`, stopped at the first decision; the last look's otherwise."""
    decision = None
    for share in plan.shares:
        evidence = intervals.with_level(run.upto(MIDDLE, round(share * BLOCKS)).evidence(MIDDLE), level)
        decision = QuantileKind().interval(o, evidence)["decision"]
        if decision in ("pass", "fail"):
            return decision
    return decision


def draw(make, share: float, draws: int, seed: int, level: float, plan: Looks = PLAN) -> list:
    rng = np.random.default_rng(seed)
    o = LatencyQuantile(name="q", kind="latency_quantile", quantile=round(1 - share, 6), threshold_ms=100)
    return [sequential(make(rng), o, plan, level) for _ in range(draws)]


def runs_of(length: int, geometric: bool, share: float = 0.05, rate: float = 24):
    return lambda rng: sim.runs_of_slow(rng, share, length, geometric, rate, blocks=BLOCKS)


def queue_at(utilization: float, deterministic: bool):
    threshold = sim.stationary_tail(utilization, SERVICE_S, 0.05, deterministic)
    holder = {}

    def make(rng):
        queue = holder.setdefault("queue", sim.Queue(rng, utilization, SERVICE_S, deterministic))
        return sim.queue_run(queue, threshold, blocks=BLOCKS)
    return make


CASES = [("slow requests in runs of 10", runs_of(10, False)), ("slow requests in geometric runs of 3", runs_of(3, True)),
         ("an M/D/1 queue at utilization 0.8", queue_at(0.8, True)),
         ("an M/M/1 queue at utilization 0.6", queue_at(0.6, False))]


@pytest.mark.coverage
@pytest.mark.parametrize("make", [m for _, m in CASES], ids=[f"{n}, looked at three times" for n, _ in CASES])
def test_a_stage_looked_at_keeps_the_promise(make, record_property):
    false_pass, false_fail = rates(draw(make, 0.05, FULL, 7, PLAN.per_look_level))
    record_property("rates", f"{false_pass:.4f} {false_fail:.4f}")
    assert within_the_level(false_pass, FULL) and within_the_level(false_fail, FULL), (false_pass, false_fail)


def test_a_quick_look_at_the_looks_promise():
    """make test's share: 1,000 draws of slow requests in runs of 10, three standard errors."""
    false_pass, false_fail = rates(draw(runs_of(10, False), 0.05, 1000, 3, PLAN.per_look_level))
    assert within_the_level(false_pass, 1000, 3) and within_the_level(false_fail, 1000, 3), (false_pass, false_fail)


@pytest.mark.coverage
def test_looking_three_times_at_the_files_level_costs_what_pococks_level_gives_back():
    """Why looks judge at a stricter level: at the file's own level, three looks give a confident verdict on a stage
    sitting on its objective more often than one look at its end does (with independent requests, 3.9 % against
    2.5 % over both sides in 2,000 draws); at Pocock's level, no more often. The same draws each way."""
    single, naive, pocock = [sum(rates(draw(runs_of(1, False), 0.05, 1000, 5, level, plan)))
                             for plan, level in ((Looks((1.0,), LEVEL), LEVEL), (PLAN, LEVEL),
                                                 (PLAN, PLAN.per_look_level))]
    assert naive > single + 0.005 and pocock <= single, (single, naive, pocock)


def test_twice_the_limit_still_fails_by_the_last_look():
    """The floor against useless width: p95's share truly 10 %, at a refinement step's counts (24 requests a second,
    40 s at most), fails by its last look at least 80 % of the time."""
    fails = rates(draw(runs_of(1, False, share=0.10), 0.05, 1000, 11, PLAN.per_look_level))[1]
    assert fails >= 0.80, fails
