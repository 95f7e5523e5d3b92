"""The report's charts and tables, from a synthetic run: every chart there, its numbers the report's own."""
import numpy as np
import pytest

from slo.verdicts.report import Report, RunSeries
from markupsafe import escape

from tests.slos import LINEAR_SLO
from slo.reports.charts import NINES, all_charts, knee, tail
from slo.reports.html import render
from slo.reports.cells import text_of
from slo.reports.tables import all_tables
from slo.reports.text import markdown
from slo.stats.series import server_series
from slo.file.load import load_slo
from tests.slo.fakes import evaluate_run, make_run, steady

SPEC = load_slo(LINEAR_SLO)
STAGES = [
    {"name": "s1", "offered_rps": 500, "latencies": steady(2), "all_traffic": 15000},
    {"name": "s2", "offered_rps": 1000, "latencies": steady(3, tail_ms=200, tail_share=0.03), "all_traffic": 30000},
]


@pytest.fixture
def report(tmp_path):
    run = make_run(tmp_path / "run", SPEC, STAGES)
    r = evaluate_run(run, SPEC)
    return r.with_drift({"status": "ok", "decision": "NO_ACTION", "summary": "NO_ACTION: drift_share 0.07 < 0.30",
                         "report_html": str(run / "drift_features.html"),
                         "columns": {"skips_7d": {"method": "Wasserstein distance (normed)", "score": 0.02,
                                                  "threshold": 0.1, "drifted": False},
                                     "rebuffer_events_7d": {"method": "Wasserstein distance (normed)", "score": 0.19,
                                                            "threshold": 0.1, "drifted": True}}})


def _trace(chart, name) -> dict:
    """A trace of the chart's figure as plain values (plotly keeps arrays as tuples or numpy arrays)."""
    trace = next(t for t in chart["figure"].data if t.name == name)
    return {k: list(v) if isinstance(v, (tuple, np.ndarray)) else v for k, v in trace.to_plotly_json().items()}


def test_every_chart_is_there_in_reading_order(report):
    keys = [c["key"] for c in all_charts(report)]
    assert keys == ["load", "latency", "errors", "cpu", "tail-s1", "tail-s2", "knee", "drift"]


@pytest.mark.parametrize("share, x", [(0.0, 1.0), (0.5, 2.0), (0.9, 10.0), (0.99, 100.0), (1.0, 10.0 ** NINES)],
                         ids=["0 % at 1", "50 % at 2", "90 % at 10", "99 % at 100", "100 % at the axis end"])
def test_the_tail_axis_is_one_over_one_minus_q(report, share, x):
    from slo.reports.charts import _tail_x
    assert _tail_x(share) == pytest.approx(x)


def test_the_tail_picture_shows_p99_far_above_the_mean(report):
    stage = report.stages[1]
    chart = tail(report, stage)
    marks = _trace(chart, "p50, p95, p99 (server)")
    p99 = marks["y"][marks["text"].index(next(t for t in marks["text"] if t.startswith("p99")))]
    mean = _trace(chart, f"mean (server) {stage.server.mean_ms:g} ms")["y"][0]
    assert p99 == stage.server.quantile_ms(0.99) and p99 > 10 * mean
    server = _trace(chart, "server (histogram buckets)")
    # The curve rises with the percentile and ends where every request is counted.
    assert server["y"] == sorted(server["y"]) and server["x"][-1] == pytest.approx(10.0 ** NINES)


def test_the_knee_marks_the_capacity_the_first_failing_stage_and_where_the_mean_hides_the_tail(report):
    chart = knee(report)
    for name in ("p50", "p95", "p99", "mean"):
        assert _trace(chart, f"{name} (server)")["x"] == [s.server.rps_all_traffic for s in report.stages]
    assert _trace(chart, "mean (server)")["y"] == [s.server.mean_ms for s in report.stages]
    texts = [a.text for a in chart["figure"].layout.annotations]
    assert texts == [f"capacity: {report.capacity.highest_passing_stage}",
                     f"first failing: {report.capacity.first_failing_stage}", "the mean hides the tail: s2"]


def test_a_collapsed_stage_is_drawn_where_it_was_offered_and_named(report):
    data = report.to_json()
    last = data["stages"][-1]
    last.update(collapsed=True, offered_rps=9000.0)
    data["capacity"]["collapsed_stages"] = [{"stage": last["name"], "offered_rps": 9000.0, "achieved_rps": 75.0}]
    chart = knee(Report.of(data))
    trace = _trace(chart, "p99 (server)")
    assert trace["x"][-1] == 9000.0 and list(trace["marker"]["symbol"])[-1] == "x"
    assert f"collapsed: 75 of 9000 req/s served: {last['name']}" in [a.text for a in chart["figure"].layout.annotations]


def test_the_drift_chart_colors_the_drifted_columns(report):
    chart = all_charts(report)[-1]
    bars = chart["figure"].data[0]
    assert dict(zip(bars["y"], bars["marker"]["color"]))["rebuffer_events_7d"] == "#c53030"
    assert "NO_ACTION" in chart["title"]


def test_range_answers_land_on_the_grid_with_gaps_where_prometheus_had_no_value():
    raw = {"start": 1000.2, "end": 1004.0, "step_s": 1.0, "answers": {"rps": {"result": [
        {"metric": {}, "values": [[1000, "5"], [1001, "6"], [1003, "NaN"], [1004, "8"]]}]}}}
    s = server_series(raw, wall_start=999.5)
    assert s["t"] == [0.5, 1.5, 2.5, 3.5, 4.5] and s["rps"] == [5.0, 6.0, None, None, 8.0]


def test_the_html_holds_every_table_and_cell_of_the_markdown(report):
    page = render(report)
    md = markdown(report)
    for table in all_tables(report):
        assert f"## {table.title}" in md and f">{escape(table.title)}</h2>" in page
        for cell in (c for row in table.rows for c in row):
            assert text_of(cell) in md and escape(text_of(cell)) in page, text_of(cell)
        for bullet in table.bullets:
            assert bullet in md and escape(bullet) in page
    assert "drift_features.html'" in page  # the Evidently report, linked beside the report


def test_a_report_without_series_still_draws_every_stage_chart(report):
    report = report.model_copy(update={"series": RunSeries()})
    keys = [c["key"] for c in all_charts(report)]
    assert "tail-s1" in keys and "knee" in keys
    render(report)
