"""results/index.html: the runs of a results folder, and capacity and gated p99 across the runs of a profile."""
import json

import pytest

from tests.slos import LINEAR_SLO
from slo.file.load import load_slo
from slobench.cli import main
from slobench.history import collect, write_index
from tests.slo.fakes import evaluate_run, knee_share_of, make_run, steady

SPEC = load_slo(LINEAR_SLO)


def _judged_run(results, name, started, commit, fast_ms):
    """A judged run folder whose capacity depends on how fast its stages were."""
    run = make_run(results / name, SPEC, [
        {"name": "s1", "offered_rps": 500, "latencies": steady(fast_ms), "all_traffic": 15000},
        {"name": "s2", "offered_rps": 1000, "latencies": steady(fast_ms, tail_ms=200, tail_share=0.03),
         "all_traffic": 30000}])
    report = evaluate_run(run, SPEC).to_json()
    report["run"]["started"] = started
    report["manifest"] = {"git": {"commit": commit * 40, "dirty": False}}
    (run / "slo_report.json").write_text(json.dumps(report))
    return report


@pytest.fixture
def results(tmp_path):
    results = tmp_path / "results"
    for i, (commit, fast) in enumerate((("a", 2), ("b", 3), ("c", 2))):
        _judged_run(results, f"2026112{i}T000000Z-fake", 1_700_000_000 + 3600 * i, commit, fast)
    (results / "20261129T000000Z-cut").mkdir()  # a run cut before its report: counted, not listed
    (results / "latest").symlink_to("20261122T000000Z-fake")
    return results


def test_three_runs_are_listed_newest_first_with_what_identifies_them(results):
    rows, unjudged = collect(results)
    assert [r["run"] for r in rows] == ["20261122T000000Z-fake", "20261121T000000Z-fake", "20261120T000000Z-fake"]
    assert [r["commit"] for r in rows] == ["cccccccccc", "bbbbbbbbbb", "aaaaaaaaaa"] and unjudged == 1
    assert all(r["profile"] == "fake" and r["verdict"] == "fail" and r["capacity_rps"] == 500 for r in rows)
    assert all(r["capacity_high_rps"] == 1000 for r in rows)  # s2, offered 1,000 req/s, failed with confidence
    assert rows[0]["gated_p99_ms"] > 100  # the gated stage s2's tail at 200 ms


def test_the_index_charts_capacity_and_gated_p99_per_profile(results):
    page = write_index(results).read_text()
    charts = json.loads(page.split("id='charts'>")[1].split("</script>")[0])
    capacity = next(c for c in charts if c["key"] == "capacity_rps")
    assert capacity["figure"]["data"][0]["name"] == "fake" and capacity["figure"]["data"][0]["y"] == [500, 500, 500]
    # Each run's capacity is its interval: a bar from the confident pass up to the confident failure.
    assert capacity["figure"]["data"][0]["error_y"]["array"] == [500, 500, 500]
    assert "[500, 1000] req/s (s1)" in page
    p99 = next(c for c in charts if c["key"] == "gated_p99_ms")
    assert [t["name"] for t in p99["figure"]["data"]] == ["fake", "fake: p99 SLO 100 ms"]
    for run in ("20261120T000000Z-fake", "20261121T000000Z-fake", "20261122T000000Z-fake"):
        assert f"href='{run}/report.html'" in page


def test_the_knee_as_a_share_of_saturation_is_charted_and_listed_where_runs_measured_it(results):
    run = results / "20261121T000000Z-fake" / "slo_report.json"
    report = json.loads(run.read_text())
    report["capacity"]["knee_share"] = knee_share_of(82.0, [74.9, 95.0]).model_dump()
    run.write_text(json.dumps(report))
    rows, _ = collect(results)
    assert [(r["knee_share_pct"], r["knee_share_high_pct"]) for r in rows] == [(None, None), (74.9, 95.0),
                                                                              (None, None)]
    page = write_index(results).read_text()
    charts = json.loads(page.split("id='charts'>")[1].split("</script>")[0])
    share = next(c for c in charts if c["key"] == "knee_share_pct")
    assert share["figure"]["data"][0]["y"] == [None, 74.9, None]
    assert "[74.9, 95]" in page


def test_make_report_rebuilds_the_index_and_can_redraw_every_report(results, capsys):
    assert main(["report", "--results", str(results), "--rerender"]) == 0
    out = capsys.readouterr().out
    assert out.count("redrawn:") == 3 and (results / "index.html").is_file()
    assert all((results / r / "report.html").is_file() for r in ("20261120T000000Z-fake", "20261122T000000Z-fake"))


def test_make_report_on_a_missing_folder_says_so(tmp_path, capsys):
    assert main(["report", "--results", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such results folder" in capsys.readouterr().err


@pytest.mark.integration
def test_the_index_renders_in_chromium_offline_with_both_charts(results):
    from tests import browser

    shown = browser.render(write_index(results), "index.png")
    assert shown.errors == []
    assert {k: c["drawn"] for k, c in shown.charts.items()} == {"capacity_rps": True, "gated_p99_ms": True}
    assert shown.charts["capacity_rps"]["traces"]["fake"]["y"] == [500, 500, 500]
    assert "20261121T000000Z-fake" in shown.text and shown.screenshot.stat().st_size > 20_000
