"""Per-scrape quantiles compared between two runs: exact from the API's recording, a true change reads as itself;
interpolated in the histogram's buckets it does not (p99 read +7.9 % and p95 +13.5 % here)."""
import math

import numpy as np
import pytest

from common.contract import LATENCY_BUCKETS
from slo.stats.blocks import _quantile, recorded_per_block
from slo.stats.noise import judge_windows

EDGES = [*LATENCY_BUCKETS, math.inf]
BLOCKS, REQUESTS, DRAWS, TRUE_CHANGE = 26, 1300, 40, 0.10


def interpolated_per_block(latencies_ms: np.ndarray, q: float) -> list[float]:
    """What Prometheus's buckets give a block: histogram_quantile over its cumulative counts."""
    out = []
    for part in np.array_split(latencies_ms, BLOCKS):
        cumulative = [(le, float((part / 1000 <= le).sum())) for le in EDGES]
        out.append(1000 * _quantile(q, cumulative))
    return out


def exact_per_block(latencies_ms: np.ndarray, q: float) -> list[float]:
    return recorded_per_block(latencies_ms, BLOCKS, [q])[f"p{q * 100:g}_ms"]


def mean_read_change(per_block, q: float, seed: int) -> float:
    """The change judge_windows reads, averaged over DRAWS pairs of runs whose latencies differ by TRUE_CHANGE: a
    tight latency (20 ms, 12 % spread), whose tail sits in one or two buckets."""
    rng = np.random.default_rng(seed)
    read = []
    for _ in range(DRAWS):
        base, current = (scale * 20 * np.exp(rng.normal(0, 0.12, REQUESTS)) for scale in (1.0, 1 + TRUE_CHANGE))
        got = judge_windows([per_block(base, q)], [per_block(current, q)], 0.95)
        read.append(got["relative"]["shift"])
    return float(np.mean(read))


@pytest.mark.parametrize("q", [0.95, 0.99], ids=["p95", "p99"])
def test_a_true_change_in_a_quantile_reads_as_itself_from_the_recording_and_not_from_the_buckets(q):
    exact = mean_read_change(exact_per_block, q, seed=1)
    interpolated = mean_read_change(interpolated_per_block, q, seed=1)
    assert abs(exact - TRUE_CHANGE) < 0.015, exact
    assert abs(interpolated - TRUE_CHANGE) > 0.02, interpolated


def test_blocks_are_consecutive_runs_of_equal_size_in_time_order():
    latencies = np.arange(1, 101, dtype=float)   # rising through the window
    blocks = recorded_per_block(latencies, 4, [0.5])["p50_ms"]
    assert blocks == [13.0, 38.0, 63.0, 88.0]


@pytest.mark.parametrize("latencies, blocks", [(None, 3), ([5.0, 6.0], 3), ([5.0, 6.0], 0)],
                         ids=["no recording", "fewer requests than blocks", "no block"])
def test_too_little_recording_gives_no_exact_quantiles(latencies, blocks):
    assert recorded_per_block(latencies, blocks, [0.99]) == {}
