"""Baseline criteria: each names a figure, is checked, and honours the figure's direction."""
import json

import numpy as np

import pytest

from tests.slos import LINEAR_SLO
from slo.verdicts.baseline import _failure, compare, regression
from tests.slo.fakes import evaluate_run as evaluate
from slo.file.model import SloSpec
from slo.file.load import load_slo
from tests.slo.fakes import capacity_of, knee_share_of, make_run, report_of, stage_row, steady
from slo.verdicts.report import Report

BASE = load_slo(LINEAR_SLO)


def _spec(criteria: dict) -> SloSpec:
    return SloSpec.model_validate({**BASE.model_dump(), "baseline": {"max_regression": criteria}})


def _report(tmp_path, name, spec, baseline=None, **stage):
    stage = {"name": "s1", "offered_rps": 100, "latencies": steady(2), "all_traffic": 3000, **stage}
    run = make_run(tmp_path / name, spec, [stage])
    return evaluate(run, spec, json.loads((run / "prometheus_raw.json").read_text()), baseline=baseline)


@pytest.mark.parametrize("figure, old, new, expected", [
    ("p99", 100, 120, 0.2), ("p99", 100, 80, -0.2),
    ("rps", 1000, 800, 0.2), ("rps", 1000, 1200, -0.2),
    ("availability", 1, 0, 1.0), ("error_ratio", 0, 0.01, float("inf")), ("error_ratio", 0, 0, 0.0),
], ids=["a slower p99 is a regression", "a faster p99 is an improvement",
        "less throughput is a regression", "more throughput is an improvement",
        "going down is a regression of availability", "errors appearing from none is a regression",
        "no errors before and after is no change"])
def test_each_figure_is_judged_in_its_own_direction(figure, old, new, expected):
    assert regression(figure, old, new) == expected


@pytest.mark.parametrize("criteria, current, fails", [
    ({"error_ratio": 0.5}, {"statuses": {"200": 2970, "500": 30}}, "error_ratio worse from none"),
    ({"availability": 0.0}, {"up_min": 0}, "availability worse by 100.0%"),
    ({"rps": 0.10}, {"all_traffic": 2000}, "rps worse by 33.3%"),
], ids=["a criterion on the error ratio is checked", "a criterion on availability is checked",
        "lower throughput fails a throughput criterion"])
def test_a_criterion_on_any_figure_is_checked(tmp_path, criteria, current, fails):
    spec = _spec(criteria)
    base = _report(tmp_path, "base", spec)
    again = _report(tmp_path, "cur", spec, baseline=base, **current)
    assert any(fails in f for f in again.baseline.failures), again.baseline.failures
    assert again.verdict.exit_code == 1


@pytest.mark.parametrize("criteria, current, figure, shift", [
    ({"availability": 0.0}, {"up_min": 0}, "availability", -1.0),
    ({"rps": 0.10}, {"all_traffic": 2000}, "rps", -1 / 3),
], ids=["availability going down reads as a fall, its regression positive",
        "so does throughput going down, tested across the scrapes"])
def test_every_figures_relative_shift_is_current_against_baseline(tmp_path, criteria, current, figure, shift):
    spec = _spec(criteria)
    base = _report(tmp_path, "base", spec)
    again = _report(tmp_path, "cur", spec, baseline=base, **current)
    got = again.baseline.stages[0].figures[figure]
    assert got.relative.shift == pytest.approx(shift, abs=0.05) and got.regression > 0


def test_a_baseline_availability_of_zero_gives_no_relative_change(tmp_path):
    spec = _spec({"availability": 0.0})
    base = _report(tmp_path, "base", spec, up_min=0)
    again = _report(tmp_path, "cur", spec, baseline=base)
    got = again.baseline.stages[0].figures["availability"]
    assert got.change is None and got.relative.shift is None and again.baseline.failures == []


def test_more_throughput_than_the_baseline_is_no_regression(tmp_path):
    spec = _spec({"rps": 0.0})
    base = _report(tmp_path, "base", spec, all_traffic=2000)
    again = _report(tmp_path, "cur", spec, baseline=base)
    assert again.baseline.failures == []
    assert again.baseline.stages[0].figures["rps"].regression < 0


@pytest.mark.parametrize("old, new, verdict", [
    ([53, 58], [110, None], "improved"),
    ([53, 58], [20, 25], "regressed"),
    ([53, 58], [55, 64], "cannot tell"),
    ([53, None], [60, None], "cannot tell"),
], ids=["the current confident pass above the baseline's confident failure is an improvement",
        "the current confident failure below the baseline's confident pass is a regression",
        "overlapping intervals cannot tell", "two intervals open above cannot tell"])
def test_capacities_are_compared_as_intervals(old, new, verdict):
    from slo.verdicts.baseline import capacity_change
    assert capacity_change(capacity_of(*old), capacity_of(*new))["verdict"] == verdict


@pytest.mark.parametrize("old, new, verdict", [
    ([79, 95], [75, 95], "cannot tell"),
    ([79, 95], [55, 70], "regressed"),
    (None, [75, 95], None),
], ids=["a knee at the same share of a slower machine's saturation: the req/s moved, the API did not",
        "a knee at a lower share of its saturation is the API's own regression",
        "a baseline without the share compares req/s alone"])
def test_the_knees_share_of_saturation_is_compared_beside_the_req_s(old, new, verdict):
    from slo.verdicts.baseline import capacity_change
    from slo.reports.text import comparison_lines
    from slo.verdicts.report import BaselineComparison
    base = capacity_of(47, 57, knee_share=old and knee_share_of(interval_pct=old, typical_demand_ms=17.0))
    got = capacity_change(base, capacity_of(32, 45.6, knee_share=knee_share_of(interval_pct=new, typical_demand_ms=23.5)))
    assert got["verdict"] == "regressed"
    assert (got["knee_share"] or {}).get("verdict") == verdict
    lines = comparison_lines(BaselineComparison(run="r0", capacity=got))
    assert any("share of the saturation" in line for line in lines) is (verdict is not None)
    if verdict:   # 23.5 ms a prediction against 17: the current capacity at the baseline's speed
        assert got["knee_share"]["current_rps_at_baseline_speed"] == [44.2, 63.0]
        assert any("[44.2, 63] req/s" in line for line in lines)


def _runs(means: list[float]) -> list[Report]:
    return [report_of([stage_row(server={"mean_ms": m, "quantiles": {}})]) for m in means]


@pytest.mark.parametrize("history, spread, measured", [
    (_runs([100 + (5 if i % 2 else -5) for i in range(12)]), 0.052, True),
    (_runs([95, 105, 95, 105]), 0.30, False),
    (_runs([60, 140, 60, 140]), 0.462, True),
    ([], 0.30, False),
], ids=["twelve earlier runs measure a 5 % spread that replaces the declared 30 %",
        "four are too few to go below the declared spread",
        "but enough to raise it: runs that differ by 46 % are not held to 30 %",
        "no history: the declared spread"])
def test_the_historys_spread_between_runs_like_this_one_replaces_the_declared_one_where_it_is_enough(
        history, spread, measured):
    from slo.verdicts.baseline import run_spread
    spec = SloSpec.model_validate({**BASE.model_dump(), "baseline": {"run_to_run": {"mean": 0.30}}})
    got, source, df = run_spread(_runs([100]), _runs([101]), "s1", "mean", spec, history)
    assert got == pytest.approx(spread, abs=0.001)
    assert ("earlier runs like it in the history" in source and df == len(history) - 1) is measured


def test_only_runs_of_the_same_profile_slo_file_and_target_are_alike(tmp_path):
    from slobench.history import like_runs
    from slo.verdicts.report import RunManifest
    forest = {"api": {"serving": {"model": "forest", "model_version": "v1"}, "started_here": True}}
    def write(name, profile="default", slo=None, manifest=forest):
        (tmp_path / name).mkdir()
        (tmp_path / name / "slo_report.json").write_text(
            report_of(profile=profile, slo=slo or {"service": "a"}, manifest=manifest).text())
    write("r1"), write("r2"), write("r3", profile="smoke"), write("r4", slo={"service": "b"})
    write("r5", manifest={"api": {"serving": {"model": "linear", "model_version": "v1"}, "started_here": True}})
    write("r6", manifest={"api": {"serving": {"model": "forest", "model_version": "v1"}, "started_here": False},
                          "processes": {"api": {"url": "http://10.0.0.2:8000"}}})
    (tmp_path / "r7").mkdir()   # never judged
    got = like_runs(tmp_path, "default", {"service": "a"}, RunManifest.model_validate(forest), exclude={"r2"})
    assert [r.manifest.model_dump(exclude_unset=True) for r in got] == [forest]
    write("r8", manifest=None)   # a run without a manifest is like one whose manifest says nothing
    assert [r.manifest for r in like_runs(tmp_path, "default", {"service": "a"}, None)] == [None]


def _scraped(name: str, p99: list[float], source: str) -> dict:
    return stage_row(name, gated=True, server={"quantiles": {}, "notes": [],
                                               "per_scrape": {"p99_ms": p99, "quantiles_from": source}})


@pytest.mark.parametrize("sources, says", [
    (("recording", "recording"), "quantiles exact from the API's recording"),
    (("histogram", "histogram"), "a change inside one bucket reads other than it is"),
    (("recording", "histogram"), "quantiles exact on one side only"),
], ids=["both runs recorded: the quantiles compared are exact",
        "neither recorded: the method says interpolation understates a change inside a bucket",
        "one side recorded: the method says the two were read differently"])
def test_a_quantile_comparison_says_what_its_per_scrape_values_were_read_from(sources, says):
    spec = _spec({"p99": 0.1})
    rng = np.random.default_rng(3)
    base, cur = ([_scraped("s1", list(100 * scale * rng.lognormal(0, 0.05, 30)), source)]
                 for scale, source in zip((1.0, 2.0), sources))
    comparison, failures = compare([report_of(cur)], [report_of(base)], spec)
    p99 = comparison.stages[0].figures["p99"]
    assert says in p99.method and p99.verdict == "regressed"


def _without_per_scrape(report: Report, keep: tuple[str, ...] = ()) -> Report:
    """The report with its stages' per-scrape figures cut to `keep`, as a report of an earlier version holds them."""
    data = report.to_json()
    for stage in data["stages"]:
        stage["server"]["per_scrape"] = {k: v for k, v in stage["server"]["per_scrape"].items() if k in keep}
    return Report.model_validate(data)


@pytest.mark.parametrize("keep, bounded", [
    (("p99_ms", "p99_bucket_ms", "quantiles_from"), True),
    (("p99_ms", "quantiles_from"), False),
    ((), False),
], ids=["per-scrape quantiles with their buckets: bounded by them",
        "written before the buckets were kept: not bounded, and the method says why",
        "no per-scrape figures (read from the over-time series): no bucket to bound them"])
def test_a_quantile_from_the_histogram_is_bounded_by_its_buckets_only_where_the_report_kept_them(tmp_path, keep,
                                                                                               bounded):
    from slo.verdicts.baseline_figures import scrape_buckets
    spec = _spec({"p99": 0.1})
    base, current = (_without_per_scrape(_report(tmp_path, name, spec), keep) for name in ("a", "b"))
    assert (scrape_buckets([base], "s1", "p99") is not None) == bounded
    p99 = compare([current], [base], spec)[0].stages[0].figures["p99"]
    assert ("bounded by the histogram's buckets" in p99.method) == bounded
    assert (p99.interpolated is not None) == bounded
    if keep and not bounded:
        assert "not bounded by the buckets" in p99.method


@pytest.mark.parametrize("base_tail_ms, verdict, says", [
    (100, "regressed", "p99 worse by"),
    (2500, "cannot tell", "cannot tell, its change [-100.0%, ?] straddles the 10% limit; a quantile lay in the "
                          "histogram's first or last bucket"),
], ids=["from 100 ms to past the last edge: regressed, with no upper bound",
        "past the last edge on both sides: unbounded either way, and the run says what would bound it"])
def test_a_quantile_past_the_histograms_last_edge_has_no_upper_bound(tmp_path, base_tail_ms, verdict, says):
    spec = _spec({"p99": 0.1})
    base = _report(tmp_path, "a", spec, latencies=steady(2, tail_ms=base_tail_ms, tail_share=0.05))
    current = _report(tmp_path, "b", spec, latencies=steady(2, tail_ms=2500, tail_share=0.05))
    comparison, _ = compare([current], [base], spec)
    p99 = comparison.stages[0].figures["p99"]
    assert p99.relative.high is None and p99.verdict == verdict
    assert any(says in line for line in comparison.failures + comparison.untested), comparison


@pytest.mark.parametrize("name, relative, expected", [
    ("p99", {"low": 0.2, "high": 0.4, "shift": 0.3}, "p99 worse by 30.0% [20.0%, 40.0%]"),
    ("rps", {"low": -0.4, "high": -0.2, "shift": -0.3}, "rps worse by 30.0% [20.0%, 40.0%]"),
    ("p99", {"low": 0.2, "high": None, "shift": 0.3}, "p99 worse by 30.0% than"),
    ("rps", {"low": None, "high": -0.2, "shift": -0.3}, "rps worse by 30.0% than"),
], ids=["a figure where higher is worse states its change and interval as they are",
        "a figure where lower is worse states them made positive, worse first",
        "an interval with an end past any bound states the shift alone",
        "so does one where lower is worse, its shift made positive"])
def test_a_regression_is_worded_worse_made_positive(name, relative, expected):
    worded = _failure("s1", name, {"relative": relative, "p_value": 0.01}, 0.1)
    assert expected in worded and worded.startswith("stage s1: ")
