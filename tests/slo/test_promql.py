import pytest

from slo.promql import matchers, mean_query, rps_query, stage_queries, window
from slo.spec import MetricsSpec

M = MetricsSpec()


@pytest.mark.parametrize("seconds, expected", [(30, "[30000ms]"), (27.25, "[27250ms]"), (0.5, "[500ms]")],
                         ids=["whole seconds", "a fractional window", "under a second"])
def test_windows_are_exact_to_the_millisecond(seconds, expected):
    assert window(seconds) == expected


def test_an_empty_window_is_refused():
    with pytest.raises(ValueError, match="window must be positive"):
        window(0)


@pytest.mark.parametrize("name, expected", [
    ("requests_by_status", 'sum by (status) (increase(api_requests_total{endpoint="/predict"}[30000ms]))'),
    ("latency_buckets", 'sum by (le) (increase(api_request_latency_seconds_bucket{endpoint="/predict"}[30000ms]))'),
    ("quantile_0.99", 'histogram_quantile(0.99, sum by (le) (increase(api_request_latency_seconds_bucket{endpoint="/predict"}[30000ms])))'),
    ("up_min", 'min(min_over_time(up{job="api"}[30000ms]))'),
    ("all_traffic", 'sum(increase(api_requests_total{endpoint!="/metrics"}[30000ms]))'),
    ("counter_resets", 'sum(resets(api_requests_total{endpoint="/predict"}[30000ms]))'),
], ids=["requests by status", "bucket increases", "a quantile", "availability", "all traffic for throughput", "counter resets"])
def test_stage_queries(name, expected):
    assert stage_queries(M, 30, [0.99])[name] == expected


def test_rps_and_mean_follow_the_definitions():
    assert rps_query(M, 30) == 'sum(increase(api_request_latency_seconds_count{endpoint="/predict"}[30000ms])) / 30'
    assert mean_query(M, 30) == ('sum(increase(api_request_latency_seconds_sum{endpoint="/predict"}[30000ms])) / '
                                 'sum(increase(api_request_latency_seconds_count{endpoint="/predict"}[30000ms]))')


def test_metric_names_and_selectors_come_from_configuration():
    other = MetricsSpec(requests_total="http_requests_total", latency_histogram="http_duration_seconds",
                        selector={"route": "/score", "svc": "b"}, up_selector={"job": "scorer"})
    q = stage_queries(other, 10, [0.5])
    assert q["latency_count"] == 'sum(increase(http_duration_seconds_count{route="/score",svc="b"}[10000ms]))'
    assert q["up_min"] == 'min(min_over_time(up{job="scorer"}[10000ms]))'
    assert matchers({}) == "{}"
