"""Accuracy and reconciliation, table-driven on synthetic samples."""
import numpy as np
import pytest

from slo.stats.accuracy import quantile_accuracy, reconcile
from slo.stats.figures import interpolated_counts


def _series(points, status="200"):
    return {"metric": {"status": status}, "values": [[t, str(v)] for t, v in points]}


@pytest.mark.parametrize("points, expected", [
    ([(t, 100 * t) for t in range(0, 13)], 1000.0),
    ([(t, 100 * t) for t in range(0, 6)] + [(t, 100 * (t - 6)) for t in range(6, 13)], 900.0),
    ([(t, 100 * t) for t in range(0, 12)] + [(12, 100 * 11 + 900)], 1000.0),
    ([(t + 0.5, 100 * t) for t in range(0, 13)], 1000.0),
], ids=["a steady counter", "a reset loses only the requests since the last scrape", "a faster next stage right after the end",
        "scrapes off the window's edges"])
def test_counts_are_interpolated_at_the_window_edges(points, expected):
    got = interpolated_counts({"result": [_series(points)]}, 1.0, 11.0, "status")
    assert got["200"] == pytest.approx(expected, rel=0.01)


def test_a_series_born_inside_the_window_counts_from_zero():
    got = interpolated_counts({"result": [_series([(5, 3), (6, 3), (7, 4), (8, 5), (9, 6), (10, 7), (11, 8), (12, 9)],
                                                  "500")]}, 1.0, 11.0, "status")
    assert got["500"] == pytest.approx(8)


@pytest.mark.parametrize("scrape_s, last", [(1, 104), (10, 110)], ids=["a 1 s scrape", "a 10 s scrape"])
def test_a_target_that_died_inside_the_window_is_not_extrapolated_past_half_a_scrape(scrape_s, last):
    # 100 req/s until the API was killed early in a 30 s window [100, 130]; its series stops at `last`.
    points = [(t, 100 * t) for t in range(100 - 2 * scrape_s, last + 1, scrape_s)]
    got = interpolated_counts({"result": [_series(points)]}, 100.0, 130.0, "status", scrape_interval_s=scrape_s)
    assert got["200"] == pytest.approx(100 * (last - 100) + 100 * 0.5 * scrape_s)
    assert got["200"] < 100 * (last - 100 + scrape_s)  # never the 30 s a last-rate extrapolation would invent


def test_too_few_samples_give_no_interpolation():
    assert interpolated_counts({"result": [_series([(5, 3)])]}, 1.0, 11.0, "status") == {}


SERVER = {"quantiles": {"0.5": {"ms": 1.2, "bucket_ms": [1.0, 1.5]}, "0.99": {"ms": 98.0, "bucket_ms": [80.0, 100.0]}}}


def test_estimates_are_set_beside_exact_quantiles():
    lat = np.array([1.25] * 985 + [99.0] * 15)
    acc = quantile_accuracy(SERVER, lat, {"p99": (0.99, 100.0)}, [80.0, 100.0])
    assert acc["rows"] == 1000
    assert acc["quantiles"]["0.5"]["exact_ms"] == 1.25 and acc["quantiles"]["0.5"]["within_bucket"]
    assert acc["recommendations"] == []


@pytest.mark.parametrize("lat, thresholds, boundaries, why", [
    (np.array([1.25] * 980 + [120.0] * 20), {"p99": (0.99, 100.0)}, [80.0, 100.0], "different sides of the threshold"),
    (np.array([1.25] * 985 + [99.0] * 15), {"p99": (0.99, 90.0)}, [80.0, 100.0], "not a bucket boundary"),
], ids=["a verdict that the buckets flip", "a threshold between boundaries"])
def test_bucket_boundaries_are_recommended_where_the_buckets_do_not_keep_their_promise(lat, thresholds, boundaries, why):
    [rec] = quantile_accuracy(SERVER, lat, thresholds, boundaries)["recommendations"]
    assert why in rec["why"] and rec["add_boundaries_ms"]


def test_no_recorded_latencies_say_so():
    assert "unavailable" in quantile_accuracy(SERVER, None, {}, [])["note"]


C = {"requests": 1000, "no_response": 0, "status_200": 1000}


@pytest.mark.parametrize("client, server, recorded, window_s, flagged", [
    (C, {"requests_interpolated": 1005.0, "status_200_interpolated": 1005.0}, 1000, 60, []),
    (C, {"requests_interpolated": 940.0, "status_200_interpolated": 940.0}, 1000, 60,
     ["locust_vs_prometheus", "prometheus_200_vs_recorded"]),
    (C, {"requests_interpolated": 1025.0, "status_200_interpolated": 1025.0}, 1000, 10, []),
    (C, {"requests_interpolated": 1000.0, "status_200_interpolated": 1000.0}, 985, 60, []),
    (C, {"requests_interpolated": 1000.0, "status_200_interpolated": 1000.0}, 900, 60,
     ["locust_vs_recorded", "prometheus_200_vs_recorded"]),
    ({"requests": 1300, "no_response": 300, "status_200": 1000},
     {"requests_interpolated": 1000.0, "status_200_interpolated": 1000.0}, 1000, 60, []),
    (None, {"requests": 1000.0, "status_200": 1000.0}, 1000, 60, []),
], ids=["within tolerance", "Locust saw more than Prometheus", "a short window allows half a scrape of traffic",
        "1.5 % fewer rows than answers is within 2 %", "recorded rows were lost",
        "requests with no response never reached the server", "no client log to compare"])
def test_reconciliation(client, server, recorded, window_s, flagged):
    r = reconcile(client, server, recorded, 0.02, 100, window_s)
    assert r["flagged"] == flagged and r["ok"] is (not flagged)


def test_edges_between_stages_of_other_rates_are_not_blurred_by_a_10_s_scrape():
    # 160 req/s from t=100 to t=150, nothing before or after; the window is [102.2, 150], scrapes every 10 s.
    count = lambda t: 160 * min(max(t - 100, 0), 50)  # noqa: E731
    points = [(t, count(t)) for t in range(85, 175, 10)]
    got = interpolated_counts({"result": [_series(points)]}, 102.2, 150.0, "status", scrape_interval_s=10)
    assert got["200"] == pytest.approx(160 * 47.8, rel=0.005)


def test_a_series_born_during_the_settle_does_not_count_the_settle():
    # Seen at a 10 s scrape: the 200s series appeared with the load at 914.7, the window is [916.9, 964.7],
    # and its first sample (923.5) already held the settle's requests.
    points = [(923.5, 1413), (933.5, 3000), (943.5, 4630), (953.5, 6239), (963.5, 7876), (973.5, 8074)]
    got = interpolated_counts({"result": [_series(points)]}, 916.875, 964.675, "status", scrape_interval_s=10)
    assert got["200"] == pytest.approx(7708, rel=0.01)  # what Locust answered in that window
