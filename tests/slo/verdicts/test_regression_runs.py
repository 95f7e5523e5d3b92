"""Regressions beyond noise on real runs: an unchanged target is never called regressed, one 48 ms slower is regressed
(real uvicorn, Prometheus at 1 s, Locust; the known-distribution API with no slow calls)."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.slos import LINEAR_SLO
from slo.file.model import SloSpec
from slo.file.load import load_slo
from tests.profiles import closed_profile
from slobench.judge import judge
from tests.slo.known_run import judged_run

pytestmark = [pytest.mark.integration, pytest.mark.load]

# 12 s: about 10 per-scrape points a run, enough for the rank test to place a 50 % shift past the 10 % limit.
PROFILE = closed_profile("steady", ("r1", 20, 100, 12), weights="{predict_user: 1}", settle_s=2)
# Two runs of one target on this machine differed by up to 71 % in p50 and the mean (as one runs after another, and
# as they run at once): the run-to-run spread is declared for it, 30 %, so the test asks the property at stake (no
# false regression; a large true one found), not that the machine keeps its speed.
SPEC = SloSpec.model_validate({**load_slo(LINEAR_SLO).model_dump(),
                               "baseline": {"max_regression": {"p50": 0.10, "mean": 0.10},
                                            "run_to_run": {"p50": 0.30, "mean": 0.30}}})
NO_SLOW = 10 ** 9   # one slow call in a billion: none in these runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The three runs at once, each with its own API, Prometheus and Locust on the same core: a change of the
    machine's speed (it moves by a third within minutes here; one identical run read +71 % when they ran one after
    the other) then falls on all three alike. Each is then judged against the baseline from its saved answers."""
    targets = {"base": 2000, "same": 2000, "slower": 50000}
    with ThreadPoolExecutor(len(targets)) as pool:
        done = {name: pool.submit(judged_run, tmp_path_factory.mktemp(name), PROFILE, (NO_SLOW, 1, fast_us), SPEC)
                for name, fast_us in targets.items()}
        dirs = {name: future.result()[1] for name, future in done.items()}
    return {name: judge(dirs[name], SPEC, None, dirs["base"]) for name in ("same", "slower")}


def _figures(report):
    return report.baseline.stages[0].figures


def test_an_unchanged_target_is_never_called_regressed(runs):
    """Its answer is no regression, or cannot tell where the declared run-to-run spread (30 %) widens the interval
    past the 10 % limit: the property checked is the one-sided one, never a false regression."""
    for figure in ("p50", "mean"):
        got = _figures(runs["same"])[figure]
        assert got.verdict != "regressed", got
        assert got.relative.low < 0.10  # the interval reaches under the limit: no evidence of a regression
    assert runs["same"].baseline.failures == [] and runs["same"].verdict.exit_code != 1


def test_a_target_48_ms_slower_is_regressed_on_p50_and_the_mean_with_exit_1(runs):
    for figure in ("p50", "mean"):
        got = _figures(runs["slower"])[figure]
        # 48 ms more per request over 4 to 9 ms measured: past the 10 % limit even with the interval widened by the
        # declared 30 % run-to-run spread (2 ms more read as only +29 % on a busy machine)
        assert got.current > 4 * got.baseline
        assert got.verdict == "regressed", got
        assert got.relative.low > 0.10 and got.n_current >= 4
    assert runs["slower"].verdict.exit_code == 1
