"""The live SLO tab judges the current stage as the run's report judges it (slo/verdicts/stage.py): the same
figures, SLIs and replicas included, from the same Prometheus answers."""
import pytest

from slo.file.load import load_slo
from slo.reports.live import stage_rows
from slo.reports.cells import fmt
from slo.verdicts.stage import StageJudge
from tests.slo.fakes import evaluate_run, make_run, steady, with_slis


@pytest.mark.parametrize("slo_file", ["slo/examples/openslo.yaml", "slo/slos.yaml"],
                         ids=["ratio and threshold SLIs", "the shipped objectives"])
def test_the_live_tab_shows_what_the_report_measured_for_every_objective(tmp_path, slo_file):
    spec = load_slo(slo_file)
    run = make_run(tmp_path / "run", spec, [{"name": "s1", "offered_rps": 100, "latencies": steady(20, tail_ms=90,
                                                                                                     tail_share=0.03)}])
    raw = with_slis(run, spec, 2990, 3000, 0.97)
    report = evaluate_run(run, spec, raw)
    stage, entry = report.stages[0], raw["stages"][0]
    rows = stage_rows(StageJudge(spec, 1.0, poisson_arrivals=True), "s1", entry, stage.window.start,
                      stage.window.end, 100)
    live = {r["objective"]: r["measured"] for r in rows}
    judged = {o.name: fmt(o.measured, o.unit) for o in stage.objectives if o.kind != "answers"}
    assert live == judged
    assert all(v != "-" for v in live.values()), live
