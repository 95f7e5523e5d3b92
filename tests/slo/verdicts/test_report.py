"""The report as typed, frozen models: read back as written, refused with the file and field where it does not fit,
never changed once built, and each verdict's exit code its status's."""
import json
import os
from pathlib import Path

import jsonschema_rs
import pytest
from pydantic import ValidationError

from common.exit_codes import OF_STATUS, Verdict
from slo.verdicts.report import SCHEMA_VERSION, Report, ReportError
from slo.verdicts.report.run_report import READS_AS_CURRENT
from tests.slo.fakes import report_of, stage_row
from tests.slos import LINEAR_SLO
from slo.file.load import load_slo
from tests.slo.fakes import evaluate_run, make_run, steady


@pytest.fixture(scope="module")
def judged(tmp_path_factory) -> Report:
    spec = load_slo(LINEAR_SLO)
    run = make_run(tmp_path_factory.mktemp("run") / "run", spec, [
        {"name": "s1", "offered_rps": 500, "latencies": steady(2), "all_traffic": 15000},
        {"name": "s2", "offered_rps": 1000, "latencies": steady(3, tail_ms=200, tail_share=0.03),
         "all_traffic": 30000}])
    return evaluate_run(run, spec)


def test_a_report_read_back_is_the_report_written_and_writes_the_same_json(judged, tmp_path):
    path = tmp_path / "slo_report.json"
    path.write_text(judged.text())
    again = Report.read(path)
    assert again == judged and again.text() == judged.text()


def test_only_the_fields_of_an_objectives_kind_are_written(judged):
    rows = {o["kind"]: o for o in judged.to_json()["stages"][0]["objectives"]}
    assert "bucket_ms" in rows["latency_quantile"] and "bucket_ms" not in rows["latency_mean"]
    assert "checked" not in rows["latency_quantile"]


def _damaged(data: dict, how: str) -> dict:
    if how == "version":
        data["schema_version"] = min(READS_AS_CURRENT) - 1
    elif how == "field":
        data["stages"][1]["window"]["start"] = "soon"
    elif how == "exit code":
        data["verdict"]["exit_code"] = 0
    elif how == "status":
        data["stages"][0]["objectives"][2].pop("status")
    elif how == "capacity":
        data["capacity"].pop("interval_rps")
    elif how == "server":
        data["stages"][0]["server"]["mean_ms"] = "fast"
    elif how == "interval":
        data["stages"][0]["objectives"][0]["confidence"]["lower"] = 0.01
    return data


@pytest.mark.parametrize("how, said", [
    ("version", f"slo_report.json: schema_version: {min(READS_AS_CURRENT) - 1}, this slobench reads {SCHEMA_VERSION}"),
    ("field", "slo_report.json: stages[1].window.start: Input should be a valid number"),
    ("exit code", "slo_report.json: verdict: Value error, exit_code: 0, where status fail exits with 1"),
    ("status", "slo_report.json: stages[0].objectives[2].status: Field required"),
    ("capacity", "slo_report.json: capacity.interval_rps: Field required"),
    ("server", "slo_report.json: stages[0].server.mean_ms: Input should be a valid number"),
    ("interval", "slo_report.json: stages[0].objectives[0].confidence.lower: Extra inputs are not permitted"),
], ids=["a report of another schema version names both versions",
        "a field of the wrong type is named by its path",
        "a verdict whose exit code is not its status's is refused",
        "a missing field is named by its path",
        "a capacity without its interval is refused",
        "a server figure of the wrong type is named inside the stage",
        "a field an interval does not hold is refused, not silently kept"])
def test_a_report_that_does_not_fit_is_refused_naming_the_file_and_field(judged, tmp_path, how, said):
    path = tmp_path / "slo_report.json"
    path.write_text(json.dumps(_damaged(judged.to_json(), how)))
    with pytest.raises(ReportError) as e:
        Report.read(path)
    assert str(e.value).startswith(str(tmp_path)) and said in str(e.value)


def test_a_file_that_is_no_json_is_refused_naming_it(tmp_path):
    path = tmp_path / "slo_report.json"
    path.write_text("{not json")
    with pytest.raises(ReportError, match="slo_report.json: Expecting property name"):
        Report.read(path)


def test_a_built_report_cannot_be_changed_only_copied(judged):
    with pytest.raises(ValidationError, match="frozen"):
        judged.verdict = Verdict(status="pass", reason="changed")
    with pytest.raises(ValidationError, match="frozen"):
        judged.stages[0].status = "pass"
    with_drift = judged.with_drift({"status": "ok", "decision": "NO_ACTION", "summary": "fine"})
    assert with_drift.drift.decision == "NO_ACTION" and judged.drift is None
    with pytest.raises(ValidationError, match="frozen"):
        with_drift.drift.decision = "RETRAIN"


@pytest.mark.parametrize("status", sorted(OF_STATUS), ids=lambda s: f"a {s} verdict exits with its status's code")
def test_each_status_exits_with_the_code_named_once(status):
    verdict = Verdict(status=status, reason="r")
    assert verdict.exit_code == OF_STATUS[status]
    assert report_of(verdict={"status": status, "reason": "r"}).verdict.exit_code == OF_STATUS[status]


def test_an_unknown_status_is_refused_naming_the_known_ones():
    with pytest.raises(ValidationError, match="status: 'maybe' is none of pass, fail"):
        Verdict(status="maybe", reason="r")


def test_a_stage_and_an_objective_are_found_by_name(judged):
    assert judged.stage("s2").name == "s2" and judged.stage("s9") is None
    assert judged.stage("s2").objective("p99").status == "fail" and judged.stage("s2").objective("x") is None
    assert report_of([stage_row("a")]).stage("a").window.seconds == 30.0


SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "slo_report.schema.json"


def test_the_published_json_schema_is_the_models():
    text = json.dumps(Report.json_schema(), indent=2) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        SCHEMA.write_text(text)
    assert text == SCHEMA.read_text(), "the report's models changed: UPDATE_GOLDEN=1 pytest tests/slo/verdicts"


def test_a_report_fits_the_published_schema_and_a_damaged_one_does_not(judged):
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))
    assert validator.is_valid(judged.to_json())
    for how in ("field", "status", "capacity", "server", "interval"):
        assert not validator.is_valid(_damaged(judged.to_json(), how)), how


def test_a_report_of_a_version_that_only_lacked_a_field_reads_as_one_of_this_version(judged, tmp_path):
    """Version 6 had no per_scrape.quantiles_from (its per-scrape quantiles were all interpolated, as its absence
    says), version 7 no per_scrape buckets (a comparison with it is not bounded by them): earlier runs stay baselines
    and count in the machine's usual speed."""
    data = judged.to_json()
    for stage in data["stages"]:
        scraped = stage["server"].get("per_scrape", {})
        for key in ("quantiles_from", "p50_bucket_ms", "p95_bucket_ms", "p99_bucket_ms"):
            scraped.pop(key, None)
    path = tmp_path / "slo_report.json"
    for version in READS_AS_CURRENT:
        path.write_text(json.dumps({**data, "schema_version": version}))
        read = Report.read(path)
        assert read.schema_version == version and read.stages[0].name == judged.stages[0].name
