"""Before any load: a stage too short to decide its percentiles is refused (gated) or named (ungated)."""
import pytest

from loadtests.profile import Profile
from tests.slos import LINEAR_SLO
from slo.file.load import load_slo
from slo.verdicts import sample_fit

SPEC = load_slo(LINEAR_SLO)  # p99 <= 100 ms at 95 %: at least 368 requests to /predict; gate: stages up to 1,000 req/s


def _profile(*stages, weights=None):
    return Profile.model_validate({"name": "p", "kind": "open", "settle_s": 1,
                                   "scenario": {"weights": weights or {"predict_user": 1}},
                                   "stages": [{"name": n, "rate_rps": r, "duration_s": d} for n, r, d in stages]})


@pytest.mark.parametrize("stages, weights, refused, warned", [
    ([("a", 50, 10)], None, [], []),
    ([("a", 30, 10)], None, ["a"], []),
    ([("a", 50, 10)], {"predict_user": 1, "health": 1}, ["a"], []),
    ([("a", 50, 10), ("big", 2000, 10)], None, [], []),
], ids=["450 requests in 9 s decide a p99", "270 requests cannot: refused with the length it needs",
        "half the requests go to /health: only those to /predict count",
        "an ungated stage is checked too (here long enough)"])
def test_gated_stages_too_short_are_refused(stages, weights, refused, warned):
    profile = _profile(*stages, weights=weights)
    found = sample_fit.shortfalls(profile, SPEC)
    assert [s.split(":")[0].removeprefix("stage ") for g, s in found if g] == refused
    if refused:
        with pytest.raises(sample_fit.ProfileTooSmall, match=r"stage a: about 2\d\d requests .* at least 368 .* "
                                                            r"measure it for 1[47] s or more"):
            sample_fit.check(profile, SPEC)


def test_an_ungated_stage_too_short_is_only_named(capsys):
    spec = SPEC.model_copy(update={"gate": SPEC.gate.model_copy(update={"required_rps": 10})})
    lines = []
    sample_fit.check(_profile(("a", 30, 10)), spec, log=lines.append)
    assert len(lines) == 1 and "not gated: it may be reported inconclusive" in lines[0]


def test_a_poisson_stage_sized_at_exactly_the_minimum_is_refused_as_it_falls_short_half_the_time():
    """368 expected requests reach 368 about half the time: a Poisson stage needs about 401 expected to reach them
    with 95 % probability, checked here against scipy's Poisson distribution."""
    from scipy.stats import poisson
    enough = sample_fit.expected_needed(368, poisson=True)
    assert poisson.sf(367, enough) == pytest.approx(0.95, abs=1e-6) and 395 < enough < 405
    assert poisson.sf(367, 368) < 0.52
    exactly = _profile(("a", 368 / 9, 10))  # 368 expected in its 9 s measured window
    assert [g for g, _ in sample_fit.shortfalls(exactly, SPEC)] == [True]
    steady = exactly.model_copy(update={"arrival": "constant"})
    assert sample_fit.shortfalls(steady, SPEC) == []  # a constant schedule sends what it declares


def test_the_error_ratio_objective_is_checked_before_load_too():
    """An error-ratio objective of 0.1 % needs 3,688 requests with none failing: harder than the p99's 368."""
    raw = SPEC.model_dump()
    raw["objectives"] = [o for o in raw["objectives"] if o["name"] != "errors"] + [
        {"name": "errors", "kind": "error_ratio", "max_ratio": 0.001}]
    spec = type(SPEC).model_validate(raw)
    assert ("errors", 3688, "no error") in sample_fit.minimums(spec)
    [(gated, sentence)] = sample_fit.shortfalls(_profile(("a", 50, 10)), spec)
    assert gated and "deciding errors at 95% takes at least 3,688 even with no error" in sentence
