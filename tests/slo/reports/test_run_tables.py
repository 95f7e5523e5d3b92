"""The run's tables read the drift check by attribute: its columns and effects, and what the drift costs the model
(the measured AUC where the traffic carried labels)."""
import pytest

from slo.reports import run_tables
from tests.slo.fakes import report_of

FIGURE = {"rows": 4436, "auc": 0.896, "auc_interval": [0.858, 0.914], "accuracy": 0.843,
          "accuracy_interval": [0.824, 0.868], "level": 0.95, "method": "confidence-based"}
PERFORMANCE = {"reference": {"month": "2024-01-31", "rows": 1409, "auc": 0.821}, "estimated": FIGURE,
               "tolerance": 0.05, "decided_on": "estimated", "drop": -0.075, "verdict": "held"}
MEASURED = {**PERFORMANCE, "decided_on": "measured", "estimate_error": 0.012, "estimate_within_measured": True,
            "measured": {**FIGURE, "auc": 0.884, "auc_interval": [0.861, 0.905], "method": None}}


def _text(table) -> list[list[str]]:
    return [[str(getattr(c, "text", c)) for c in row] for row in table.rows]


@pytest.mark.parametrize("performance, rows, last", [
    (PERFORMANCE, 5, ["decision", "RETRAIN", "drifted"]),
    (MEASURED, 6, ["decision", "RETRAIN", "drifted"]),
], ids=["estimated without labels: the reference, the estimate and its accuracy, the drop allowed, the decision",
        "with the traffic's labels: the measured AUC and how far the estimate was off too"])
def test_what_the_drift_costs_reads_the_typed_check(performance, rows, last):
    report = report_of(drift={"status": "ok", "summary": "RETRAIN", "decision": "RETRAIN", "decided_by": "drifted",
                              "performance": performance})
    got = _text(run_tables.performance(report))
    assert len(got) == rows and got[-1] == last
    assert got[1][1] == "0.896 [0.858, 0.914] at 95%"
    if "measured" in performance:
        assert got[3] == ["ROC AUC, with the traffic's labels (measured)", "0.884 [0.861, 0.905] at 95%",
                          "the estimate off by +0.012"]


def test_a_skipped_drift_check_has_no_tables():
    report = report_of(drift={"status": "skipped", "summary": "skipped: 12 rows", "rows": 12, "min_rows": 200})
    assert run_tables.drift(report) is None and run_tables.performance(report) is None


@pytest.mark.parametrize("relative, shown", [
    ({"shift": 0.525, "low": 0.329, "high": 0.722}, "+52.5% [+32.9%, +72.2%] regressed"),
    ({"shift": 1.0, "low": 0.5, "high": None}, "+100.0% [+50.0%, ?] regressed"),
    ({"shift": 0.0, "low": -1.0, "high": None}, "+0.0% [-100.0%, ?] regressed"),
    ({"shift": None, "low": None, "high": None}, "+20.0% regressed"),
], ids=["both ends bounded", "a quantile past the histogram's last edge: no upper bound",
        "past it on both sides", "no relative scale: the plain change"])
def test_a_baseline_cell_shows_an_unbounded_end_as_a_question_mark(relative, shown):
    from slo.verdicts.report import FigureChange
    cell = run_tables._change_cell(FigureChange.model_validate(
        {"direction": "higher is worse", "verdict": "regressed", "change": 0.2, "relative": relative}))
    assert cell.text == shown
