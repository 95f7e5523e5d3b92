"""A stage's share over a threshold read from its whole tail: what an exponential tail gives beyond the requests
that reached the threshold, how its variance grows when slow requests come together, and where it says nothing."""
import math

import numpy as np
import pytest
from scipy import stats

from slo.stats import tail
from tests.slo.stats import simulate as sim


def _z(read, truth: float) -> float:
    return (read.log_share - math.log(truth)) / math.sqrt(read.variance)


@pytest.mark.parametrize("threshold_ms, truth", [(60.0, math.exp(-3.0)), (120.0, math.exp(-6.0))],
                         ids=["a threshold some requests reached", "a threshold far beyond every request"])
def test_an_exponential_tails_share_is_read_beyond_the_requests_that_reached_it(threshold_ms, truth):
    """Latencies Exp(mean 20 ms): P(T > t) = exp(-t / 20)."""
    rng = np.random.default_rng(7)
    z = [_z(tail.share_over(rng.exponential(20.0, 600), threshold_ms, 20), truth) for _ in range(400)]
    assert abs(np.mean(z)) < 0.25 and 0.6 < np.std(z) < 1.1, (np.mean(z), np.std(z))


@pytest.mark.parametrize("utilization, low", [(0.5, 0.93), (0.7, 0.90)],
                         ids=["at half load it holds its level", "at 70 % about 92 %: the fit's dispersion and t "
                              "carry the rest"])
def test_its_interval_holds_an_m_m_1_queues_share(utilization, low):
    """Sojourns of an M/M/1 queue in time order, 22 s a window: the 95 % interval of the share over its p95 (the
    variance widened to its batches' t) holds the stationary share (the requests' own clustering taken from batches
    of consecutive requests). Near the knee a window's few batches understate a queue's memory: the fit across
    stages allows for that (its dispersion, t at its own df), and its coverage is what make coverage holds."""
    rng = np.random.default_rng(11)
    queue = sim.Queue(rng, utilization, sim.SERVICE_S, False)
    threshold = math.log(20) / ((1 - utilization) / sim.SERVICE_S)
    held = []
    for _ in range(600):
        read = tail.share_over(queue.latencies(22)[1] * 1000, threshold * 1000, 22)
        held.append(abs(_z(read, 0.05)) <= stats.norm.ppf(0.975))
    assert low <= np.mean(held) <= 0.99, np.mean(held)


def test_slow_requests_that_come_together_widen_it():
    rng = np.random.default_rng(3)
    lat = rng.exponential(20.0, 1000)
    together = np.sort(lat)[np.argsort(np.argsort(np.repeat(rng.normal(size=50), 20) + 0.3 * rng.normal(size=1000)))]
    apart, grouped = tail.share_over(lat, 100.0, 20), tail.share_over(together, 100.0, 20)
    assert grouped.log_share == pytest.approx(apart.log_share) and grouped.variance > 3 * apart.variance


@pytest.mark.parametrize("latencies", [np.full(8, 10.0), np.full(200, 10.0)],
                         ids=["too few requests", "no tail: every latency the same"])
def test_no_reading_where_the_tail_holds_too_little(latencies):
    assert tail.share_over(latencies, 50.0, 10) is None


def test_a_threshold_under_the_stages_upper_latencies_is_read_from_the_requests_over_it():
    lat = np.random.default_rng(5).exponential(20.0, 2000)
    read = tail.share_over(lat, 10.0, 20)
    assert read.from_ms == 10.0 and read.log_share == pytest.approx(math.log(read.observed))


@pytest.mark.parametrize("seen_ms, server_means_ms, offset", [
    ([np.array([11.0, 21.0, 31.0]), np.array([41.0, 61.0])], [20.0, 50.0], 1.0),
    ([np.array([11.0]), np.array([21.5]), np.array([31.2]), np.array([2330.0])], [10.0, 20.0, 30.0, 30.0], 1.35),
    ([None, np.array([])], [20.0, 30.0], None),
    ([np.array([11.0])], [None], None),
], ids=["a millisecond longer at every stage", "a stage queued in the kernel past saturation does not move it",
        "no stage the generator timed", "no stage the server timed"])
def test_the_generators_offset_is_the_median_gap_between_its_means_and_the_servers(seen_ms, server_means_ms,
                                                                                     offset):
    assert tail.generator_offset_ms(seen_ms, server_means_ms) == (None if offset is None else pytest.approx(offset))


def test_a_tail_read_from_the_generator_says_so():
    lat = np.random.default_rng(3).exponential(20.0, 600)
    assert "source" not in tail.share_over(lat, 60.0, 20).as_dict()
    assert tail.share_over(lat, 60.0, 20, tail.GENERATOR).as_dict()["source"] == "generator"
