"""--fail-on-drift counts a drift check that could not decide: no check, an error, a skip, unreconciled inputs."""
import pytest

from drift.check import gate_problem


@pytest.mark.parametrize("result, says", [
    ({"status": "ok", "decision": "NO_ACTION", "summary": "fine"}, None),
    ({"status": "ok", "decision": "RETRAIN", "summary": "drifted"}, None),
    (None, "no drift check ran"),
    ({"status": "error", "summary": "not checked: predictions.db is not a database"}, "did not run to a decision: not checked"),
    ({"status": "skipped", "summary": "skipped: 12 rows, fewer than 200"}, "did not run to a decision: skipped"),
    ({"status": "ok", "decision": "NO_ACTION", "inputs": {"reconciliation": {"ok": False, "summary": "3 of 9 matched"}}},
     "do not reconcile with the API's recording: 3 of 9 matched"),
], ids=["a decision stands", "RETRAIN is the gate's own code, not a problem", "no check", "an error", "a skip",
        "inputs that do not reconcile"])
def test_what_the_drift_gate_counts_as_a_failure(result, says):
    problem = gate_problem(result)
    assert (problem is None) if says is None else (says in problem)
