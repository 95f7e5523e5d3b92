"""What the generator keeps of an answer: its outputs by the profile's field names, or nothing it cannot read."""
import pytest

from loadtests.profile import Outputs


@pytest.mark.parametrize("text, outputs, expected", [
    ('{"prediction": 1, "probability": 0.8, "model_version": "m1", "request_id": "x"}', Outputs(), (0.8, 1, "m1", True)),
    ('{"prediction": 0, "probability": 0.25, "model_version": "x"}', Outputs(), (0.25, 0, "x", True)),
    ('{"ok": true}', Outputs(), (None, None, None, True)),
    ('{"churn": {"p": 1}, "label": 1, "score": 0.6}', Outputs(probability="score", prediction="label"), (0.6, 1, None, True)),
    ("<html>overloaded</html>", Outputs(), (None, None, None, False)),
    ('[0.3]', Outputs(), (None, None, None, False)),
    ('{"probability": "high", "prediction": 1}', Outputs(), (None, None, None, False)),
    ('{"probability": NaN, "prediction": 1}', Outputs(), (None, 1, None, False)),
], ids=["our API's answer", "an answer without request_id", "an answer with none of our fields",
        "output fields named in the profile", "a body that is not JSON", "a JSON list",
        "an output that is not a number", "a NaN probability"])
def test_read_answer(text, outputs, expected):
    from loadtests.sent import read_answer
    assert read_answer(text, outputs) == expected


def test_each_answers_latency_is_kept_and_a_record_that_timed_none_reads_as_none(tmp_path):
    """The generator's record keeps how long each answer took (runfolder.recording reads it back, in ms); a record
    written before the generator timed its answers holds 0 in each, which reads as no latencies, not as zeros."""
    from loadtests.sent import SentRecorder, merge
    from runfolder import recording
    timed, untimed = tmp_path / "timed", tmp_path / "untimed"
    for folder, latency_s in ((timed, 0.0125), (untimed, 0.0)):
        rec = SentRecorder(folder, Outputs())
        for i in range(3):
            rec.answer(f"id{i}", "/predict", "u1", "{}", '{"prediction": 1, "probability": 0.8}', latency_s)
        rec.close()
        merge(folder)
    read = recording.recorded(timed / "sent_predictions.db", 0, 1e12, "/predict", timed_only=True)
    assert list(read) == pytest.approx([12.5] * 3)
    assert len(recording.recorded(untimed / "sent_predictions.db", 0, 1e12, "/predict", timed_only=True)) == 0
