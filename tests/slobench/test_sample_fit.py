"""Before any load: a stage too short to decide its percentiles is refused (gated) or named (ungated)."""
import pytest

from loadtests.profile import Profile
from tests.slos import LINEAR_SLO
from slo.spec import load_slo
from slobench import sample_fit

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
                                                            r"measure it for 1[235] s or more"):
            sample_fit.check(profile, SPEC)


def test_an_ungated_stage_too_short_is_only_named(capsys):
    spec = SPEC.model_copy(update={"gate": SPEC.gate.model_copy(update={"required_rps": 10})})
    lines = []
    sample_fit.check(_profile(("a", 30, 10)), spec, log=lines.append)
    assert len(lines) == 1 and "not gated: it will be reported inconclusive" in lines[0]
