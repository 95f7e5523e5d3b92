"""Drift of recorded traffic: a real SQLite file written by the API's recorder, real Evidently."""
import random

import pytest

from api.recorder import PredictionRecorder
from drift.__main__ import main
from drift.check import check_run
from drift.recorded import RecordedDataError, check_recorded, read_predictions
from loadtests.traffic import _drift, load_traffic


def _record(db, rows):
    rec = PredictionRecorder(db)
    for i, r in enumerate(rows):
        rec.record((f"r{i}", 1000.0 + i * 0.01, "/predict/features", None, r,
                    0.3, 0, 0.001, "v", 1))
    rec.close()


@pytest.fixture(scope="module")
def serving_rows():
    return load_traffic("serving")[1]


def test_normal_traffic_needs_no_retraining(tmp_path, model_path, serving_rows):
    _record(tmp_path / "p.db", random.Random(1).sample(serving_rows, 2000))
    result = check_recorded(tmp_path / "p.db", tmp_path, 0.30, 200)
    assert result["decision"] == "NO_ACTION" and result["rows"] == 2000
    assert (tmp_path / "drift_features.html").is_file() and (tmp_path / "drift_predictions.json").is_file()


def test_drifted_traffic_calls_for_retraining(tmp_path, model_path):
    _record(tmp_path / "p.db", load_traffic("drifted")[1][:2000])
    result = check_recorded(tmp_path / "p.db", tmp_path, 0.30, 200)
    # Known: the drifted scenario shifts 9 of the 14 features (loadtests/traffic.py), and every one is detected.
    rows = load_traffic("serving")[1][:200]
    shifted = sorted({k for row in rows for k, v in _drift(row).items() if v != row[k]})
    assert len(shifted) == 9 and sorted(result["drifted_columns"]) == shifted
    assert result["drift_share"] == pytest.approx(9 / 14, abs=1e-6) and result["decision"] == "RETRAIN"


def test_too_few_rows_skip_the_check_instead_of_failing_it(tmp_path, serving_rows):
    _record(tmp_path / "p.db", serving_rows[:50])
    result = check_recorded(tmp_path / "p.db", tmp_path, 0.30, 200)
    assert result["status"] == "skipped" and "fewer than the 200" in result["summary"]


def test_the_time_window_selects_the_runs_rows(tmp_path, serving_rows):
    _record(tmp_path / "p.db", serving_rows[:300])
    assert len(read_predictions(tmp_path / "p.db", 1000.0, 1001.0)) == 101


@pytest.mark.parametrize("setup, message", [
    (lambda p: None, "predictions file not found"),
    (lambda p: p.write_bytes(b""), "predictions file is empty"),
    (lambda p: p.write_text("not a database at all, just text" * 100), "not a predictions database"),
], ids=["a missing file", "an empty file", "a file that is not SQLite"])
def test_a_bad_predictions_file_gets_a_clear_message(tmp_path, setup, message):
    setup(tmp_path / "p.db")
    with pytest.raises(RecordedDataError, match=message):
        read_predictions(tmp_path / "p.db")
    assert message in check_run(tmp_path, tmp_path / "p.db")["summary"]


def test_make_drift_run_on_a_folder_without_predictions_exits_2(tmp_path, capsys):
    assert main(["--run", str(tmp_path)]) == 2
    assert "predictions file not found" in capsys.readouterr().err


def test_answers_without_outputs_are_compared_on_their_inputs_only(tmp_path, model_path, serving_rows):
    from loadtests.sent import SentRecorder, merge
    from loadtests.profile import Outputs
    rec = SentRecorder(tmp_path, Outputs())
    rows = random.Random(2).sample(serving_rows, 400)
    for i, r in enumerate(rows):  # an API whose answers carry none of our fields, and one body that is not JSON
        rec.answer(f"id{i}", "/predict/features", None, __import__("json").dumps(r),
                   '{"ok": true, "score": 0.3}' if i else "<html>busy</html>")
    rec.close()
    merge(tmp_path)
    result = check_run(tmp_path, None)
    assert result["status"] == "ok" and result["rows"] == 400 and result["predictions"] is None
    assert result["compared"] == {"inputs": 400, "outputs": 0}
    assert "prediction drift not computed: 0 of 400 answers carried the outputs" in result["summary"]
    assert "1 of 400 answers' bodies could not be read" in result["summary"]
    assert result["inputs"]["answers"] == {"answered": 400, "with_outputs": 0, "unreadable": 1}
