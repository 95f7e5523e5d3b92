"""Against an API whose latency distribution is known: real uvicorn, real Prometheus, real Locust."""
import sqlite3

import numpy as np
import pytest

from tests.profiles import closed_profile
from tests.slo.known_run import judged_run

pytestmark = [pytest.mark.integration, pytest.mark.load]

PROFILE = closed_profile("known", ("k1", 30, 100, 25), weights="{predict_user: 1}", settle_s=2)


SCRAPE_S = 1.0   # tests/slo/known_run.py's Prometheus


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    report, run_dir = judged_run(tmp_path_factory.mktemp("known"), PROFILE)
    stage = report.stages[0]
    with sqlite3.connect(run_dir / "predictions.db") as conn:
        rows = np.array(conn.execute("SELECT ts, latency_s * 1000 FROM predictions").fetchall())
    w = stage.window
    return report, stage, rows[(rows[:, 0] > w.start) & (rows[:, 0] <= w.end), 1], rows


def _shares_at_or_below(rows, window, bound: float) -> list[float]:
    """The recorded share at or below `bound` over the stage's window and every window a scrape off it at either
    edge: the recording and Prometheus's counts cover the same window only to within a scrape's edge, and where the
    latency moved at an edge that moves the share (under make test's parallel halves, the stage's first 3 seconds
    had 66 to 84 % of their requests at or below 4 ms, the rest 95 to 97 %)."""
    out = []
    for start in (window.start - SCRAPE_S, window.start, window.start + SCRAPE_S):
        for end in (window.end - SCRAPE_S, window.end, window.end + SCRAPE_S):
            lat = rows[(rows[:, 0] > start) & (rows[:, 0] <= end), 1]
            out.append(float((lat <= bound).mean()))
    return out


def _objective(stage, name):
    return next(o for o in stage.objectives if o.name == name)


def test_the_true_distribution_is_what_was_built(judged):
    _, _, lat, _ = judged
    slow = (lat > 150).mean()
    assert len(lat) > 1000 and 0.025 <= slow <= 0.035


@pytest.mark.parametrize("q", ["0.5", "0.95", "0.99"])
def test_reported_quantiles_lie_within_the_bucket_bounds_they_report(judged, q):
    _, stage, lat, rows = judged
    reported = stage.server.quantiles[q]
    low, high = reported["bucket_ms"]
    exact = float(np.percentile(lat, float(q) * 100))
    shares = {b: _shares_at_or_below(rows, stage.window, b) for b in (low, high) if b is not None}
    # The recorded rows and Prometheus's counts cover the same window to within a scrape's edge, so over some
    # window that close the bucket must hold the exact quantile, up to half a percent of rank.
    rank_slack = 0.005
    assert min(shares[low]) <= float(q) + rank_slack, (q, exact, reported, shares)
    assert high is None or max(shares[high]) >= float(q) - rank_slack, (q, exact, reported, shares)
    assert low <= reported["ms"] <= (high or float("inf"))


def test_the_reported_mean_matches_the_exact_mean(judged):
    _, stage, lat, _ = judged
    assert stage.server.mean_ms == pytest.approx(lat.mean(), rel=0.10)


def test_the_mean_passing_while_p99_fails_is_called_out(judged):
    report, stage, lat, _ = judged
    assert _objective(stage, "mean").status == "pass"
    assert _objective(stage, "p99").status == "fail"
    # 3 % over 100 ms, counted exactly from the histogram: the interval holds the recorded share and lies above 1 %.
    c = _objective(stage, "p99").confidence
    assert 0.01 < c.low <= (lat > 100).mean() <= c.high, (c, (lat > 100).mean())
    # The histogram's count covers the window from its first to its last scrape inside it, the recording all of it:
    # the same share of a slightly smaller sample, within three binomial standard deviations of that share.
    p = float((lat > 100).mean())
    assert c.counted == pytest.approx(p * c.requests, abs=3 * (c.requests * p * (1 - p)) ** 0.5 + 1)
    assert any("the mean hides the tail" in s and "p99" in s for s in report.sentences)
    assert report.verdict.exit_code == 1


def test_the_tail_picture_shows_p99_far_above_the_mean_in_chromium(judged, tmp_path):
    from slo.reports.write import write_all
    from tests import browser

    report, stage, _, _ = judged
    write_all(tmp_path, report)
    shown = browser.render(tmp_path / "report.html", "report-known-distribution.png")
    assert shown.errors == [] and shown.charts["tail-k1"]["drawn"]
    traces = shown.charts["tail-k1"]["traces"]
    marks = traces["p50, p95, p99 (server)"]
    mean = next(t for name, t in traces.items() if name.startswith("mean (server)"))["y"][0]
    p99 = marks["y"][-1]
    # 3 % of requests at 200 ms: the mean stays low, the p99 sits in the slow mode, far above it.
    assert mean == stage.server.mean_ms and p99 == stage.server.quantile_ms(0.99)
    assert p99 > 5 * mean, (p99, mean)
    # Both curves reach the slow mode in the tail: the server's buckets and the client's HDR histogram.
    assert max(traces["server (histogram buckets)"]["y"]) >= 150 and max(traces["client (HDR histogram)"]["y"]) >= 150


def test_the_run_over_time_agrees_with_the_stage_figures(judged):
    report, stage, _, _ = judged
    server = report.series.server
    start, end = (stage.window.start - report.run.started, stage.window.end - report.run.started)
    inside = [i for i, t in enumerate(server.t) if start + 3 <= t <= end]  # past the rate window's reach back
    rps = [server.rps[i] for i in inside]
    assert len(inside) >= 15 and all(v is not None for v in rps)
    assert sum(rps) / len(rps) == pytest.approx(stage.server.rps, rel=0.05)
    # Each point's p99 lies in the slow mode, as the stage's does.
    p99 = server.values("p99_ms")
    assert all(p99[i] > 100 for i in inside), [p99[i] for i in inside]
