"""Every interval the report prints keeps its promise: drawn from a known truth placed exactly on the objective, a
confident verdict either way comes no more often than the level allows (2.5 % a side at 95 %, within two standard
errors of the simulation), with clustering the estimators were not built around: slow requests in runs that
straddle blocks, shares drifting from scrape to scrape, real queues near saturation, correlated means. And a floor
against useless width: at twice the limit, a FAIL comes often enough.

The full grid draws 10,000 times a case, the capacity's included (`make coverage`, marker `coverage`, about 28
minutes on two cores); `make test` draws 1,000 or 2,000 times from a few of its cases, against three standard
errors. Each case's rates before and after the run's clustering was measured are in docs/trusting-the-numbers.md.
"""
import math
from dataclasses import dataclass, replace

import numpy as np
import pytest
from scipy import stats

from slo.stats import confidence as ci, intervals, latency_mean
from slo.stats.confidence import Blocks
from slo.file.model import ErrorRatio, LatencyMean, LatencyQuantile, RatioSli, Throughput
from slo.verdicts.kinds import ErrorRatioKind, MeanKind, QuantileKind, RatioSliKind, ThroughputKind
from slo.verdicts.kinds.latency import mean_method
from tests.slo.fakes import judged_stages
from tests.slo.stats import simulate as sim

LEVEL, SIDE = 0.95, 0.025
FULL, QUICK = 10_000, 2_000
SERVICE_S = 0.012
MIDDLE = 3   # the judged window of a six-window run: two neighbours before it, two after


def within_the_level(rate: float, trials: int, sds: float = 2.0) -> bool:
    return rate <= SIDE + sds * math.sqrt(SIDE * (1 - SIDE) / trials)


def rates(decisions: list[str]) -> tuple[float, float]:
    return decisions.count("pass") / len(decisions), decisions.count("fail") / len(decisions)


def objective(share: float) -> LatencyQuantile:
    return LatencyQuantile(name="q", kind="latency_quantile", quantile=round(1 - share, 6), threshold_ms=100)


def judged(make, share: float, draws: int, seed: int) -> list[str]:
    """The middle window of each of `draws` runs (a stage with neighbours either side), judged with the clustering
    the evaluator measures around it."""
    rng = np.random.default_rng(seed)
    o = objective(share)
    decisions = []
    for _ in range(draws):
        run = make(rng)
        decisions.append(QuantileKind().interval(o, run.evidence(len(run.blocks) // 2))["decision"])
    return decisions


def runs_case(length: int, geometric: bool, per_window: float, scale: float = 1.0):
    """Slow requests in runs of `length` (fixed or geometric), `per_window` runs a 27 s window on the limit: p99's
    1 % where that leaves at least 200 requests a window, else p95's 5 %."""
    share = 0.01 if per_window * length <= 30 else 0.05
    rate = per_window * length / share / 27
    return share, lambda rng: sim.runs_of_slow(rng, scale * share, length, geometric, rate)


def queue_case(utilization: float, deterministic: bool, scale: float = 1.0):
    """p95's threshold placed on the queue's stationary 95th percentile (at scale 2: on its 90th)."""
    threshold = sim.stationary_tail(utilization, SERVICE_S, 0.05 * scale, deterministic)
    holder = {}

    def make(rng):
        queue = holder.setdefault("queue", sim.Queue(rng, utilization, SERVICE_S, deterministic))
        return sim.queue_run(queue, threshold)
    return 0.05, make


RUNS = [(length, geometric, per_window) for length in (3, 10, 30) for geometric in (False, True)
        for per_window in (0.4, 4)]
RUNS_IDS = [f"slow requests in {'geometric ' if g else ''}runs of {n}, {w} runs a window" for n, g, w in RUNS]
# Windows that held no slow request cannot show how they cluster: runs of 10 or 30 at 0.4 a window leave a window
# and the two before it all empty often enough (e^-1.2, 30 %) that no estimate from the run can hold them. Those
# cases are held to the level only among runs whose judged window or its neighbours showed a slow request.
RARE = {(10, False, 0.4), (10, True, 0.4), (30, False, 0.4), (30, True, 0.4)}


@pytest.mark.coverage
@pytest.mark.parametrize("length, geometric, per_window", RUNS, ids=RUNS_IDS)
def test_a_share_whose_slow_requests_come_in_runs(length, geometric, per_window, record_property):
    share, make = runs_case(length, geometric, per_window)
    rng = np.random.default_rng(length * 100 + int(per_window * 10) + geometric)
    o = objective(share)
    got, showed = [], []
    for _ in range(FULL):
        run, w = make(rng), MIDDLE
        got.append(QuantileKind().interval(o, run.evidence(w))["decision"])
        showed.append(any(run.counted[i].any() for i in run.neighbours(w)))
    if (length, geometric, per_window) in RARE:
        got = [d for d, s in zip(got, showed) if s]
    false_pass, false_fail = rates(got)
    record_property("rates", f"{false_pass:.4f} {false_fail:.4f}")
    assert within_the_level(false_pass, len(got)) and within_the_level(false_fail, len(got)), (false_pass, false_fail)


def from_the_scrape_blocks(make):
    """`make`'s runs with their clustering measured from the scrape blocks, as for an API that records nothing."""
    return lambda rng: replace(make(rng), by_blocks=True)


BLOCKS = [("slow requests in geometric runs of 10, 4 a window", runs_case(10, True, 4)),
          ("slow requests in runs of 30, 4 a window", runs_case(30, False, 4)),
          ("an M/D/1 queue at utilization 0.8", queue_case(0.8, True)),
          ("an M/M/1 queue at utilization 0.8", queue_case(0.8, False))]


@pytest.mark.coverage
@pytest.mark.parametrize("share, make", [case for _, case in BLOCKS],
                         ids=[f"{name}, clustering from the scrape blocks" for name, _ in BLOCKS])
def test_a_share_of_an_api_that_records_nothing(share, make, record_property):
    """Where the API keeps no recording, a window's clustering is measured from its neighbours' scrape blocks at the
    threshold's bucket edge (slo.stats.clustering.of_run), not request by request: held all the same. 10,000 draws,
    PASS / FAIL: 0.33 / 0.38, 0.91 / 0.67, 0.49 / 0.33 and 0.53 / 0.21 %; on 2,000 other draws the same runs
    measured request by request gave each side within 0.1 point of the scrape blocks' (2026-12-08)."""
    false_pass, false_fail = rates(judged(from_the_scrape_blocks(make), share, FULL, 29))
    record_property("rates", f"{false_pass:.4f} {false_fail:.4f}")
    assert within_the_level(false_pass, FULL) and within_the_level(false_fail, FULL), (false_pass, false_fail)


@pytest.mark.coverage
@pytest.mark.parametrize("rho", [0.5], ids=["a share drifting with lag-1 correlation 0.5"])
def test_a_share_drifting_from_scrape_to_scrape(rho, record_property):
    false_pass, false_fail = rates(judged(lambda rng: sim.drifting(rng, 0.05, rho, 33), 0.05, FULL, int(rho * 100)))
    record_property("rates", f"{false_pass:.4f} {false_fail:.4f}")
    assert within_the_level(false_pass, FULL) and within_the_level(false_fail, FULL), (false_pass, false_fail)


@pytest.mark.coverage
@pytest.mark.parametrize("utilization, deterministic", [(u, d) for d in (False, True) for u in (0.6, 0.8)],
                         ids=[f"an M/{'D' if d else 'M'}/1 queue at utilization {u}" for d in (False, True)
                              for u in (0.6, 0.8)])
def test_a_queues_tail_share_on_its_threshold(utilization, deterministic, record_property):
    share, make = queue_case(utilization, deterministic)
    false_pass, false_fail = rates(judged(make, share, FULL, int(utilization * 100) + deterministic))
    record_property("rates", f"{false_pass:.4f} {false_fail:.4f}")
    assert within_the_level(false_pass, FULL) and within_the_level(false_fail, FULL), (false_pass, false_fail)


@pytest.mark.coverage
@pytest.mark.parametrize("deterministic, bound", [(True, 0.045), (False, 0.065)],
                         ids=["an M/D/1 queue at utilization 0.94", "an M/M/1 queue at utilization 0.94"])
def test_a_queue_at_the_knee_is_what_no_window_can_hold(deterministic, bound, record_property):
    """At 0.94 a 27 s window's share has a design effect near 700 (about 3 independent requests): windows with no
    slow request, among neighbours that held few, still pass. Held here to what the neighbours' clustering and the
    latency's memory reach (3.2 % and 5.3 % of 10,000 draws, 3.4 and 5.5 % of 5,000; 50 % and 62 % before), so that a
    change that loses them fails."""
    share, make = queue_case(0.94, deterministic)
    false_pass, false_fail = rates(judged(make, share, FULL, 94 + deterministic))
    record_property("rates", f"{false_pass:.4f} {false_fail:.4f}")
    assert false_pass < bound and within_the_level(false_fail, FULL), (false_pass, false_fail)


@pytest.mark.coverage
@pytest.mark.parametrize("rho, bound_pass, bound_fail", [(0.8, 0.05, 0.05), (0.95, 0.17, 0.125)],
                         ids=["a share drifting with lag-1 correlation 0.8",
                              "a share drifting with lag-1 correlation 0.95"])
def test_a_share_drifting_too_slowly_for_a_window_to_tell(rho, bound_pass, bound_fail, record_property):
    """The requests' own binomial noise dilutes the drift's lag-1 correlation in a window's blocks (0.8 reads about
    0.3), and at 0.95 a window holds about one independent share: what the estimates reach is held here (4.3 % and
    3.9 % at 0.8, 15.4 % and 11.0 % at 0.95 of 10,000 draws; 15.6 % at 0.95 of 5,000; against 6.2 %, 3.5 %, 15.4 % and
    11.9 % before), so that a change that loses it fails."""
    false_pass, false_fail = rates(judged(lambda rng: sim.drifting(rng, 0.05, rho, 33), 0.05, FULL,
                                          int(rho * 100)))
    record_property("rates", f"{false_pass:.4f} {false_fail:.4f}")
    assert false_pass < bound_pass and false_fail < bound_fail, (false_pass, false_fail)


def mean_blocks(rng, k: int, rho: float, rate: float = 40, mu: float = 0.030) -> Blocks:
    """k blocks of Poisson(rate) requests whose block means follow an AR(1) with lag-1 correlation rho around mu
    (a slow period lasting longer than a scrape); latencies gamma-distributed around each block's mean."""
    u = np.empty(k)
    u[0] = rng.normal()
    for i in range(1, k):
        u[i] = rho * u[i - 1] + math.sqrt(1 - rho * rho) * rng.normal()
    n = rng.poisson(rate, k).astype(float)
    sums = [rng.gamma(4, (mu + 0.004 * e) / 4, int(c)).sum() for c, e in zip(n, u)]
    return Blocks(tuple(n), tuple(sums))


def mean_decisions(k: int, rho: float, draws: int, mu: float = 0.030) -> list[str]:
    rng = np.random.default_rng(k * 100 + int(100 * rho))
    o = LatencyMean(name="mean", kind="latency_mean", threshold_ms=30)
    out = []
    for _ in range(draws):
        b = mean_blocks(rng, k, rho, mu=mu)
        ev = intervals.Evidence(LEVEL, window_s=k, scrape_s=1.0, buckets={math.inf: b.total}, mean_blocks=b)
        out.append(MeanKind().interval(o, ev, 1000 * b.counted / b.total)["decision"])
    return out


MEANS = [(k, rho) for rho in (0.0, 0.5) for k in (5, 10, 30)]


@pytest.mark.coverage
@pytest.mark.parametrize("k, rho", MEANS, ids=[f"a mean over {k} blocks correlated {rho} at lag 1" for k, rho in MEANS])
def test_the_mean_on_its_objective(k, rho, record_property):
    false_pass, false_fail = rates(mean_decisions(k, rho, FULL))
    record_property("rates", f"{false_pass:.4f} {false_fail:.4f}")
    assert within_the_level(false_pass, FULL) and within_the_level(false_fail, FULL), (false_pass, false_fail)


def queue_mean_decisions(utilization: float, deterministic: bool, draws: int, scale: float = 1.0) -> list[str]:
    """A stationary single-server queue's mean sojourn judged in the middle window of six, with the relative spread
    its neighbours measured; the objective on the exact mean (at `scale` 2, on half of it)."""
    rng = np.random.default_rng(int(100 * utilization) + deterministic)
    queue = sim.Queue(rng, utilization, SERVICE_S, deterministic)
    wait = utilization * SERVICE_S / (1 - utilization) / (2 if deterministic else 1)
    o = LatencyMean(name="mean", kind="latency_mean", threshold_ms=1000 * (SERVICE_S + wait) / scale)
    out = []
    for _ in range(draws):
        run = sim.queue_run(queue, o.threshold_ms / 1000)
        b = run.mean_blocks(MIDDLE)
        out.append(MeanKind().interval(o, run.evidence(MIDDLE), 1000 * b.counted / b.total)["decision"])
    return out


QUEUE_MEANS = [(u, d) for u in (0.6, 0.8, 0.94) for d in (False, True)]


@pytest.mark.coverage
@pytest.mark.parametrize("utilization, deterministic", QUEUE_MEANS,
                         ids=[f"an M/{'D' if d else 'M'}/1 queue's mean at utilization {u}" for u, d in QUEUE_MEANS])
def test_a_queues_mean_on_its_objective(utilization, deterministic, record_property):
    """A latency mean is positive and skewed: from its window's blocks alone and symmetric around it, a stationary
    queue's mean on its objective was called PASS 5.65, 10.7 and 13.45 % of the time (M/M/1 at 0.6, 0.8 and 0.94;
    M/D/1 5.15, 8.7 and 16.0 %; 2,000 draws); on the log scale, at no less than the neighbours' relative spread,
    0.65, 0.83 and 0.55 % (M/D/1 0.43, 0.83 and 0.36 %), FAIL at most 0.16 % (10,000 draws)."""
    false_pass, false_fail = rates(queue_mean_decisions(utilization, deterministic, FULL))
    record_property("rates", f"{false_pass:.4f} {false_fail:.4f}")
    assert within_the_level(false_pass, FULL) and within_the_level(false_fail, FULL), (false_pass, false_fail)


@pytest.mark.parametrize("utilization, deterministic", [(0.6, False), (0.8, True)],
                         ids=["an M/M/1 queue at 0.6", "an M/D/1 queue at 0.8"])
def test_twice_a_queues_mean_fails(utilization, deterministic):
    """The floor against useless width: a queue's mean twice its objective FAILs at least 80 % of the time."""
    assert rates(queue_mean_decisions(utilization, deterministic, 500, scale=2.0))[1] >= 0.80


# Block means whose drift persists longer than the window: at 0.8 over 10 to 30 blocks a window holds 2 to 3
# independent blocks, at 0.95 about one, and the lag-1 estimate from those few blocks is itself biased low by the
# requests' own noise. Held to what they reach (3.8, 6.5, 6.2 % at 0.8 and 7.5, 14.5, 20.0 % at 0.95, the worse side
# of 10,000 draws; 3.8, 6.8, 6.4 and 7.7, 14.5, 19.5 % of 5,000; 5.1, 6.4, 5.3 and 9.0, 13.7, 18.2 % before the
# interval was drawn on the log scale), so that a change that loses it fails; before the effective blocks, 0.95
# reached 25.6 %.
BEYOND = [(5, 0.8, 0.05), (10, 0.8, 0.075), (30, 0.8, 0.065), (5, 0.95, 0.09), (10, 0.95, 0.15), (30, 0.95, 0.21)]


@pytest.mark.coverage
@pytest.mark.parametrize("k, rho, bound", BEYOND,
                         ids=[f"a mean over {k} blocks correlated {rho}: what a window can hold" for k, rho, _ in BEYOND])
def test_a_mean_drifting_longer_than_its_window(k, rho, bound, record_property):
    false_pass, false_fail = rates(mean_decisions(k, rho, FULL))
    record_property("rates", f"{false_pass:.4f} {false_fail:.4f}")
    assert false_pass < bound and false_fail < bound, (false_pass, false_fail)


@pytest.mark.parametrize("case", ["runs", "queue", "mean"],
                         ids=["slow requests in runs of 10, 4 a window", "an M/D/1 queue at utilization 0.8",
                              "a mean over 30 blocks correlated 0.5"])
def test_a_quick_look_at_the_promise(case):
    """make test's share of the grid: 1,000 draws, three standard errors."""
    draws = QUICK // 2
    if case == "mean":
        got = mean_decisions(30, 0.5, draws)
    else:
        share, make = runs_case(10, False, 4) if case == "runs" else queue_case(0.8, True)
        got = judged(make, share, draws, 3)
    false_pass, false_fail = rates(got)
    assert within_the_level(false_pass, draws, 3) and within_the_level(false_fail, draws, 3), (false_pass, false_fail)


# The floor against useless width: at twice the limit, at the default gated stage's counts (37 one-second blocks of
# 24 requests), independent requests FAIL at least 80 % of the time; runs of 3 with the run measured, 70 % (77 %
# measured: a third as many independent units; 79.7 % with the clustering from the scrape blocks).
POWER = [("independent requests, p95", lambda rng: sim.runs_of_slow(rng, 0.10, 1, False, 24, blocks=37), 0.80),
         ("slow requests in runs of 3, p95", lambda rng: sim.runs_of_slow(rng, 0.10, 3, False, 24, blocks=37), 0.70),
         ("slow requests in runs of 3, p95, clustering from the scrape blocks",
          from_the_scrape_blocks(lambda rng: sim.runs_of_slow(rng, 0.10, 3, False, 24, blocks=37)), 0.70)]


@pytest.mark.parametrize("make, floor", [(m, f) for _, m, f in POWER], ids=[n for n, _, _ in POWER])
def test_twice_the_limit_fails_at_the_default_stages_counts(make, floor):
    fails = rates(judged(make, 0.05, 1000, 17))[1]
    assert fails >= floor, fails


def test_twice_the_limit_of_a_mean_fails_over_a_default_stage():
    fails = rates(mean_decisions(37, 0.0, 1000, mu=0.060))[1]
    assert fails >= 0.80, fails


def test_a_window_too_short_to_estimate_the_means_variance_gives_no_interval():
    b = mean_blocks(np.random.default_rng(1), ci.MIN_MEAN_BLOCKS - 1, 0.0)
    low, high, basis, se = latency_mean.mean_interval(b, b.counted / b.total, b.total, LEVEL, None)
    assert se is None and low == high and f"needs {ci.MIN_MEAN_BLOCKS}" in mean_method(basis)


def test_a_mean_over_blocks_too_correlated_to_count_takes_t_with_two_degrees_of_freedom():
    b = Blocks((40.0,) * 10, tuple(40 * (0.030 + 0.002 * i) for i in range(10)))   # a steady climb: r near 1
    low, high, basis, se = latency_mean.mean_interval(b, b.counted / b.total, b.total, LEVEL, None)
    assert "t with 2.0 df" in mean_method(basis)
    mean = b.counted / b.total   # on the log scale: mean x e^(t x relative standard error)
    assert math.log(high / mean) == pytest.approx(float(stats.t.ppf(0.975, 2)) * se / mean, rel=1e-6)
    assert math.log(mean / low) == pytest.approx(math.log(high / mean), rel=1e-6)


@pytest.mark.parametrize("burst, declared", [(1, 1.0), (10, 10.0)],
                         ids=["independent events", "events bad 10 at a time, their design effect declared"])
def test_a_ratio_sli_on_its_target(burst, declared):
    rng = np.random.default_rng(burst)
    o = RatioSli(name="good", kind="ratio", target=0.99, good_query="sum(increase(x[{{window}}]))",
                 total_query="sum(increase(y[{{window}}]))")
    ev = intervals.Evidence(LEVEL, window_s=30, scrape_s=1.0, buckets={}, declared_deff=declared)
    got = [RatioSliKind().interval(o, ev, {"good_share": 1 - burst * rng.poisson(3000 * 0.01 / burst) / 3000,
                                 "total": 3000})["decision"] for _ in range(QUICK)]
    false_pass, false_fail = rates(got)
    assert within_the_level(false_pass, QUICK, 3) and within_the_level(false_fail, QUICK, 3), (false_pass, false_fail)


def test_the_error_ratio_with_errors_in_runs_and_the_run_measured():
    """Errors 10 at a time, 4 runs a window: the run's clustering of the request counter's blocks holds it."""
    rng = np.random.default_rng(4)
    o = ErrorRatio(name="errors", kind="error_ratio", max_ratio=0.01)
    got = []
    for _ in range(QUICK):
        run = sim.runs_of_slow(rng, 0.01, 10, False, 4 * 10 / 0.01 / 27)
        windows = [run.window_blocks(w) for w in range(len(run.blocks))]
        from slo.stats import clustering
        ev = intervals.Evidence(LEVEL, window_s=27, scrape_s=1.0, buckets={}, error_blocks=windows[-1],
                                clustering={"errors": clustering.of_blocks(windows)})
        got.append(ErrorRatioKind().interval(o, ev, {})["decision"])
    false_pass, false_fail = rates(got)
    assert within_the_level(false_pass, QUICK, 3) and within_the_level(false_fail, QUICK, 3), (false_pass, false_fail)


def test_throughput_against_a_poisson_schedule_on_its_floor():
    """Arrivals not counted: the achieved count is Poisson around min_share x the nominal offered count."""
    rng = np.random.default_rng(2)
    o = Throughput(name="throughput", kind="throughput", min_share=0.95)
    ev = intervals.Evidence(LEVEL, window_s=30, scrape_s=1.0, buckets={}, poisson_arrivals=True)
    got = []
    for _ in range(QUICK):
        achieved = rng.poisson(0.95 * 40 * 30) / 30
        got.append(ThroughputKind().interval(o, ev, achieved, 40.0, achieved / 40)["decision"])
    false_pass, false_fail = rates(got)
    assert within_the_level(false_pass, QUICK, 3) and within_the_level(false_fail, QUICK, 3), (false_pass, false_fail)


P95, P50 = objective(0.05), objective(0.5)
KNEE_SHARES = (0.6, 0.8, 0.9, 1.0, 1.1)   # the default profile's knee stages, as shares of the predicted knee
DEFAULT_SECONDS = [52] + [22] * len(KNEE_SHARES) + [12]   # each default_like_rates stage's measured seconds


def default_like_rates(first: float, saturation: float, threshold_s: float, quantile: float = 0.5) -> list[float]:
    """The gate at `first`, then the default profile's shares of the knee an M/M/1 queue serving `saturation` (a
    probe's figure) would have with the quantile under `threshold_s` (what slobench.probing.place predicts from the
    SLO file), then 120 % of `saturation`. Where the probe reads over the saturation, the knee predicted lies over
    the true one: by (probe - saturation) / knee, up to 29 % at a probe 20 % over and a knee at 70 %."""
    o = LatencyQuantile(name="q", kind="latency_quantile", quantile=quantile, threshold_ms=1000 * threshold_s)
    knee = max(0.1 * saturation, o.queue_knee_rps(saturation))
    return [first] + [round(k * knee, 1) for k in KNEE_SHARES] + [1.2 * saturation]


def timed(stages: list[dict], services_s) -> None:
    """Give each stage what the API's compute histogram gives: its busy seconds per second at its service time."""
    for st, service_s in zip(stages, services_s):
        st["server"]["serving"] = {"busy_s_per_s": st["server"]["rps_all_traffic"] * service_s}


def stage_of(run, w: int, name: str, rate: float, seconds: float, threshold_s: float | None = None,
             judged_as=None, level: float = LEVEL, seen_ms=None, source: str | None = None) -> dict:
    """A report's stage as the capacity reads it: p95 (or `judged_as`) judged on window w at `level`, and placed at the
    arrivals in it; with the threshold, its share also read from the window's whole tail, as the evaluator reads it
    from the API's recording (or from `seen_ms`, the latencies of `source`: the generator's)."""
    from slo.verdicts.objectives import stage_status
    from slo.verdicts.stage import read_tail
    c = QuantileKind().interval(judged_as or P95, intervals.with_level(run.evidence(w), level))
    if threshold_s is not None:
        latencies = run.latency[w] * 1000 if seen_ms is None else seen_ms
        c["tail"] = read_tail(c, latencies, threshold_s * 1000, seconds, source)
    row = {"name": "p95", "kind": "latency_quantile", "status": c["decision"], "confidence": c, "measured": 100.0,
           "threshold": 100, "unit": "ms"}
    # The arrivals in the window, as the generator counts them (the Poisson schedule's, around `rate`).
    return {"name": name, "offered_rps": rate, "status": stage_status([row]), "objectives": [row],
            "client": {"sent": len(run.blocks[w])}, "completed": True,
            "server": {"rps_all_traffic": len(run.blocks[w]) / seconds, "window_s": seconds}}


def held(interval, truth: float) -> bool:
    low, high = interval
    return (low is None or low <= truth) and (high is None or truth <= high)


@dataclass
class Held:
    """How often intervals held their truth, and on which side each miss lay: a capacity interval keeps the level's
    promise on each side (wholly under the knee, wholly over it), as a verdict does on each of its two."""
    draws: int = 0
    under: int = 0
    over: int = 0

    def add(self, interval, truth: float) -> None:
        low, high = interval
        self.draws += 1
        if high is not None and high < truth:
            self.under += 1
        elif low is not None and low > truth:
            self.over += 1

    @property
    def rate(self) -> float:
        return 1 - (self.under + self.over) / self.draws

    def sides(self) -> tuple[float, float]:
        """(how often the interval lay wholly under the truth, how often wholly over it)."""
        return self.under / self.draws, self.over / self.draws

    def each_side_within_the_level(self) -> bool:
        return all(within_the_level(side, self.draws) for side in self.sides())

    def record(self, record_property) -> None:
        record_property("rates", f"{self.rate:.4f}")
        record_property("under, over", ", ".join(f"{side:.4f}" for side in self.sides()))


@pytest.mark.coverage
def test_the_runs_capacity_holds_the_knee_of_an_m_m_1_target(record_property):
    """The default ladder (30 to 110 req/s, 27 s windows after 3 s of settling, each stage starting from the queue the
    last one left) against M/M/1 targets whose p95 knee is drawn between 40 and 56 req/s: the capacity interval holds
    it at least 95 % of the time (97.0 % measured, median width 31 % of its low end, the shares read from each stage's
    whole tail; 99.7 % and 61 % from the counts over the threshold alone)."""
    from slo.verdicts.capacity import capacity
    rng = np.random.default_rng(33)
    tally, draws, widths = Held(), FULL, []
    for _ in range(draws):
        truth = rng.uniform(40, 56)
        run, threshold = sim.ladder(rng, truth)
        cap = capacity(judged_stages([stage_of(run, w, f"s{w + 1}", r, 27, threshold)
                               for w, r in enumerate(sim.DEFAULT_LADDER)]))
        tally.add(cap.interval_rps, truth)
        widths.append(cap.width if cap.width is not None else math.inf)
    tally.record(record_property)
    record_property("median width", f"{float(np.median(widths)):.3f}")
    assert tally.rate >= 0.95, tally.rate
    assert tally.each_side_within_the_level(), tally.sides()


@pytest.mark.coverage
def test_the_runs_capacity_holds_the_knee_of_a_median_objective(record_property):
    """The default-like ladder (the gate, five shares of the knee predicted from a probe's figure up to a fifth over
    the saturation, 22 s each, 120 %) against M/M/1 targets whose p50 knee is drawn between 40 and 56 req/s: held at
    least 95 % of the time (98.95 % measured, median width 30 % of its low end, the fit reaching stages up to 95 %
    over the threshold; up to 75 %, 99.05 % and 32 %; with the ladder at 40 to 80 % of the saturation, 99.3 % and 31 %;
    75 % on 300 draws while the fit stopped at stages half over the threshold)."""
    from slo.verdicts.capacity import capacity
    rng = np.random.default_rng(50)
    tally, draws, widths = Held(), FULL, []
    for _ in range(draws):
        truth = rng.uniform(40, 56)
        run = sim.Ladder(rng, truth, 15, p50=True)
        rates = default_like_rates(15, rng.uniform(1.0, 1.2) / SERVICE_S, run.threshold)
        for rate in rates:
            run.stage(rate, 22)
        cap = capacity(judged_stages([stage_of(run.run, w, f"s{w + 1}", r, 22, run.threshold, P50)
                               for w, r in enumerate(rates)]))
        tally.add(cap.interval_rps, truth)
        widths.append(cap.width if cap.width is not None else math.inf)
    tally.record(record_property)
    record_property("median width", f"{float(np.median(widths)):.3f}")
    assert tally.rate >= 0.95, tally.rate
    assert tally.each_side_within_the_level(), tally.sides()


@pytest.mark.coverage
def test_the_knee_as_a_share_of_saturation_holds_on_machines_of_any_speed(record_property):
    """The default-like ladder (the gate, five shares of the knee predicted from a probe's figure up to a fifth over
    the saturation, 22 s each, 120 %) against M/M/1 targets on machines whose prediction costs 8 to 24 ms (three
    times apart), the p50 knee drawn between 70 and 90 % of each one's saturation: the knee's share interval (each
    stage placed at its rate times what a prediction took in it) holds it at least 95 % of the time (99.75 % measured
    on 2,000 draws; an interval in 92.5 % of them, median width 24 % of its low end, the fit reaching stages up to 95 %
    over the threshold under saturation; up to 75 %, 99.9 %, 83.75 % and 39 %; with the ladder at 40 to 80 % of the
    saturation, 99.4 %, 97.2 % and 39 %: stages close around the knee leave fewer far under it to fit)."""
    from slo.verdicts.capacity import capacity
    rng = np.random.default_rng(51)
    tally, given, closed, draws, widths = Held(), 0, 0, FULL, []
    for _ in range(draws):
        service_s, share = rng.uniform(0.008, 0.024), rng.uniform(0.70, 0.90)
        saturation = 1 / service_s
        run = sim.Ladder(rng, share * saturation, min(15, 0.3 * saturation), service_s, p50=True)
        rates = default_like_rates(min(15, 0.3 * saturation), rng.uniform(1.0, 1.2) * saturation, run.threshold)
        for rate in rates:
            run.stage(rate, 22)
        stages = [stage_of(run.run, w, f"s{w + 1}", r, 22, run.threshold, P50) for w, r in enumerate(rates)]
        timed(stages, [service_s] * len(stages))
        got = capacity(judged_stages(stages)).knee_share
        interval = got.interval_pct if got else [None, None]
        tally.add(interval, 100 * share)
        given += got is not None
        closed += None not in interval
        widths.append((interval[1] - interval[0]) / interval[0] if None not in interval else math.inf)
    tally.record(record_property)
    record_property("given, closed", f"{given / draws:.4f}, {closed / draws:.4f}")
    record_property("median width", f"{float(np.median(widths)):.3f}")
    assert tally.rate >= 0.95, tally.rate
    assert tally.each_side_within_the_level(), tally.sides()
    assert given / draws >= 0.8, given / draws   # no share is no statement: it must come often enough to use


def ladder_then_one_step(rng, service_s: float, share: float, step_s: float = 18, probe_over=(1.0, 1.2),
                         gate_share: float = 0.3, spread: float = 0.15) -> tuple[list[dict], list[dict], float]:
    """A default run on a machine whose speed moves: the default-like ladder placed at a probe's figure (by default
    over the saturation: `probe_over` of it), the gate at 15 req/s or `gate_share` of the saturation where that is
    lower, each stage (and the step after it) run up to `spread` faster or slower than `service_s`, then the
    refinement's one step where slobench.steering.next_rate puts it for a run whose steps are few (`step_s` measured,
    after the 12 s its start and judging take), at the speed of the last two stages, which the step's own speed,
    drawn apart from theirs, does not follow here (in quiet runs it lay a median 1.6 % from it). (the ladder's
    stages, every stage with the step, the knee at the median stage's speed)."""
    from slo.verdicts.capacity import capacity
    from slobench.steering import next_rate
    probe = rng.uniform(*probe_over) / service_s   # the probe's closed-loop figure, `probe_over` of the saturation
    run = sim.Ladder(rng, share / service_s, min(15, gate_share / service_s), service_s, p50=True)
    rates = default_like_rates(min(15, gate_share / service_s), probe, run.threshold)
    speeds = list(service_s * rng.uniform(1 - spread, 1 + spread, len(rates) + 1))
    stages = []
    for w, (rate, seconds, speed) in enumerate(zip(rates, DEFAULT_SECONDS, speeds)):
        run.queue.service_s = speed
        run.stage(rate, seconds)
        stages.append(stage_of(run.run, w, f"s{w + 1}", rate, seconds, run.threshold, P50))
    ladder = [{**st, "server": dict(st["server"])} for st in stages]   # before the histogram times them
    timed(stages, speeds)
    typed = judged_stages(stages)
    rate = next_rate(typed, capacity(typed), 0.10, rates[0], few=True)   # the default run's steps are few
    if rate is not None:
        run.queue.service_s = speeds[-1]
        run.stage(rate, step_s, 2, idle_s=12)
        stages.append(stage_of(run.run, len(stages), "r1", rate, step_s, run.threshold, P50))
        timed(stages[-1:], speeds[-1:])
    return ladder, stages, 1 / float(np.median(speeds[:len(stages)])) - math.log(2) / run.threshold


@pytest.mark.coverage
@pytest.mark.parametrize("step_s", [18, 10], ids=["a step of its length", "a step shortened to fit the run's budget"])
def test_the_runs_capacity_at_its_typical_speed_holds_the_knee_when_the_machines_speed_moves(step_s, record_property):
    """The default run against M/M/1 targets whose prediction costs 12 to 30 ms, each stage on a machine up to 15 %
    faster or slower than the typical one (a quiet run here measured 18 to 24 ms between its stages, none named as
    departed), the p50 knee drawn between 70 and 90 % of saturation (ladder_then_one_step): the capacity, each stage
    placed at its own utilization and stated at the median stage's prediction time, holds that stage's knee at least
    95 % of the time, with the refinement's step (96.7 % measured, median width 21 % of its low end, the fit reaching
    stages up to 95 % over the threshold and under saturation; 95.2 % and 20 % with stages past saturation in it;
    stopped at 75 % over, 97.5 % and 30.4 %; at 40 to 80 % of the saturation, 97.45 % and 30.5 %; 96.25 % and 30 %
    before a bracket without a fitted knee was placed by speed too; where the bracket's split placed the step, 98.0 %
    and 37 % on 500 draws; the ladder alone, 98.3 % and 43 %). At the rates offered the ladder alone held the knee of
    the machine's nominal speed 86.2 % of the time (87.55 % stopped at 75 %, 89.1 % at 40 to 80 %). A step shortened
    to 10 s measured, as the run's budget may leave it (slobench.refine.step_plan), 95.95 % and 22 % (95.7 % and 33 %
    stopped at 75 %; 97.6 % and 33 % at 40 to 80 %). With the high end walking down from the top (a failure under
    a stage that did not fail sets none: slo/verdicts/knee.bracket_stages), 98.77 and 98.82 % of 10,000 draws, under
    the knee 0.97 and 0.84 % (1.75 and 2.05 % with the lowest failure as the high end: the step failed falsely under
    the knee)."""
    from slo.verdicts.capacity import capacity
    rng = np.random.default_rng(52)
    tally, offered_hits, draws, widths = Held(), 0, FULL, []
    for _ in range(draws):
        service_s, share = rng.uniform(0.012, 0.030), rng.uniform(0.70, 0.90)
        ladder, stages, knee = ladder_then_one_step(rng, service_s, share, step_s)
        offered_hits += held(capacity(judged_stages(ladder)).interval_rps, share / service_s)
        got = capacity(judged_stages(stages))
        tally.add(got.interval_rps, knee)
        widths.append(got.width if got.width is not None else math.inf)
    tally.record(record_property)
    record_property("the ladder at the rates offered", f"{offered_hits / draws:.4f}")
    record_property("median width", f"{float(np.median(widths)):.3f}")
    assert tally.rate >= 0.95, tally.rate
    assert tally.each_side_within_the_level(), tally.sides()


def generator_seen(rng, sojourn_s: np.ndarray, rate: float) -> np.ndarray:
    """What the generator times of each answer (ms): the server's time plus its own overhead, the loopback, the HTTP
    parsing and its loop, about a millisecond and growing with the rate it sends, and now and then its loop stalled
    for 5 to 40 ms (a garbage collection, a batch of the record written)."""
    n = len(sojourn_s)
    overhead = 0.4 + 0.015 * rate + rng.exponential(0.5, n)
    stalled = rng.random(n) < 0.003
    overhead[stalled] += rng.uniform(5, 40, int(stalled.sum()))
    return 1000 * sojourn_s + overhead


def untimed_ladder_then_steps(rng, service_s: float, share: float, steps: int, generator: bool = False
                              ) -> list[dict]:
    """A default run against a target that exports no prediction time (the capacity at the rates offered, each
    stage's share counted over its threshold): the default-like ladder placed at a probe's figure over the
    saturation, then up to `steps` refinement steps where slobench.steering.next_rate puts them (18 s measured,
    after the 12 s a step's start and judging take). With `generator`, each stage's share is also read from its
    whole tail as the generator timed it (generator_seen), moved onto the server's clock by the run's offset so far
    (slo/stats/tail.generator_offset_ms), as the evaluator reads it where the API records nothing. Every stage, the
    steps marked as such."""
    from slo.stats.tail import GENERATOR, on_the_servers_clock
    from slo.verdicts.capacity import capacity
    from slobench.steering import next_rate
    run = sim.Ladder(rng, share / service_s, min(15, 0.3 / service_s), service_s, p50=True)
    rates = default_like_rates(min(15, 0.3 / service_s), rng.uniform(1.0, 1.2) / service_s, run.threshold)
    placed, seen = [], []

    threshold, source = (run.threshold, GENERATOR) if generator else (None, None)

    def stages() -> list[dict]:
        moved = on_the_servers_clock(seen, [1000 * float(np.mean(lat)) for lat in run.run.latency]) if generator \
            else seen
        return [{**stage_of(run.run, w, name, rate, seconds, threshold, P50, seen_ms=moved[w], source=source),
                 "refine": name[0] == "r"} for w, (name, rate, seconds) in enumerate(placed)]

    def ran(name: str, rate: float, seconds: float) -> None:
        placed.append((name, rate, seconds))
        seen.append(generator_seen(rng, run.run.latency[-1], rate) if generator else None)

    for w, (rate, seconds) in enumerate(zip(rates, DEFAULT_SECONDS)):
        run.stage(rate, seconds)
        ran(f"s{w + 1}", rate, seconds)
    for n in range(1, steps + 1):
        typed = judged_stages(stages())
        rate = next_rate(typed, capacity(typed), 0.10, rates[0], few=True)
        if rate is None:
            break
        run.stage(rate, 18, 2, idle_s=12)
        ran(f"r{n}", rate, 18)
    return stages()


@pytest.mark.coverage
@pytest.mark.parametrize("steps, generator", [(1, False), (2, False), (1, True), (2, True)],
                         ids=["one step", "two steps", "one step, timed by the generator",
                              "two steps, timed by the generator"])
def test_the_runs_capacity_holds_the_knee_of_a_target_that_exports_no_prediction_time(steps, generator,
                                                                                     record_property):
    """The default run against M/M/1 targets whose service costs 12 to 30 ms and which export no prediction time,
    the p50 knee drawn between 70 and 90 % of saturation (untimed_ladder_then_steps): the capacity at the rates
    offered holds the knee at least 95 % of the time, and is narrow enough to use. The default run's steps are few
    (slobench.budget.Budget.few_steps), so the knee fitted at the rates offered steers them (2,000 draws, the
    ladder around the predicted knee: 97.6 and 96.05 % after one and two steps, median width 28 and 22.5 % of its low
    end; 98.0 and 96.4 %, 35 and 27 % while the fit stopped at stages 75 % over p50's threshold; at 40 to 80 % of the
    saturation, 97.85 and 97.2 %, 36 and 27 %; steps at the bracket's split there, 98.75
    and 98.2 %, 43 and 40 %). In the 300 s search (test_a_refined_runs_capacity_holds_the_knee_of_an_m_m_1_target) steps
    at that fit lowered how often the knee was held to 92.75 % (two such steps) and 93.7 % (one), from 95.1 %: there
    the bracket steers. Each side held (under, over): 0.35 and 1.25 %, 1.1 and 2.6 % (0.65 and 1.75 %, 0.75 and
    3.2 % before each log share was raised by half its variance, slo/verdicts/knee.py; the two steps' 3.2 % over the
    3.2 % allowed), median width 27 and 22 %. With a window's own counts speaking for its dependence where they
    counted a slow request a block or more, and the high end walking down from the top (slo/stats/confidence.py,
    slo/verdicts/knee.py; 10,000 draws): 98.74 and 98.36 %, 18.3 and 15.6 %.
    Every stage judged again with all its neighbours at each step, as the evaluator judges them (before 2026-12-07 a
    ladder stage was judged once, with the windows before it): 98.76 and 98.42 %, under / over 0.57 / 0.67 and
    0.76 / 0.82 %, 18.3 and 15.6 %. With `generator`, each stage's share is also read from its whole tail as the
    generator timed it (its own overhead about a millisecond, growing with the rate, now and then its loop stalled),
    moved onto the server's clock by the run's offset, as where the API records nothing: 98.70 and 98.24 %, 0.50 / 0.80 and 0.76 / 1.00 %, 17.1 and 14.4 % (10,000 draws)."""
    from slo.verdicts.capacity import capacity
    rng = np.random.default_rng((71 if generator else 61) + steps)
    tally, draws, widths = Held(), FULL, []
    for _ in range(draws):
        service_s, share = rng.uniform(0.012, 0.030), rng.uniform(0.70, 0.90)
        got = capacity(judged_stages(untimed_ladder_then_steps(rng, service_s, share, steps, generator)))
        tally.add(got.interval_rps, share / service_s)
        widths.append(got.width if got.width is not None else math.inf)
    tally.record(record_property)
    record_property("median width", f"{float(np.median(widths)):.3f}")
    assert tally.rate >= 0.95, tally.rate
    assert tally.each_side_within_the_level(), tally.sides()
    assert float(np.median(widths)) <= 0.5   # the power floor: an interval cannot hold the knee by being useless


def looked_step(run, rate: float, longest: int, plan) -> tuple[int, str]:
    """The refinement's last step judged at each of its looks (slobench.step_looks), as long as the first decides;
    the seconds it ran and the status it ended with. The queue ran its longest either way: after a step that ended
    early the next one starts from a queue a little further on, drained in the 12 s between steps all the same."""
    w = len(run.run.blocks) - 1
    for share in plan.shares:
        seconds = max(1, round(share * longest))
        status = stage_of(run.run.upto(w, seconds), w, "step", rate, seconds, level=plan.per_look_level)["status"]
        if status in ("pass", "fail"):
            break
    ran = run.run.upto(w, seconds)
    run.run.blocks[w], run.run.counted[w], run.run.latency[w] = ran.blocks[w], ran.counted[w], ran.latency[w]
    return seconds, status


def refined(rng, truth: float, budget_s: float = 300) -> dict:
    """A run refining its knee (slobench.refine: where the next step goes, how long it may last; slobench.step_looks:
    each step judged at the shipped number of looks, ended at the first that decides it) after a
    default-like ladder placed from a probe's figure up to a fifth over the target's saturation (83 req/s at 12 ms a
    request: the gate at 15 req/s, then 60 to 110 % of the knee predicted there, and 120 % of the figure), against an
    M/M/1 target: each step a stretch of the same queue
    (drained for the 12 s a step's start and judging take, then settled), every stage judged again with its
    neighbours after each step, until the capacity is within 10 % or the budget is spent. The run's capacity over
    every stage."""
    from loadtests.probe_and_refine import Refine
    from slo.stats.looks import Looks
    from slo.verdicts.capacity import capacity
    from slobench.refine import SETTLE_S, undecided_factor
    from slobench.steering import next_rate
    run = sim.Ladder(rng, truth, 15)
    rates = default_like_rates(15, rng.uniform(1.0, 1.2) / SERVICE_S, run.threshold, 0.95)
    ladder = [(rate, seconds, LEVEL) for rate, seconds in zip(rates, DEFAULT_SECONDS)]
    for rate, window, _ in ladder:
        run.stage(rate, window)
    shipped = Refine(budget_s=budget_s)
    spent, steps, plan = 0.0, [], Looks.spread(shipped.looks, shipped.first_look, LEVEL)
    judged: dict = {}

    def judge(w: int, rate: float, seconds: float, level: float):
        """Stage w judged with its neighbours as they stand: once for each such run, as a step changes only the
        stages within clustering.NEIGHBOURS of it."""
        key = (w, rate, seconds, level, tuple(len(run.run.counted[i]) for i in run.run.neighbours(w)))
        if key not in judged:
            judged[key] = judged_stages([stage_of(run.run, w, f"s{w + 1}", rate, seconds, run.threshold,
                                                  level=level)])[0]
        return judged[key]
    while True:
        typed = [judge(w, r, seconds, level) for w, (r, seconds, level) in enumerate(ladder)]
        cap = capacity(typed)
        rate = next_rate(typed, cap, 0.10, 15)
        longest = 20 * undecided_factor(steps)
        if rate is None or spent + longest + 12 > budget_s:
            return cap
        run.stage(rate, longest, SETTLE_S, idle_s=12)
        seconds, status = looked_step(run, rate, longest, plan)
        ladder.append((rate, seconds, plan.per_look_level))
        steps.append({"status": status})
        spent += seconds + 12


@pytest.mark.coverage
def test_a_refined_runs_capacity_holds_the_knee_of_an_m_m_1_target(record_property):
    """`make capacity` (a run refining its knee within 300 s) against M/M/1 targets whose p95 knee is drawn between 30
    and 70 req/s: the interval holds it 95 % of the time, within two standard errors of the simulation (the promise's
    rule for every case here). How wide it ends is recorded, not held. At 1,000 draws seeds 34 to 38 measured 95.7,
    94.7, 93.4, 95.4 and 95.0 % before collapsed shares failed as what they were, 94.9, 94.4, 95.9, 96.3 and
    95.3 % after (means 94.8 and 95.4 %): one seed's 1,000 draws cannot tell 95 % from 94 %. With the ladder around
    the knee predicted from a probe's figure up to a fifth over the saturation, 94.85 % on 2,000 draws, median width
    21 % of its low end, but wholly over the knee 5.05 % of the time (under it 0.1 %): the fit read each log share
    under its share (slo/verdicts/knee.py Point.log_share); raised by half its variance, 96.4 % (under, over: 0.55,
    3.05 %), 22 %. Over 10,000 draws (seeds 34 to 38) 95.35 %, under 0.9 % and over 3.75 %, past the 2.81 % that many
    draws allow: the bracket's low end was the highest pass under the lowest failure, and each step near the knee was
    one more chance to pass falsely. Walking up the passes from the lowest stage instead (slo/verdicts/knee.py
    bracket_stages), 97.3 % here (0.55, 2.15 %), median width 23 %; over 10,000 draws 97.06 %, under 0.84 % and over
    2.10 %."""
    rng = np.random.default_rng(34)
    tally, widths = Held(), []
    draws = FULL
    for _ in range(draws):
        truth = rng.uniform(30, 70)
        got = refined(rng, truth)
        tally.add(got.interval_rps, truth)
        widths.append(got.width if got.width is not None else math.inf)
    tally.record(record_property)
    record_property("median width", f"{float(np.median(widths)):.3f}")
    assert tally.rate >= 0.95 - 2 * math.sqrt(0.95 * 0.05 / draws), tally.rate
    assert tally.each_side_within_the_level(), tally.sides()
