"""The answers objective: a census of every answer, judged per stage."""
import pytest

from slo.file.model import Answers
from slo.verdicts.kinds import judge_objective

CASES = [
    ("none wrong among every answer passes: a census", {}, {"checked": 2000, "wrong": 0, "share": 0.0}, "pass"),
    ("one wrong answer fails when none may be", {}, {"checked": 2000, "wrong": 1, "share": 0.0005}, "fail"),
    ("a share allowed, well under it with confidence, passes", {"max_wrong_share": 0.01},
     {"checked": 2000, "wrong": 2, "share": 0.001}, "pass"),
    ("a share allowed, too few answers to tell, is inconclusive", {"max_wrong_share": 0.01},
     {"checked": 200, "wrong": 2, "share": 0.01}, "inconclusive"),
    ("a share allowed, over it with confidence, fails", {"max_wrong_share": 0.01},
     {"checked": 2000, "wrong": 60, "share": 0.03}, "fail"),
    ("not checked, it says why and judges nothing", {}, {"why": "no MODEL_ARTIFACT"}, "n/a"),
    ("no answer came back in the stage: nothing to judge", {}, {"checked": 0, "wrong": 0, "share": None}, "n/a"),
]


@pytest.mark.parametrize("declared, figures, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_answers_objective(declared, figures, expected):
    o = Answers(name="answers", kind="answers", **declared)
    out = judge_objective(o, {"window_s": 30}, 50, True, {"answers": figures})
    assert out["status"] == expected, out
    if expected == "n/a":
        assert out["detail"]
    elif figures["wrong"]:
        assert out["detail"] == f"{figures['wrong']} of {figures['checked']} answers wrong"
        assert out["confidence"]["low"] <= figures["share"] <= out["confidence"]["high"]


@pytest.mark.parametrize("field, value, says", [
    ("max_wrong_share", -0.1, "greater than or equal to 0"), ("max_wrong_share", 1, "less than 1"),
    ("tolerance", 0, "greater than 0"),
], ids=["a negative share is refused", "a share of every answer is refused", "a tolerance of zero is refused"])
def test_a_bad_answers_objective_is_refused(field, value, says):
    with pytest.raises(ValueError, match=says):
        Answers(name="answers", kind="answers", **{field: value})

