"""Each answer against the served model's own, on a real recording file and the linear model."""
import pytest

from answers import check
from api import models
from api.data import load_snapshot
from api.features import FEATURES
from api.record_schema import Writer, connect

STAGES = [{"name": "s1", "start": 100.0, "end": 110.0}, {"name": "s2", "start": 110.0, "end": 120.0}]


@pytest.fixture(scope="module")
def served(model_path):
    """The linear model and 40 users' features from the serving snapshot, with the model's own probabilities."""
    model = models.load(model_path)
    users = load_snapshot(model.metadata["trained_as_of"]).head(40)
    features = users[list(FEATURES)].to_dict("records")
    return model, features, model.predict_batch([model.encode(f) for f in features])


def _record(tmp_path, served, change=lambda i, p, c, v: (p, c, v), times=None) -> str:
    """A generator's record of 40 answers (one every half second from t=100), each as the model gives it unless
    change(i, probability, class, version) says otherwise."""
    model, features, probs = served
    db = tmp_path / "sent.db"
    conn = connect(db, wal=False)
    rows = []
    for i, (f, p) in enumerate(zip(features, probs)):
        p_sent, c_sent, v_sent = change(i, round(p, 6), int(p >= 0.5), model.version)
        ts = times[i] if times else 100 + 0.5 * i
        rows.append((f"r{i}", ts, "/predict", f"u{i}", f, p_sent, c_sent, 0.0, v_sent, 1))
    Writer(conn).write(rows)
    conn.close()
    return db



CHANGES = [
    ("an answer as the model gives it, rounded to 6 decimals as the API does, is right", lambda i, p, c, v: (p, c, v), set()),
    ("a probability off by more than the tolerance is wrong", lambda i, p, c, v: (p + 1e-4 if i == 3 else p, c, v), {3}),
    ("a class the probability does not give is wrong", lambda i, p, c, v: (p, 1 - c if i == 7 else c, v), {7}),
    ("an answer naming another model version is wrong (a stale worker)",
     lambda i, p, c, v: (p, c, "churn-old" if i == 11 else v), {11}),
    ("an answer without a version is judged by its outputs", lambda i, p, c, v: (p, c, None), set()),
]


@pytest.mark.parametrize("change, wrong", [c[1:] for c in CHANGES], ids=[c[0] for c in CHANGES])
def test_each_answer_is_right_only_as_the_model_gives_it(tmp_path, served, change, wrong):
    model, _, _ = served
    result = check.check(_record(tmp_path, served, change), check.Artifact(model, tmp_path), STAGES)
    assert result["checked"] == 40 and result["wrong"] == len(wrong)
    assert set(result["examples"]) == {f"r{i}" for i in wrong}


def test_two_rows_swapped_inside_a_micro_batch_are_both_found(tmp_path, served):
    """A batch whose outputs went back to the wrong requests: rows 4 and 5 got each other's answers."""
    model, _, probs = served
    a, b = 4, 5
    assert abs(probs[a] - probs[b]) > 1e-3
    other = {a: b, b: a}
    change = lambda i, p, c, v: (round(probs[other[i]], 6), int(probs[other[i]] >= 0.5), v) if i in other else (p, c, v)  # noqa: E731
    result = check.check(_record(tmp_path, served, change), check.Artifact(model, tmp_path), STAGES)
    assert result["wrong"] == 2 and set(result["examples"]) == {"r4", "r5"}
    assert result["stages"]["s1"]["wrong"] == 2 and result["stages"]["s1"]["interval"][0] > 0


def test_answers_are_counted_in_the_stage_they_came_in_and_outside_apart(tmp_path, served):
    model, _, _ = served
    times = [95.0] * 4 + [100 + 0.25 * i for i in range(36)]   # four before the first stage; 36 from t=100 to 108.75
    times[-6:] = [115.0] * 6
    result = check.check(_record(tmp_path, served, times=times), check.Artifact(model, tmp_path), STAGES)
    assert (result["stages"]["s1"]["checked"], result["stages"]["s2"]["checked"], result["outside_stages"]) == (30, 6, 4)
    # 30 right answers support a wrong share up to 11.6 % (the exact binomial bound at 95 %).
    assert result["stages"]["s1"]["interval"] == [0.0, pytest.approx(0.1157, abs=1e-3)]


def test_an_artifact_that_is_not_the_served_model_skips_the_check_saying_why(tmp_path, served):
    model, _, _ = served
    result = check.check(_record(tmp_path, served), check.Artifact(model, tmp_path / "m.json"), STAGES,
                         served_version="churn-forest-x")
    assert result["status"] == "skipped" and "the API served churn-forest-x" in result["why"]
    assert "MODEL_ARTIFACT" in result["why"]


@pytest.mark.parametrize("path, started_here, says", [
    (None, False, "MODEL_ARTIFACT names no model file"),
    ("missing.json", False, "missing.json: model file not found"),
    ("model.txt", True, "unknown model format"),
], ids=["an API slobench did not start, no artifact named", "an artifact that is not there",
        "an artifact of no known format"])
def test_without_a_loadable_artifact_the_check_says_why(tmp_path, path, started_here, says):
    why = check.artifact_for(tmp_path / path if path else None, started_here)
    assert isinstance(why, str) and says in why


def test_a_file_that_is_not_a_record_of_answers_is_named(tmp_path, served):
    model, _, _ = served
    (tmp_path / "junk.db").write_text("not sqlite")
    with pytest.raises(check.AnswersUnreadable, match="junk.db"):
        check.check(tmp_path / "junk.db", check.Artifact(model, tmp_path), STAGES)


def test_answers_without_outputs_or_inputs_are_counted_apart_and_a_record_of_none_says_why(tmp_path, served):
    model, _, _ = served
    partial = check.check(_record(tmp_path, served, lambda i, p, c, v: (None if i < 4 else p, c, v)),
                          check.Artifact(model, tmp_path), STAGES)
    assert (partial["checked"], partial["not_checkable"], partial["wrong"]) == (36, 4, 0)
    (tmp_path / "sent.db").unlink()
    none = check.check(_record(tmp_path, served, lambda i, p, c, v: (None, None, v)), check.Artifact(model, tmp_path),
                       STAGES)
    assert none["status"] == "skipped" and "none of the 40 answers carried both" in none["why"]
