"""A repeat set: medians with their spread per stage, and one verdict (repeats that disagree: inconclusive)."""

import json
import os
from pathlib import Path

import jsonschema_rs
import pytest

from common.exit_codes import Verdict
from slo.reports.repeat_set import markdown, write
from slo.verdicts import repeats
from slo.verdicts.report.repeat_set import RepeatSet
from tests.slos import LINEAR_SLO
from slobench.run_folder import BaselineError, load_report
from slo.verdicts.report import StageLooks
from slo.file.model import SloSpec
from slo.file.load import load_slo
from tests.slo.fakes import evaluate_run, knee_share_of, make_run, steady

SPEC = load_slo(LINEAR_SLO)


def _report(tmp_path, name, ms, tail_share=0.0):
    run = make_run(tmp_path / name, SPEC, [{"name": "s1", "offered_rps": 100, "all_traffic": 3000,
                                            "latencies": steady(ms, tail_ms=200, tail_share=tail_share)}])
    return evaluate_run(run, SPEC)


def test_each_figure_gets_its_median_range_interval_and_cv(tmp_path):
    reports = [_report(tmp_path, f"r{i}", ms) for i, ms in enumerate((2, 3, 4))]
    summary = repeats.summarize(reports)
    mean = summary.stages[0].figures["mean"]
    assert (mean.median, mean.min, mean.max) == (3.0, 2.0, 4.0)
    assert mean.low < 3.0 < mean.high and mean.cv == pytest.approx(1 / 3, abs=1e-3)
    assert summary.verdict.exit_code == 0 and summary.runs == [r.run.id for r in reports]


@pytest.mark.parametrize("shares, earlier, status, code", [
    ((0.0, 0.0, 0.0), 0, "pass", 0), ((0.03, 0.03, 0.03), 0, "fail", 1), ((0.0, 0.03), 0, "inconclusive", 4),
    ((0.0, 0.0), 0, "inconclusive", 4), ((0.007, 0.007, 0.007), 8, "pass", 0),
    ((0.007, 0.007, 0.007), 0, "inconclusive", 4),
], ids=["repeats that all pass pass", "repeats that all fail fail",
        "a confident failure in one run is never hidden behind the others",
        "two runs with none slow cannot pass pooled: one degree of freedom says nothing of a third machine",
        "three runs each too short to prove 0.7 % under 1 % prove it pooled with eight earlier runs like them",
        "without earlier runs, three runs' spread has 2 df and cannot prove it"])
def test_one_verdict_for_the_set_from_the_pooled_counts(tmp_path, shares, earlier, status, code):
    history = [_report(tmp_path, f"e{i}", 2, 0.007) for i in range(earlier)]
    summary = repeats.summarize([_report(tmp_path, f"r{i}", 2, s) for i, s in enumerate(shares)], history=history)
    assert summary.verdict.status == status and summary.verdict.exit_code == code
    p99 = summary.stages[0].objectives["p99"]
    assert p99.pooled.requests == 3000 * len(shares)
    assert p99.pooled.counted == sum(round(3000 * s) for s in shares)
    assert f"t with {len(shares) - 1 + max(earlier - 1, 0)} df" in p99.pooled.method
    if shares == (0.007,) * 3:  # each alone: 21 of 3,000 cannot be told from 1 %
        assert p99.per_run == ["inconclusive"] * 3 and (p99.pooled.high < 0.01) == bool(earlier)
    if shares == (0.0, 0.03):
        assert p99.per_run == ["pass", "fail"] and p99.status != "fail"
        assert "p99 in s1 failed in run(s) r1" in summary.verdict.reason
        assert "confident verdicts disagree between runs (pass, fail)" in summary.verdict.warnings[0]


def test_a_repeat_that_did_not_run_to_its_end_makes_the_set_incomplete(tmp_path):
    reports = [_report(tmp_path, f"r{i}", 2) for i in range(2)]
    reports[1] = reports[1].model_copy(update={"verdict": Verdict(status="incomplete", reason="Locust was lost")})
    verdict = repeats.summarize(reports).verdict
    assert verdict.exit_code == 5 and verdict.reason == "repeat(s) r1 did not run to their end"


def test_a_repeat_set_is_a_baseline_of_all_its_runs(tmp_path):
    reports = [_report(tmp_path / "results", f"r{i}", ms) for i, ms in enumerate((2, 2.2, 2.1))]
    for r in reports:
        (tmp_path / "results" / r.run.id / "slo_report.json").write_text(r.text())
    set_dir = tmp_path / "results" / "set"
    set_dir.mkdir()
    write(set_dir, repeats.summarize(reports))
    loaded = load_report(set_dir)
    assert [r.run.id for r in loaded] == ["r0", "r1", "r2"]
    # Compared with a run, the spread between identical runs is the repeats' own, measured.
    current = evaluate_run(make_run(tmp_path / "cur", SPEC, [{"name": "s1", "offered_rps": 100, "all_traffic": 3000,
                                                              "latencies": steady(2)}]), SPEC, baseline=loaded)
    mean = current.baseline.stages[0].figures["mean"]
    # Measured at 4.8 % over 3 runs: too rough to go below the declared 7 %.
    assert "too rough to go below it" in mean.method and mean.run_spread == 0.07
    # Declared smaller, the measured spread is used, with the repeats' 2 degrees of freedom.
    spec = SloSpec.model_validate({**SPEC.model_dump(), "baseline": {"run_to_run": {"mean": 0.01}}})
    current = evaluate_run(make_run(tmp_path / "cur2", spec, [{"name": "s1", "offered_rps": 100, "all_traffic": 3000,
                                                               "latencies": steady(2)}]), spec, baseline=loaded)
    mean = current.baseline.stages[0].figures["mean"]
    assert "measured across 3 repeats (t with 2 df)" in mean.method
    assert mean.run_spread == pytest.approx(0.0476, abs=0.001)
    assert "| mean | 2.1 | 2-2.2 |" in (set_dir / "repeat_report.md").read_text()


@pytest.mark.parametrize("text, says", [
    ("{", "repeat_report.json: Expecting property name"),
    ('{"runs": ["r0"], "level": 0.95, "stages": [], "capacity": {"interval_rps": []}}', "repeat_report.json: verdict: "
     "Field required"),
], ids=["a repeat set's report that is no JSON is named", "one that lacks a field names the field"])
def test_a_damaged_repeat_sets_report_is_no_baseline_and_says_why(tmp_path, text, says):
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "repeat_report.json").write_text(text)
    with pytest.raises(BaselineError, match="not a readable repeat set's report: ") as got:
        load_report(tmp_path / "set")
    assert says in str(got.value), got.value


def test_a_threshold_between_bucket_edges_keeps_its_bracket_when_runs_are_pooled(tmp_path):
    """0.5 % at 85 ms against a p99 of 90 ms, between the 80 and 100 ms edges: each run's count is [0, 15]. Pooled,
    the low end comes from the fewer (none), never from the more: a share that may be 0 is no confident failure
    (the upper count for both ends failed it every time)."""
    spec = SPEC.model_copy(update={"objectives": [o.model_copy(update={"threshold_ms": 90.0, "warning_ms": None})
                                                  if o.name == "p99" else o for o in SPEC.objectives]})
    reports = []
    for i in range(3):
        run = make_run(tmp_path / f"r{i}", spec, [{"name": "s1", "offered_rps": 100, "all_traffic": 3000,
                                                   "latencies": steady(2, tail_ms=85, tail_share=0.005)}])
        reports.append(evaluate_run(run, spec))
    p99 = repeats.summarize(reports).stages[0].objectives["p99"]
    assert p99.pooled.counted == [0, 45] and p99.pooled.low == 0.0
    assert p99.status != "fail"


@pytest.mark.parametrize("shares, df_from", [
    ((0.002, 0.004, 0.006), "the spread between runs, t with 2 df)"),
    ((0.007, 0.007, 0.007), "t with 2 df; the spread within a run, larger, as its floor)"),
], ids=["runs whose shares differ more than their counts allow (a machine whose speed moved between them): t with "
        "runs - 1 df; each run passes alone, but three runs say too little of the machine's typical one to pass "
        "their pooled 0.4 % (its interval reached 0.72 % with the blocks' df, 1.28 % with the runs')",
        "runs that agree: the spread within a run as the floor, still at the runs' df"])
def test_the_pooled_share_takes_its_degrees_of_freedom_from_the_runs(tmp_path, shares, df_from):
    """Taken from the blocks of one run wherever a run's own spread was the larger, sets of two runs on machines
    60 % apart passed falsely 6.38 % of the time (tests/slo/verdicts/test_repeats_coverage.py)."""
    summary = repeats.summarize([_report(tmp_path, f"r{i}", 2, s) for i, s in enumerate(shares)])
    pooled = summary.stages[0].objectives["p99"].pooled
    assert df_from in pooled.method, pooled.method
    assert pooled.decision == "inconclusive" and pooled.high > 0.01
    assert summary.stages[0].objectives["p99"].per_run == ["pass" if len(set(shares)) > 1 else "inconclusive"] * 3


@pytest.mark.parametrize("rates, joined", [((100, 100), 2), ((100, 120), 1)],
                         ids=["earlier runs whose stage offered the set's rate join its spread",
                              "one that offered 20 % more (a ladder placed on another machine) does not"])
def test_only_earlier_runs_at_the_sets_rate_join_its_spread(tmp_path, rates, joined):
    slow = steady(2, tail_ms=200, tail_share=0.007)
    history = [evaluate_run(make_run(tmp_path / f"e{i}", SPEC, [
        {"name": "s1", "offered_rps": rps, "all_traffic": 3000, "latencies": slow}]), SPEC)
        for i, rps in enumerate(rates)]
    summary = repeats.summarize([_report(tmp_path, f"r{i}", 2, 0.007) for i in range(3)], history=history)
    for name in ("p99", "mean"):   # a share's counts and a mean's log spread alike
        method = summary.stages[0].objectives[name].pooled.method
        assert (f"from the {joined} earlier runs like them" in method) == (joined >= 2), method


@pytest.mark.parametrize("baseline_ms, current_ms, status, method", [
    ((2, 2.1, 2.05), (2.02, 2.08, 2.04), "pass", "Welch's t"),
    ((2, 2.1, 2.05), (4, 4.2, 4.1), "fail", "Welch's t"),
    ((2,), (4, 4.2, 4.1), "fail", "Mann-Whitney"),
], ids=["a set like its baseline set passes, each figure one point a run",
        "a set twice as slow as its baseline set fails against it",
        "against a single run the set's per-scrape figures are pooled"])
def test_a_repeat_set_is_judged_as_a_set_against_its_baseline(tmp_path, baseline_ms, current_ms, status, method):
    spec = SloSpec.model_validate({**SPEC.model_dump(), "baseline": {"max_regression": {"mean": 0.1}}})
    base = [_report(tmp_path, f"b{i}", ms) for i, ms in enumerate(baseline_ms)]
    runs = [_report(tmp_path, f"c{i}", ms) for i, ms in enumerate(current_ms)]
    summary = repeats.against_baseline(repeats.summarize(runs), runs, base, spec)
    mean = summary.baseline.stages[0].figures["mean"]
    assert summary.verdict.status == status and method in mean.method, (summary.verdict, mean.method)
    assert ("Against the baseline" in markdown(summary)) and summary.baseline.runs == [r.run.id for r in base]


def test_the_set_says_whether_the_knee_moved_with_the_machine_or_the_api(tmp_path):
    """Four runs whose knees in req/s lay from 31.6 to 51 as a prediction cost 17 to 23.5 ms: the set gives each
    run's interval and, across the runs, the share of saturation (81 to 85 %) beside the prediction time."""
    reports = [r.model_copy(update={"capacity": r.capacity.model_copy(update={"interval_rps": interval, "knee_share":
                   knee_share_of(share, typical_demand_ms=demand)})})
               for r, interval, share, demand in zip([_report(tmp_path, f"r{i}", 2) for i in range(4)],
                                                     ([47, 57.1], [32, 45.6], [38.1, 50.8], [29.6, 34]),
                                                     (85.48, 82.01, 80.75, 81.2), (17.0, 23.5, 20.0, 23.1))]
    summary = repeats.summarize(reports)
    cap = summary.capacity
    assert cap.interval_rps[0] == [47, 57.1]
    assert (cap.knee_share_pct.min, cap.knee_share_pct.max) == (80.75, 85.48)
    assert cap.knee_share_pct.cv < 0.05 < cap.demand_ms.cv
    text = markdown(summary)
    assert "- Each run's: [47, 57.1], [32, 45.6], [38.1, 50.8], [29.6, 34] req/s" in text
    assert "the knee as a share of the saturation each stage measured, %: median 81.6" in text


def test_a_set_of_runs_without_the_share_gives_only_their_intervals(tmp_path):
    summary = repeats.summarize([_report(tmp_path, f"r{i}", 2) for i in range(2)])
    assert summary.capacity.knee_share_pct is None and len(summary.capacity.interval_rps) == 2


def test_a_stage_judged_at_looks_is_pooled_at_the_looks_level(tmp_path):
    """Three runs each too short alone for 0.7 % against 1 % prove it pooled at 95 %; where one of them ended that
    stage at a look, the pooled interval is drawn at the looks' stricter level, so it is wider, and the set says so."""
    plain = [_report(tmp_path, f"r{i}", 2, 0.007) for i in range(3)]
    looked = [_report(tmp_path, f"l{i}", 2, 0.007) for i in range(3)]
    ended = {"shares": [0.5, 0.75, 1.0], "level": 0.95, "per_look_level": 0.975533, "looks": [], "ended_at_look": 2}
    stage = looked[1].stages[0].model_copy(update={"looks": StageLooks.model_validate(ended)})
    looked[1] = looked[1].model_copy(update={"stages": [stage, *looked[1].stages[1:]]})
    at_95, at_looks = (repeats.summarize(r).stages[0] for r in (plain, looked))
    wide, narrow = at_looks.objectives["p99"].pooled, at_95.objectives["p99"].pooled
    assert wide.low < narrow.low and wide.high > narrow.high
    assert at_looks.level == 0.975533 and at_95.level is None


REPEAT_SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "repeat_report.schema.json"


def test_the_published_schema_of_a_repeat_set_is_its_models_and_a_set_fits_it(tmp_path):
    text = json.dumps(RepeatSet.json_schema(), indent=2) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        REPEAT_SCHEMA.write_text(text)
    assert text == REPEAT_SCHEMA.read_text(), "the models changed: UPDATE_GOLDEN=1 pytest tests/slo/verdicts"
    validator = jsonschema_rs.validator_for(json.loads(text))
    runs = [_report(tmp_path, f"r{i}", 2, share) for i, share in enumerate((0.0, 0.03))]
    written = json.loads(repeats.summarize(runs).to_json())
    assert validator.is_valid(written)
    assert not validator.is_valid({**written, "stages": [{"name": "s1"}]})
