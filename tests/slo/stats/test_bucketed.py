"""A quantile read from histogram buckets and compared with a baseline's: its interval bounded by the buckets holds
the true change at the promised level, wherever inside its bucket each true quantile lies; interpolated alone, it
did not (a true change on the limit called regressed or no regression far more often than 2.5 % a side).

Drawn as a target without a recording is judged: latencies cut into 26 scrapes of 50 requests, each scrape's
quantile interpolated in the API's buckets (common/contract.py) with its bucket kept, and compared by judge_windows.
`make test` draws 1,000 times a case against three standard errors; `make coverage` 10,000 against two.
"""
import math

import numpy as np
import pytest

from common.contract import LATENCY_BUCKETS
from slo.stats.blocks import _quantile
from slo.stats.figures import bucket_bounds
from slo.stats.bucketed import fastest, slowest, within_buckets
from slo.stats.noise import judge_windows
from slo.verdicts.change_call import call
from tests.slo.stats.test_coverage import within_the_level

EDGES = [*LATENCY_BUCKETS, math.inf]
SCRAPES, PER_SCRAPE, LIMIT, LEVEL = 26, 50, 0.10, 0.95


def scraped(latencies_s: np.ndarray, q: float) -> tuple[list[float], list[tuple]]:
    """Each scrape's quantile as the report keeps it (ms): interpolated in its bucket, and the bucket's edges."""
    values, buckets = [], []
    for part in np.array_split(latencies_s, SCRAPES):
        cumulative = [(le, float(c)) for le, c in zip(EDGES, np.searchsorted(np.sort(part), EDGES, side="right"))]
        low, high = bucket_bounds(q, dict(cumulative))
        values.append(1000 * _quantile(q, cumulative))
        buckets.append((1000 * low, None if math.isinf(high) else 1000 * high))
    return values, buckets


def verdicts(q: float, change: float, median_ms: float, spread: float, draws: int, seed: int) -> tuple[dict, dict]:
    """How often each verdict came, bounded by the buckets and interpolated alone, over `draws` pairs of runs whose
    every latency differs by `change` (lognormal about `median_ms`)."""
    rng = np.random.default_rng(seed)
    bounded: dict[str, int] = {}
    alone: dict[str, int] = {}
    for _ in range(draws):
        old, new = (scraped(scale * median_ms / 1000 * np.exp(rng.normal(0, spread, SCRAPES * PER_SCRAPE)), q)
                    for scale in (1.0, 1 + change))
        got = call(judge_windows([old[0]], [new[0]], LEVEL, buckets=(old[1], new[1])), LIMIT, True)
        bounded[got["verdict"]] = bounded.get(got["verdict"], 0) + 1
        alone[got["interpolated"]["verdict"]] = alone.get(got["interpolated"]["verdict"], 0) + 1
    return ({k: v / draws for k, v in bounded.items()}, {k: v / draws for k, v in alone.items()})


# (quantile, median ms, spread): a tight latency whose tail sits in one or two buckets, and a wide one.
SHAPES = [(0.95, 20.0, 0.12), (0.99, 20.0, 0.12), (0.95, 60.0, 0.3), (0.99, 60.0, 0.3)]
SHAPE_IDS = ["p95 of a tight latency", "p99 of a tight latency", "p95 of a wide latency", "p99 of a wide latency"]


def _on_the_limit(shape: tuple, draws: int, sds: float) -> tuple[dict, dict]:
    q, median_ms, spread = shape
    bounded, alone = verdicts(q, LIMIT, median_ms, spread, draws, seed=int(q * 100 + median_ms))
    for wrong in ("regressed", "no regression"):
        assert within_the_level(bounded.get(wrong, 0.0), draws, sds), (wrong, bounded, alone)
    return bounded, alone


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_a_true_change_on_the_limit_is_called_either_way_within_the_level_once_bounded(shape):
    """Interpolated alone, p95 of the tight latency was called regressed 75.4 % of the time, its p99 no regression
    34.6 %, the wide ones 7.8 % and 25.2 % (1,000 draws; 74.4, 34.3, 7.3 and 23.6 % at 10,000); bounded, none."""
    _on_the_limit(shape, 1000, sds=3.0)


def test_interpolated_alone_a_change_on_the_limit_was_called_with_confidence_far_past_the_level():
    """What the bounds mend, so that the test above can fail: the tight p95's interpolated readings, alone."""
    _, alone = verdicts(0.95, LIMIT, 20.0, 0.12, 300, seed=115)
    assert alone.get("regressed", 0.0) > 0.3, alone


@pytest.mark.coverage
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_at_10000_draws_a_change_on_the_limit_is_called_either_way_within_the_level(shape):
    _on_the_limit(shape, 10_000, sds=2.0)


@pytest.mark.parametrize("median_ms, spread", [(20.0, 0.12), (60.0, 0.3)], ids=["a tight latency", "a wide one"])
def test_a_doubling_of_p99_is_still_seen_through_the_buckets(median_ms, spread):
    """The power the bounds leave: a change wider than any bucket (the widest near these latencies is 1.5 times its
    lower edge) is called regressed nearly always (500 draws: 100 % of both); a change smaller than a bucket cannot
    be told from the buckets (+50 %: 1.2 and 0 %)."""
    bounded, _ = verdicts(0.99, 1.0, median_ms, spread, 200, seed=7)
    assert bounded.get("regressed", 0.0) >= 0.8, bounded


def _judge(old: list[float], new: list[float]) -> dict:
    """A stand-in judge: the change of the medians, its interval the points' own range."""
    ratio = [n / o for o in old for n in new]
    return {"p_value": 0.5, "method": "m",
            "relative": {"shift": float(np.median(ratio)) - 1, "low": min(ratio) - 1, "high": max(ratio) - 1}}


@pytest.mark.parametrize("old, new, low, high, verdict", [
    ([(1.5, 2.0)], [(1.5, 2.0)], 1.5 / 2 - 1, 2 / 1.5 - 1, "cannot tell"),
    ([(1.5, 2.0)], [(3.0, 4.0)], 3 / 2 - 1, 4 / 1.5 - 1, "regressed"),
    ([(20.0, 25.0)], [(20.0, 20.0)], 20 / 25 - 1, 0.0, "no regression"),
    ([(2000.0, None)], [(20.0, 25.0)], -1.0, 25 / 2000 - 1, "improved"),
    ([(20.0, 25.0)], [(2000.0, None)], 2000 / 25 - 1, None, "regressed"),
    ([(0.0, 0.25)], [(20.0, 25.0)], 20 / 0.25 - 1, None, "regressed"),
], ids=["one bucket a side: the change anywhere within it", "two buckets apart: regressed by half at least",
        "an exact point against a bucket just above it", "from past the last edge down: no bound below",
        "up past the last edge: no bound above", "up from the first bucket: no bound above"])
def test_each_end_is_judged_at_the_buckets_edges_that_favour_it(old, new, low, high, verdict):
    got = call(within_buckets(_judge, old, new, _judge([1.0], [1.0])), LIMIT, True)
    assert got["relative"]["low"] == pytest.approx(low) and got["verdict"] == verdict
    assert got["relative"]["high"] == (None if high is None else pytest.approx(high))


@pytest.mark.parametrize("buckets, fast, slow", [
    ([(1.0, 2.0), (2.0, 3.0)], [1.0, 2.0], [2.0, 3.0]),
    ([(0.0, 0.25), (2.0, 3.0)], None, [0.25, 3.0]),
    ([(2000.0, None)], [2000.0], None),
], ids=["within the edges", "the first bucket has no lower bound", "past the last edge has no upper bound"])
def test_the_fastest_and_slowest_readings_a_side_allows(buckets, fast, slow):
    assert fastest(buckets) == fast and slowest(buckets) == slow
