"""Month against month on the shipped snapshots, with real Evidently."""
import json

import pytest
from scipy.spatial.distance import jensenshannon

from drift.__main__ import main
from drift.months import compare_months


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    out = tmp_path_factory.mktemp("drift")
    return compare_months("2024-01-31", "2024-02-29", out, 0.30), out


def test_the_shipped_months_do_not_call_for_retraining(months):
    (result, line), _ = months
    assert result["decision"] == "NO_ACTION" and result["drift_share"] < 0.30
    assert line.startswith("[Evidently] report_html=") and "-> NO_ACTION" in line
    assert result["columns_tested"] == 14 and "user_id" not in result["columns"]


def test_the_drifted_columns_are_stated_in_the_json_and_visible_in_the_html(months):
    (result, _), _ = months
    assert "rebuffer_events_7d" in result["drifted_columns"]
    saved = json.loads(open(result["report_json"]).read())["slobench"]
    assert saved["drifted_columns"] == result["drifted_columns"] and saved["drift_share"] == result["drift_share"]
    assert "rebuffer_events_7d" in open(result["report_html"]).read()


def test_target_drift_is_measured_from_each_months_own_labels(months):
    (result, line), _ = months
    t = result["target"]
    assert t["churners"] == {"reference": 1869, "current": 1701}
    assert t["churn_rate"]["reference"] == pytest.approx(1869 / 7043, abs=1e-4)
    # The lab read the same labels twice and always printed 0.0; the known answer is the Jensen-Shannon distance
    # (natural log) between the two months' churn shares.
    p, q = 1869 / 7043, 1701 / 7043
    assert t["method"] == "Jensen-Shannon distance"
    assert t["score"] == pytest.approx(jensenshannon([p, 1 - p], [q, 1 - q]), abs=1e-6)
    assert f"target_drift={t['score']:.3f}" in line


def test_the_cli_prints_the_verdict_and_a_lower_threshold_retrains(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--threshold", "0.05"]) == 0
    assert "-> RETRAIN drift_share=0.07 >= 0.05" in capsys.readouterr().out


def test_an_unknown_month_is_a_clear_error(tmp_path, capsys):
    assert main(["--cur", "2031-01-01", "--out", str(tmp_path)]) == 2
    assert "unknown snapshot '2031-01-01'" in capsys.readouterr().err
