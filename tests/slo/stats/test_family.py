"""Many tests at once: Holm's step-down keeps the chance of any false FAIL, or any false "regressed", across a
run's gated tests at the level a single test promises."""
import math

import numpy as np
import pytest
from scipy import stats

from slo.stats import family, intervals, noise
from slo.file.model import SloSpec
from slo.file.load import load_slo
from tests.slo.fakes import evaluate_run, make_run, steady
from slo.file.model import LatencyQuantile
from slo.verdicts.change_call import call
from slo.verdicts.kinds import QuantileKind
from tests.slo.stats.test_coverage import within_the_level
from tests.slo.stats import simulate as sim

P95 = LatencyQuantile(name="p95", kind="latency_quantile", quantile=0.95, threshold_ms=100)
from tests.slos import LINEAR_SLO


@pytest.mark.parametrize("ps, alpha, expected", [
    ([0.001, 0.015, 0.02], 0.025, [True, False, False]),
    ([0.001, 0.008, 0.02], 0.025, [True, True, True]),
    ([0.03, 0.001], 0.025, [False, True]),
    ([0.02, 0.02], 0.025, [False, False]),
], ids=["the smallest against alpha/3, then stop at the next over alpha/2",
        "each under its step's level: all rejected", "the order of the list does not matter",
        "two at 2 % each: neither passes alpha/2"])
def test_holms_step_down(ps, alpha, expected):
    assert family.holm(ps, alpha) == expected


def test_the_p_value_is_where_the_test_stops_deciding():
    """A z statistic of 3 decides while the two-sided critical value is under 3: p = 1 - Phi(3)."""
    p = family.p_value(lambda level: stats.norm.ppf((1 + level) / 2) < 3.0, 0.95)
    assert p == pytest.approx(1 - stats.norm.cdf(3.0), rel=1e-6)


def _any_false_fail(rng, tests: int, policy: str) -> bool:
    records = []
    for _ in range(tests):
        run = sim.runs_of_slow(rng, 0.05, 1, False, 60, windows=1)
        ev = run.evidence(0, with_run=False)   # independent requests: the family policy is what is tested
        got = QuantileKind().interval(P95, ev)
        if got["decision"] == "fail":
            records.append((got, lambda level, ev=ev: QuantileKind().interval(P95, intervals.with_level(ev, level))
                            ["decision"] == "fail"))
    family.apply(policy, tests, records, 0.95)
    return any(r["family"]["kept"] if "family" in r else True for r, _ in records)


@pytest.mark.parametrize("policy, bound", [("holm", "level"), ("none", "far over")],
                         ids=["Holm: any false FAIL among 10 edge tests within the level",
                              "per test: some false FAIL among 10 edge tests far more often"])
def test_a_default_runs_ten_gated_tests_on_their_edges(policy, bound):
    """5 objectives x 2 gated stages, each with its truth exactly on its objective (27 blocks of 60 requests, 5 %
    over the threshold)."""
    rng = np.random.default_rng(11)
    trials = 1000 if bound == "level" else 300
    rate = sum(_any_false_fail(rng, 10, policy) for _ in range(trials)) / trials
    if bound == "level":
        assert within_the_level(rate, trials, 3), rate
    else:
        # Beyond the level by more than three standard errors (10 % measured; at most 1 - 0.975^10 = 22 %, less as
        # each exact interval is conservative and widened for its blocks).
        assert not within_the_level(rate, trials, 3), rate


def _identical_runs(rng, spreads: list[float], limit: float, policy: str) -> bool:
    """Two runs of the same API: each figure's runs differ by the run-to-run spread the criterion declares."""
    candidates = []
    for spread in spreads:
        offsets = rng.normal(0, spread, 2)
        old = list(np.exp(offsets[0] + rng.normal(math.log(20), 0.2, 27)))
        new = list(np.exp(offsets[1] + rng.normal(math.log(20), 0.2, 27)))
        test = call(noise.judge_change(old, new, 0.95, spread), limit, True)
        if test["verdict"] == "regressed":
            candidates.append((test, lambda lv, o=old, n=new, s=spread:
                               call(noise.judge_change(o, n, lv, s), limit, True)["verdict"] == "regressed"))
    family.apply(policy, len(spreads), candidates, 0.95)
    return any(t.get("family", {}).get("kept", True) for t, _ in candidates)


def test_identical_runs_against_the_default_criteria_are_called_regressed_within_the_level():
    """p95, p99 and the mean with their declared spreads (12, 15, 7 %), over 2 gated stages, limit 0: the worst
    case, its truth on the level (2.4 % in 10,000 trials; 14 % without the family policy)."""
    rng = np.random.default_rng(1)
    trials = 3000
    rate = sum(_identical_runs(rng, [0.12, 0.15, 0.07] * 2, 0.0, "holm") for _ in range(trials)) / trials
    assert within_the_level(rate, trials, 3), rate


def _p99_over(tmp_path, family_policy: str):
    spec = SloSpec.model_validate({**load_slo(LINEAR_SLO).model_dump(), "family": family_policy})
    run = make_run(tmp_path / family_policy, spec, [{"name": "s1", "offered_rps": None,
                                                     "latencies": steady(2, n=3000, tail_ms=200, tail_share=0.016)}])
    report = evaluate_run(run, spec)
    return report, {o.name: o for o in report.stages[0].objectives}["p99"]


def test_a_failure_confident_alone_but_not_across_the_family_is_inconclusive(tmp_path):
    alone, p99_alone = _p99_over(tmp_path, "none")
    held, p99 = _p99_over(tmp_path, "holm")
    assert p99_alone.status == "fail" and alone.verdict.exit_code == 1
    fam = p99.confidence.family
    tests = held.family.tests
    # Availability's census of scrapes cannot fail falsely: it is not counted.
    assert tests == sum(o.status != "n/a" and not o.confidence.observed
                        for o in held.stages[0].objectives) == 5
    assert 0.025 / tests < fam.p_value <= 0.025 and not fam.kept
    assert p99.status == "inconclusive" and held.verdict.exit_code == 4
    assert f"not at the level a family of {tests} tests asks of it" in held.verdict.reason
