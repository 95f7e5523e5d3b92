"""The machine's speed canaries: the median's interval holds at its level, the served model's canary runs on the
cores it is given, and a report says what the machine measured before the load."""
import numpy as np
import pytest

from common.canary import REPEATS, describe, median_interval, timed
from slo.reports.text import machine_speed
from slo.verdicts.report import RunManifest
from slobench.manifest import canaries


@pytest.mark.parametrize("draw", [
    lambda rng, n: rng.lognormal(3.0, 0.3, n),
    lambda rng, n: 20 + rng.exponential(2.0, n),
], ids=["lognormal timings", "a floor plus exponential stalls"])
def test_the_medians_interval_holds_the_true_median_at_least_at_its_level(draw):
    rng = np.random.default_rng(7)
    truth = float(np.median(draw(rng, 2_000_000)))
    held = sum(lo <= truth <= hi for _, lo, hi in (median_interval(list(draw(rng, REPEATS))) for _ in range(4000)))
    assert 0.95 <= held / 4000 <= 0.99   # order statistics: at least the level, never far above it


def test_a_timed_piece_of_work_reports_its_median_inside_its_interval():
    c = timed("a sum", lambda: sum(range(20_000)), repeats=11)
    assert c.low <= c.ms <= c.high and c.repeats == 11 and c.ms > 0


def test_the_apis_canary_is_kept_with_its_cores_and_a_report_says_what_the_machine_measured():
    api = timed("one single-row forest prediction (v1)", lambda: sum(range(5_000)), repeats=11).as_dict()
    found = canaries(api, {0}, None, log=lambda *_: None)
    assert found["api"]["cpus"] == [0] and found["generator"]["ms"] > 0 and found["api_skipped"] is None
    lines = machine_speed(RunManifest(canary=found))
    assert lines == [f"Machine speed before the load: {describe(found)}"] and "forest prediction (v1)" in lines[0]
    assert "on core(s) 0" in lines[0]


def test_a_target_that_reports_no_canary_is_not_timed_and_says_why():
    found = canaries(None, None, None, log=lambda *_: None)
    assert found["api"] is None and "reports no canary" in describe(found)
