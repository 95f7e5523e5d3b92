"""How slow requests cluster, measured over a window and its neighbouring stages: batch means with growing sizes over
the requests in time order (or the scrape blocks), each window centred on its own share."""
import math
from types import SimpleNamespace

import numpy as np
import pytest

from slo.file.model import LatencyMean
from slo.stats import clustering, intervals, latency_mean, queue_memory
from slo.stats.confidence import Blocks
from slo.verdicts.kinds import MeanKind, QuantileKind
from slo.verdicts.kinds.latency import mean_method
from tests.slo.stats import simulate as sim


def _requests(run):
    return [(np.ones(len(c)), c) for c in run.counted]


@pytest.mark.parametrize("length, low, high", [(1, 0.8, 1.3), (10, 6.0, 14.0), (30, 18.0, 45.0)],
                         ids=["independent requests: about 1", "slow requests 10 in a row: about 10",
                              "slow requests 30 in a row: about 30"])
def test_the_design_effect_of_slow_requests_in_runs_is_about_their_length(length, low, high):
    run = sim.runs_of_slow(np.random.default_rng(length), 0.05, length, False, 60)
    got = clustering.estimate(_requests(run), "requests in time order")
    assert low <= got.deff <= high, got
    assert got.batches >= clustering.MIN_BATCHES and got.units == "requests in time order"


def test_no_window_that_counted_anything_gives_no_estimate():
    quiet = [(np.ones(500), np.zeros(500)) for _ in range(3)]
    assert clustering.estimate(quiet, "requests in time order") is None


def test_a_window_is_measured_with_its_neighbours_not_the_collapsed_stages_far_above_it():
    rng = np.random.default_rng(2)
    calm = sim.runs_of_slow(rng, 0.02, 1, False, 40, windows=3)
    collapsed = sim.runs_of_slow(rng, 0.5, 200, False, 40, windows=3)   # slow in runs of 200: a queue past the knee
    recorded = [np.where(c > 0, 200.0, 5.0) for c in calm.counted + collapsed.counted]   # ms, in time order
    evidences = [calm.evidence(w, with_run=False) for w in range(3)] * 2
    per_window = clustering.of_run(evidences, recorded, [0.1])
    assert per_window[0][0.1].deff < 2 < per_window[5][0.1].deff
    assert per_window[0][0.1].windows == clustering.NEIGHBOURS + 1


def test_without_the_recording_the_scrape_blocks_speak_for_any_api():
    run = sim.runs_of_slow(np.random.default_rng(3), 0.05, 10, False, 60, windows=3)
    evidences = [run.evidence(w, with_run=False) for w in range(3)]
    got = clustering.of_run(evidences, [None, None, None], [sim.EDGE])
    assert got[1][round(sim.EDGE, 6)].units == "scrape blocks" and got[1][round(sim.EDGE, 6)].deff > 2


def test_a_window_judged_with_the_runs_clustering_says_so():
    run = sim.runs_of_slow(np.random.default_rng(4), 0.05, 10, False, 60)
    c = QuantileKind().interval(intervals_objective(), run.evidence(5))
    assert c["design_effect"] >= run.clustering(5)[round(sim.EDGE, 6)].deff * 0.999
    assert "neighbouring windows of the run" in c["assumes"]


def intervals_objective():
    from slo.file.model import LatencyQuantile
    return LatencyQuantile(name="p95", kind="latency_quantile", quantile=0.95, threshold_ms=100)


def _mean_blocks(means_ms, n=40):
    return Blocks((float(n),) * len(means_ms), tuple(n * m / 1000 for m in means_ms))


@pytest.mark.parametrize("means, collapsed", [
    ([300 * 1.5 ** i for i in range(12)], True),
    ([45 + (3 if i % 2 else -3) for i in range(12)], False),
    ([35 + 5 * i for i in range(12)], False),
], ids=["every block over 40 ms and rising: the queue grew through the window",
        "every block over but steady: a stationary mean, judged by its interval",
        "rising but starting under the objective: not every block over"])
def test_a_queue_growing_through_its_window_is_judged_collapsed(means, collapsed):
    b = _mean_blocks(means)
    ev = intervals.Evidence(0.95, window_s=len(means), scrape_s=1.0, buckets={math.inf: b.total}, mean_blocks=b)
    got = MeanKind().interval(LatencyMean(name="mean", kind="latency_mean", threshold_ms=40), ev,
                         1000 * b.counted / b.total)
    assert bool(got.get("collapsed")) is collapsed
    if collapsed:
        assert got["decision"] == "fail" and got["low"] == pytest.approx(min(means), abs=0.01)
        assert got["low"] > 40   # never down to 0 when every block was over


def test_equal_latencies_are_no_correlation():
    b = _mean_blocks([22.0] * 30)
    assert queue_memory.memory([b]) == 0.0
    low, high, basis, se = latency_mean.mean_interval(b, b.counted / b.total, b.total, 0.95, 0.0)
    assert se is not None and "no interval" not in mean_method(basis)


def test_a_quiet_window_among_swinging_neighbours_takes_their_relative_spread():
    """A window whose block means barely moved (a queue that held none of its long spells) between two whose means
    swung by half: its mean's interval is drawn at their relative spread, not its own, and stays positive."""
    quiet, swinging = _mean_blocks([30.0, 31.0] * 10), _mean_blocks([20.0, 20.0, 45.0, 45.0] * 5)
    spread = clustering.of_run([SimpleNamespace(mean_blocks=b, error_blocks=None, bucket_blocks={})
                                for b in (swinging, quiet, swinging)], [None] * 3, [])[1]["mean_spread"]
    mean = quiet.counted / quiet.total
    own = latency_mean.mean_interval(quiet, mean, quiet.total, 0.95, None)
    run = latency_mean.mean_interval(quiet, mean, quiet.total, 0.95, None, run_spread=spread)
    assert run[0] < own[0] and run[1] > own[1] and run[0] > 0
    assert run[3] == pytest.approx(mean * math.sqrt(spread / quiet.total))
    assert "the relative spread the neighbouring windows measured" in mean_method(run.basis)


def test_a_mean_whose_blocks_swing_past_a_hundredfold_is_inconclusive_with_no_interval():
    """Half the window at 5 ms, half at 2 s, its blocks correlated (t with 2 df): an interval on the log scale would
    reach from microseconds to hours; none is given, and the mean stays undecided."""
    b = _mean_blocks([5.0] * 3 + [2000.0] * 3)
    got = MeanKind().interval(LatencyMean(name="mean", kind="latency_mean", threshold_ms=40),
                         intervals.Evidence(0.95, window_s=6, scrape_s=1.0, buckets={math.inf: b.total}, mean_blocks=b),
                         1000 * b.counted / b.total)
    assert got["decision"] == "inconclusive" and got["low"] == got["high"] and "no interval" in got["method"]


def test_a_collapsed_window_speaks_only_for_itself():
    rng = np.random.default_rng(5)
    calm = sim.runs_of_slow(rng, 0.02, 1, False, 40, windows=2)
    collapsed = sim.runs_of_slow(rng, 0.5, 200, False, 40, windows=1)
    recorded = [np.where(c > 0, 200.0, 5.0) for c in calm.counted + collapsed.counted]
    evidences = [calm.evidence(w, with_run=False) for w in range(2)] + [collapsed.evidence(0, with_run=False)]
    mixed = clustering.of_run(evidences, recorded, [0.1])
    apart = clustering.of_run(evidences, recorded, [0.1], collapsed=[False, False, True])
    assert apart[0][0.1].deff < 2 < mixed[0][0.1].deff and apart[0][0.1].windows == 2
    assert apart[2][0.1].windows == 3   # its own clustering still comes from its neighbours and itself


def _share_evidence(means_ms, slow, n=40):
    """A window of 40 requests a block: `slow[i]` of block i over the 100 ms edge, its mean latency `means_ms[i]`."""
    b = _mean_blocks(means_ms, n)
    keys = [((), float(i)) for i in range(len(means_ms))]
    return intervals.Evidence(0.95, window_s=len(means_ms), scrape_s=1.0,
                              buckets={0.1: b.total - sum(slow), math.inf: b.total},
                              bucket_blocks={0.1: {k: n - x for k, x in zip(keys, slow)},
                                             math.inf: {k: float(n) for k in keys}}, mean_blocks=b)


@pytest.mark.parametrize("means, slow, collapsed", [
    ([150 * 1.3 ** i for i in range(12)], [min(40, 4 + 3 * i) for i in range(12)], True),
    ([150 * 1.3 ** i for i in range(12)], [1] + [min(40, 4 + 3 * i) for i in range(1, 12)], False),
    ([150 + (3 if i % 2 else -3) for i in range(12)], [min(40, 4 + 3 * i) for i in range(12)], False),
], ids=["the queue grew and every block had more than 5 % over: the share fails as what it was",
        "one block under the allowed share: judged by its interval",
        "every block over but a steady mean: judged by its interval"])
def test_a_share_in_a_window_the_queue_grew_through(means, slow, collapsed):
    got = QuantileKind().interval(intervals_objective(), _share_evidence(means, slow))
    assert bool(got.get("collapsed")) is collapsed
    if collapsed:
        assert got["decision"] == "fail" and got["low"] == pytest.approx(4 / 40) and got["high"] == pytest.approx(37 / 40)
        assert "the queue grew through the window" in got["method"]


def _fresh(run: sim.Run) -> sim.Run:
    """The same run with nothing measured yet."""
    return sim.Run(run.blocks, run.counted, run.latency, run.rates)


def _grown(rng) -> sim.Run:
    ladder = sim.Ladder(rng, 45, 15)
    for rate in (15, 30, 40, 48):
        ladder.stage(rate, 27)
    [ladder.run.clustering(w) for w in range(4)]   # measured before it grows
    ladder.stage(35, 18, idle_s=12)   # under the stages before it: their neighbour now
    return ladder.run


def _cut(rng) -> sim.Run:
    run = sim.ladder(rng, 45)[0]
    [run.clustering(w) for w in range(len(run.counted))]   # measured before the look
    return run.upto(len(run.counted) - 1, 9)


@pytest.mark.parametrize("make", [_grown, _cut],
                         ids=["a ladder measured, then grown by a step", "a run measured, then cut at a look"])
def test_what_the_simulation_keeps_of_a_windows_clustering_is_what_the_whole_run_measures_afresh(make):
    """The coverage simulations keep each window's clustering while its neighbours are unchanged (simulate.Run): a
    window's, measured over its neighbours alone, is the one of_run measures over the whole run."""
    run = make(np.random.default_rng(8))
    windows = range(len(run.counted))
    kept = [run.clustering(w) for w in windows]
    assert kept == [_fresh(run).clustering(w) for w in windows]
    assert kept[-1] != _fresh(run).clustering(0)
