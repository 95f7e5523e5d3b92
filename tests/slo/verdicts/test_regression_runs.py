"""Regressions beyond noise on real runs: an unchanged target is never called regressed, one twice as slow is regressed
(real uvicorn, Prometheus at 1 s, Locust; the known-distribution API with no slow calls)."""
import pytest

from tests.slos import LINEAR_SLO
from slo.file.model import SloSpec
from slo.file.load import load_slo
from tests.profiles import closed_profile
from tests.slo.known_run import judged_run

pytestmark = [pytest.mark.integration, pytest.mark.load]

# 12 s: about 10 per-scrape points a run, enough for the rank test to place a 50 % shift past the 10 % limit.
PROFILE = closed_profile("steady", ("r1", 20, 100, 12), weights="{predict_user: 1}", settle_s=2)
SPEC = SloSpec.model_validate({**load_slo(LINEAR_SLO).model_dump(),
                               "baseline": {"max_regression": {"p50": 0.10, "mean": 0.10}}})
NO_SLOW = 10 ** 9   # one slow call in a billion: none in these runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    _, base_dir = judged_run(tmp_path_factory.mktemp("base"), PROFILE, (NO_SLOW, 1, 2000), SPEC)
    return {name: judged_run(tmp_path_factory.mktemp(name), PROFILE, (NO_SLOW, 1, fast_us), SPEC, base_dir)[0]
            for name, fast_us in (("same", 2000), ("slower", 6000))}


def _figures(report):
    return report["baseline"]["stages"][0]["figures"]


def test_an_unchanged_target_is_never_called_regressed(runs):
    """Its answer is no regression, or cannot tell where the assumed run-to-run spread (7 %) widens the interval
    past the 10 % limit: the property checked is the one-sided one, never a false regression."""
    for figure in ("p50", "mean"):
        got = _figures(runs["same"])[figure]
        assert got["verdict"] != "regressed", got
        assert got["relative"]["low"] < 0.10  # the interval reaches under the limit: no evidence of a regression
    assert runs["same"]["baseline"]["failures"] == [] and runs["same"]["verdict"]["exit_code"] != 1


def test_a_target_twice_as_slow_is_regressed_on_p50_and_the_mean_with_exit_1(runs):
    for figure in ("p50", "mean"):
        got = _figures(runs["slower"])[figure]
        # 4 ms more per request over 3.5 to 4.5 ms measured: past the 10 % limit by more than the declared 7 %
        # run-to-run spread widens the interval on a busy machine (2 ms more read as only +29 % there)
        assert got["current"] > 1.5 * got["baseline"]
        assert got["verdict"] == "regressed", got
        assert got["relative"]["low"] > 0.10 and got["n_current"] >= 4
    assert runs["slower"]["verdict"]["exit_code"] == 1
