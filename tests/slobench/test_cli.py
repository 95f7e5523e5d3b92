"""The CLI's exit codes: 2 with a message for what the user can fix, 70 with a traceback for our bugs."""
import json
from pathlib import Path

import pytest

from tests.slos import LINEAR_SLO
from slo.file.load import load_slo
from common.exit_codes import MEANINGS, Exit
from slobench import cli
from slo.verdicts.report import SCHEMA_VERSION
from tests.slo.fakes import make_run, report_of, steady

SPEC = load_slo(LINEAR_SLO)


@pytest.fixture
def run(tmp_path):
    return make_run(tmp_path / "run", SPEC, [{"name": "s1", "offered_rps": 100, "latencies": steady(2),
                                               "all_traffic": 3000}])


@pytest.mark.parametrize("break_it, extra, message", [
    (lambda run: (run / "stages.json").unlink(), [], "no stage timeline"),
    (lambda run: (run / "prometheus_raw.json").unlink(), [], "no prometheus_raw.json and no Prometheus URL"),
    (lambda run: (run / "old").mkdir(), ["--baseline", "{run}/old"], "no SLO report there to compare with"),
    (lambda run: (run / "old.json").write_text(json.dumps({"schema_version": 4})), ["--baseline", "{run}/old.json"],
     f"old.json: schema_version: 4, this slobench reads {SCHEMA_VERSION}"),
    (lambda run: (run / "old.json").write_text(report_of().text().replace('"started": 1000.0', '"started": "x"')),
     ["--baseline", "{run}/old.json"], "old.json: run.started: Input should be a valid number"),
], ids=["a folder without its timeline", "a folder without saved answers", "a baseline without a report",
        "a baseline judged by another schema version", "a baseline with a field that does not fit"])
def test_a_cause_the_user_can_act_on_is_one_line_and_exit_2(run, capsys, break_it, extra, message):
    break_it(run)
    extra = [a.format(run=run) for a in extra]
    assert cli.main(["evaluate", str(run), "--slo", str(LINEAR_SLO), "--no-drift", *extra]) == Exit.CANNOT_JUDGE
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_a_programming_error_prints_its_traceback_and_says_it_is_a_bug(run, capsys, monkeypatch):
    def broken(*_, **__):
        return {}["verdict"]  # what a slip in the evaluator would raise
    monkeypatch.setattr("slobench.judge.evaluate", broken)
    assert cli.main(["evaluate", str(run), "--slo", str(LINEAR_SLO), "--no-drift"]) == Exit.BUG == 70
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError" in err and "This is a bug in slobench" in err
    assert not err.startswith("error: ")


def test_a_judged_run_keeps_its_verdicts_exit_code(run):
    assert cli.main(["evaluate", str(run), "--slo", str(LINEAR_SLO), "--no-drift"]) == json.loads(
        (run / "slo_report.json").read_text())["verdict"]["exit_code"] == 0


@pytest.mark.integration
@pytest.mark.parametrize("objective_fails, expected", [(True, 1), (False, 0)],
                         ids=["a failed objective exits 1", "a met SLO exits 0"])
def test_the_installed_entry_point_keeps_the_exit_codes_make_would_turn_into_2(tmp_path, objective_fails, expected):
    import subprocess
    import sys
    from pathlib import Path
    latencies = steady(2, tail_ms=300, tail_share=0.05) if objective_fails else steady(2)
    run = make_run(tmp_path / "run", SPEC, [{"name": "s1", "offered_rps": 100, "latencies": latencies,
                                             "all_traffic": 3000}])
    entry = Path(sys.executable).parent / "slobench"  # what the README's CI job calls
    done = subprocess.run([str(entry), "evaluate", str(run), "--slo", str(LINEAR_SLO), "--no-drift"], capture_output=True, text=True, timeout=120)
    assert done.returncode == expected, done.stderr
    assert f"slobench: exit {expected}: " in done.stderr


def test_the_drift_gate_fails_when_no_drift_check_could_decide(run, capsys):
    assert cli.main(["evaluate", str(run), "--slo", str(LINEAR_SLO), "--no-drift", "--fail-on-drift"]) == Exit.CANNOT_JUDGE
    assert "error: --fail-on-drift: no drift check ran" in capsys.readouterr().err


@pytest.mark.parametrize("code", [0, 1, 2, 3, 4, 5, 70], ids=lambda c: f"exit {c}")
def test_every_exit_code_is_named_by_the_cli_and_the_readme(code):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert code in MEANINGS and f"| {code} |" in readme


def _judged(code: int, drift: dict | None):
    return report_of(verdict={"status": "pass" if code == 0 else "fail", "reason": "fake"}, drift=drift)


INPUTS = {"source": "recorded by the API", "file": "predictions.db"}
DECIDED = {"status": "ok", "decision": "NO_ACTION", "summary": "fine", "inputs": {**INPUTS, "reconciliation": {"ok": True}}}


@pytest.mark.parametrize("report, gate, expected, why", [
    (_judged(0, DECIDED), True, 0, None),
    (_judged(0, {**DECIDED, "decision": "RETRAIN"}), True, Exit.DRIFT, None),
    (_judged(0, {"status": "error", "summary": "no such table"}), True, Exit.CANNOT_JUDGE, "no such table"),
    (_judged(0, {"status": "skipped", "summary": "12 rows"}), True, Exit.CANNOT_JUDGE, "12 rows"),
    (_judged(0, {**DECIDED, "inputs": {**INPUTS, "reconciliation": {"ok": False, "summary": "3 % missing"}}}), True,
     Exit.CANNOT_JUDGE, "3 % missing"),
    (_judged(0, None), True, Exit.CANNOT_JUDGE, "no drift check ran"),
    (_judged(0, {**DECIDED, "decision": "INCONCLUSIVE", "decided_by": "the AUC straddles"}), True, Exit.CANNOT_JUDGE,
     "could not decide: the AUC straddles"),
    (_judged(1, {**DECIDED, "decision": "RETRAIN"}), True, 1, None),
    (_judged(0, {"status": "error", "summary": "x"}), False, 0, None),
], ids=["a decided check leaves a pass", "RETRAIN turns a pass into 3", "an errored check cannot pass the gate",
        "a skipped check cannot pass the gate", "inputs that do not reconcile cannot pass the gate",
        "no drift check cannot pass the gate", "an undecided check cannot pass the gate",
        "a failed SLO verdict comes first", "without the gate drift is a note"])
def test_the_drift_gate_of_one_run(report, gate, expected, why):
    code, problem = cli._drift_gate(report, gate)
    assert code == expected and (problem is None if why is None else why in problem), (code, problem)
