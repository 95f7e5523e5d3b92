"""Reports of a synthetic run: golden JSON, JUnit cases, HTML numbers equal to the JSON's, baseline comparison."""
import json
import os
import re
from html import unescape
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml

from tests.slos import LINEAR_SLO
from tests.slo.fakes import evaluate_run as evaluate
from loadtests.client_figures import Merger
from slo.reports.html import render
from slo.reports.junit import junit
from slo.reports.text import markdown, terminal
from slo.file.load import load_slo
from slobench.cli import main
from tests.slo.fakes import make_run, steady

GOLDEN = Path(__file__).parent.parent / "golden" / "slo_report.json"
SPEC = load_slo(LINEAR_SLO)
STAGES = [
    {"name": "s1", "offered_rps": 500, "latencies": steady(2), "all_traffic": 15000},
    {"name": "s2", "offered_rps": 1000, "latencies": steady(3, tail_ms=200, tail_share=0.03), "all_traffic": 30000},
    {"name": "s3", "offered_rps": 4000, "latencies": steady(40, tail_ms=300, tail_share=0.05), "all_traffic": 90000},
]


@pytest.fixture
def run(tmp_path):
    return make_run(tmp_path / "run", SPEC, STAGES)


def _answers(checked: int, wrong: int) -> dict:
    from slo.stats.confidence import clopper_pearson
    return {"checked": checked, "wrong": wrong, "share": wrong / checked, "level": 0.95,
            "interval": [round(v, 6) for v in clopper_pearson(wrong, checked, 0.95)],
            "examples": [f"id{i}" for i in range(min(wrong, 5))]}


# As answers/check.py gives it: every answer checked, three wrong in s3.
ANSWERS = {"status": "checked", "model": {"version": "churn-logreg-2024-01-31-dfa0311aa3", "path": "models/churn-linear.json"},
           "tolerance": 1e-6, **_answers(120000, 3), "outside_stages": 0, "examples": ["id0", "id1", "id2"], "seconds": 1.5,
           "stages": {"s1": _answers(15000, 0), "s2": _answers(30000, 0), "s3": _answers(75000, 3)}}


@pytest.fixture
def report(run):
    return evaluate(run, SPEC, json.loads((run / "prometheus_raw.json").read_text()), answers=ANSWERS)


def test_the_report_json_matches_the_golden_file(report):
    text = json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "the report schema changed: review, then UPDATE_GOLDEN=1 pytest tests/slo"


def test_junit_has_a_case_per_objective_per_stage_and_skips_stages_past_the_gate(report):
    suite = ET.fromstring(junit(report).split("?>", 1)[1])
    cases = suite.findall("testcase")
    assert len(cases) == len(SPEC.objectives) * 3
    s3 = [c for c in cases if c.get("classname").endswith(".s3")]
    assert all(c.find("skipped") is not None for c in s3)
    s2_p99 = next(c for c in cases if c.get("classname").endswith(".s2") and c.get("name") == "p99")
    assert s2_p99.find("failure") is not None
    assert suite.get("failures") == str(sum(1 for c in cases if c.find("failure") is not None))


def test_the_html_report_is_self_contained_and_its_numbers_equal_the_json(report):
    page = render(report)
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", page)
    charts = re.findall(r"data-chart='([^']+)'", page)
    assert charts == ["load", "latency", "errors", "cpu", "tail-s1", "tail-s2", "tail-s3", "knee"]
    for stage in report.stages:
        for o in stage.objectives:
            pattern = rf'data-objective="{o.name}" data-value="([^"]*)"'
            row = page.split(f'data-stage="{stage.name}"><th>')[1].split("</tr>")[0]
            assert re.search(pattern, row).group(1) == str(o.measured)
    embedded = json.loads(page.split("id='report-data'>")[1].split("</script>")[0])
    assert embedded == report.to_json()


def test_the_text_reports_carry_the_verdict_and_the_sentence(report):
    md = markdown(report)
    assert "Verdict: FAIL (exit 1)" in md and "the mean hides the tail" in md
    assert "\033[" not in terminal(report, color=False)


def test_a_baseline_comparison_fails_on_a_regression_past_the_criterion(tmp_path, report):
    slower = [dict(STAGES[0], latencies=steady(2, tail_ms=9, tail_share=0.05))] + STAGES[1:]
    run2 = make_run(tmp_path / "run2", SPEC, slower)
    again = evaluate(run2, SPEC, json.loads((run2 / "prometheus_raw.json").read_text()), baseline=report)
    s1 = next(r for r in again.baseline.stages if r.stage == "s1")
    assert s1.figures["p99"].change > 0.10
    assert any("s1: p99 worse by" in f for f in again.baseline.failures)
    assert again.verdict.exit_code == 1


def test_a_past_run_re_judged_against_another_slo_file_keeps_its_original_reports(run, tmp_path, capsys):
    raw = yaml.safe_load(LINEAR_SLO.read_text())
    for o in raw["objectives"]:
        if o["name"] == "p99":
            o["threshold_ms"], o["warning_ms"] = 500, 400
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text(yaml.safe_dump(raw))
    assert main(["evaluate", str(run), "--slo", str(LINEAR_SLO), "--no-drift"]) == 1
    original = {name: (run / name).read_text() for name in ("slo_report.json", "slo_report.md", "report.html", "junit.xml")}
    assert main(["evaluate", str(run), "--slo", str(lenient), "--no-drift"]) == 0
    beside = run / "judged-with-lenient"
    rejudged = json.loads((beside / "slo_report.json").read_text())
    assert rejudged["verdict"]["status"] == "pass" and rejudged["run"]["judged_in"] == "judged-with-lenient"
    for name, text in original.items():
        assert (beside / name).is_file()
        assert (run / name).read_text() == text  # the verdict the run was judged with stays
    assert "judged-with-lenient" in capsys.readouterr().out


def test_re_judging_with_the_same_slo_file_rewrites_in_place(run):
    assert main(["evaluate", str(run), "--slo", str(LINEAR_SLO), "--no-drift"]) == 1
    assert main(["evaluate", str(run), "--slo", str(LINEAR_SLO), "--no-drift"]) == 1
    assert not list(run.glob("judged-with-*"))


@pytest.mark.parametrize("args, message", [
    (["evaluate", "/nonexistent/run"], "no such run folder"),
    (["evaluate", "{run}", "--slo", "/nonexistent/slos.yaml"], "slos.yaml: file not found"),
], ids=["a missing run folder", "a missing SLO file"])
def test_evaluate_errors_are_clear_and_exit_2(run, capsys, args, message):
    assert main([a.format(run=run) for a in args] + ["--no-drift"]) == 2
    assert message in capsys.readouterr().err


def test_a_baseline_in_the_other_load_model_is_explained(tmp_path, report):
    run2 = make_run(tmp_path / "open-run", SPEC, STAGES)
    timeline = json.loads((run2 / "stages.json").read_text())
    (run2 / "stages.json").write_text(json.dumps({**timeline, "kind": "open"}))
    again = evaluate(run2, SPEC, json.loads((run2 / "prometheus_raw.json").read_text()), baseline=report)
    assert again.stages[0].client.model == "open"
    assert "coordinated omission" in again.baseline.models_note
    assert "client_p99" in again.baseline.stages[0].figures
    assert "trust the open model's client tail" in markdown(again)


def test_a_baseline_in_the_same_model_needs_no_explanation(tmp_path, report):
    run2 = make_run(tmp_path / "run2", SPEC, STAGES)
    again = evaluate(run2, SPEC, json.loads((run2 / "prometheus_raw.json").read_text()), baseline=report)
    assert again.baseline.models_note is None


def test_dropped_arrivals_count_against_throughput_and_appear_in_every_format(tmp_path):
    run = make_run(tmp_path / "open-run", SPEC, STAGES[:1])
    timeline = json.loads((run / "stages.json").read_text())
    (run / "stages.json").write_text(json.dumps({**timeline, "kind": "open"}))
    # The server served every request it got (500 req/s), but the generator dropped 10 % of the arrivals.
    merged = Merger()
    merged.add({"worker": "w1", "stages": {"s1|/predict": {"hdr": _hdr_of([2000] * 100), "requests": 100,
                                                             "failures": 0, "no_response": 0, "status_200": 100}},
                "stage_cpu": {}, "arrivals": {"s1": [13500, 1500]}})
    merged.save(run)
    report = evaluate(run, SPEC, json.loads((run / "prometheus_raw.json").read_text()))
    throughput = next(o for o in report.stages[0].objectives if o.name == "throughput")
    assert throughput.measured == 0.9 and throughput.status == "fail" and throughput.dropped == 1500
    for text in (markdown(report), terminal(report, color=False), junit(report), unescape(render(report))):
        assert "10.0% of arrivals dropped by the generator" in text


def _hdr_of(values_us):
    from hdrh.histogram import HdrHistogram
    h = HdrHistogram(1, 120_000_000, 3)
    for v in values_us:
        h.record_value(v)
    return h.encode().decode()


def test_a_step_judged_at_looks_is_judged_at_their_level_and_says_where_it_ended(run):
    from slo.verdicts.evaluate import RunData, evaluate as evaluate_data
    from slobench.run_folder import RunFolder
    tl = RunFolder(run).timeline
    looks = {"stage": "s2", "shares": [0.5, 0.75, 1.0], "level": 0.95, "per_look_level": 0.975533,
             "looks": [{"look": 1, "at": 1065.0, "status": "fail"}], "ended_at_look": 1}
    tl["stages"][1] = {**tl["stages"][1], "refine": True, "looks": looks}
    raw = json.loads((run / "prometheus_raw.json").read_text())
    got = evaluate_data(SPEC, RunData(run_id="r", raw=raw, timeline=tl, clients={}))
    levels = [{o.confidence.level for o in s.objectives} - {None} for s in got.stages]
    assert levels == [{0.95}, {0.975533}, {0.95}]
    assert got.stages[1].looks.model_dump(exclude_unset=True) == looks
    assert "Refined after the ladder, where the capacity was uncertain: s2 fail (decided at look 1 of 3, each at " \
           "97.6%)" in terminal(got)
