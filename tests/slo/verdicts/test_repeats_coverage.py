"""Pooled repeats hold their level where the machine's speed moves between runs: each run's share over the threshold
is the typical machine's times a lognormal factor (sigma in log terms), slow requests come in bursts within a run,
and the typical share sits exactly on the limit, so any confident verdict is wrong. Without a history the spread
between runs has runs - 1 degrees of freedom; with earlier runs like these (slobench/history.like_runs) theirs join
it, and the power comes back.

`make test` draws 1,000 times a case against three standard errors; `make coverage` 10,000 against two.
"""
import numpy as np
import pytest

from slo.stats import confidence
from slo.verdicts.repeats import _pooled_share
from slo.verdicts.report import ObjectiveResult
from tests.slo.stats.test_coverage import within_the_level

LIMIT, LEVEL = 0.01, 0.95
BLOCKS, PER_BLOCK = 30, 100   # a gated stage's scrapes and requests to /predict in each, about the default run's


def run_row(rng, share: float, burst: int) -> ObjectiveResult:
    """One run's p99 objective as its report keeps it: counts over the threshold and its own design effect, the
    slow requests in bursts of `burst` within blocks."""
    n = np.full(BLOCKS, PER_BLOCK)
    x = rng.binomial(n // burst, min(share, 1.0)) * burst
    blocks = confidence.Blocks(tuple(map(float, n)), tuple(map(float, x)))
    conf = {"level": LEVEL, "limit": LIMIT, "requests": int(n.sum()), "counted": int(x.sum()),
            "design_effect": confidence.dependence(blocks, LEVEL).deff, "blocks": BLOCKS,
            "terms": "share of requests"}
    return ObjectiveResult(name="p99", kind="latency_quantile", status="inconclusive", confidence=conf)


def decisions(runs: int, earlier: int, sigma: float, scale: float, draws: int, seed: int, burst: int = 3) -> dict:
    """How often each pooled decision came over `draws` sets of `runs` runs (and `earlier` runs in the history), the
    typical machine's share `scale` times the limit."""
    rng = np.random.default_rng(seed)
    counts: dict[str, int] = {}
    for _ in range(draws):
        shares = scale * LIMIT * np.exp(sigma * rng.standard_normal(runs + earlier) - sigma ** 2 / 2)
        rows = [run_row(rng, s, burst) for s in shares]
        got = _pooled_share(rows[:runs], LEVEL, rows[runs:]).decision
        counts[got] = counts.get(got, 0) + 1
    return {k: v / draws for k, v in counts.items()}


# (runs in the set, earlier runs in the history, the machines' spread in log terms)
CASES = [(2, 0, 0.3), (3, 0, 0.3), (2, 0, 0.6), (3, 0, 0.0), (2, 8, 0.3), (3, 8, 0.6), (3, 8, 0.0)]
CASE_IDS = ["two runs on machines 30 % apart", "three runs on machines 30 % apart", "two runs 60 % apart",
            "three runs on one speed", "two runs with eight earlier ones, 30 % apart",
            "three runs with eight earlier ones, 60 % apart", "three runs with eight earlier ones on one speed"]


def _on_the_limit(case: tuple, draws: int, sds: float) -> dict:
    runs, earlier, sigma = case
    got = decisions(runs, earlier, sigma, 1.0, draws, seed=100 * runs + 10 * earlier + int(10 * sigma))
    for wrong in ("pass", "fail"):
        assert within_the_level(got.get(wrong, 0.0), draws, sds), (wrong, got)
    return got


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_a_set_whose_typical_share_is_on_the_limit_is_decided_either_way_within_the_level(case):
    """Taking the blocks' df wherever a run's own spread was the larger, two runs 60 % apart passed falsely 6.38 %
    of the time (10,000 draws; 1.85 % 30 % apart, 0.41 % on one speed); none pass or fail falsely this way, and with
    eight earlier runs at most 1.8 % a side."""
    _on_the_limit(case, 1000, sds=3.0)


@pytest.mark.coverage
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_at_10000_draws_a_set_on_the_limit_is_decided_either_way_within_the_level(case):
    _on_the_limit(case, 10_000, sds=2.0)


@pytest.mark.parametrize("scale, decision, floor", [(0.5, "pass", 0.35), (2.0, "fail", 0.8)],
                         ids=["three runs at half the limit with a history pass", "at twice the limit they fail"])
def test_with_a_history_three_runs_decide_a_share_far_from_the_limit(scale, decision, floor):
    """The power the history gives back (a machine of one speed, eight earlier runs; 10,000 draws): at half the
    limit 49 % pass, at twice it 92 % fail. Without a history three runs' spread has 2 df: 0.6 % and 20 %, where
    taking the blocks' df gave 44 and 76 % at the cost of the level. Machines 30 % apart: 25 and 44 % with a
    history."""
    assert decisions(3, 8, 0.0, scale, 300, seed=5).get(decision, 0.0) >= floor
