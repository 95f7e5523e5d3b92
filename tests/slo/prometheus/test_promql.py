import pytest

from slo.prometheus.promql import edge_samples_query, stage_queries, window
from common.prometheus_api import matchers
from slo.file.model import MetricsSpec

M = MetricsSpec()


@pytest.mark.parametrize("seconds, expected", [(30, "[30000ms]"), (27.25, "[27250ms]"), (0.5, "[500ms]")],
                         ids=["whole seconds", "a fractional window", "under a second"])
def test_windows_are_exact_to_the_millisecond(seconds, expected):
    assert window(seconds) == expected


def test_an_empty_window_is_refused():
    with pytest.raises(ValueError, match="window must be positive"):
        window(0)


@pytest.mark.parametrize("scrape_s, step", [(1, "1000ms"), (10, "10000ms")], ids=["a 1 s scrape", "a 10 s scrape"])
def test_found_down_at_looks_only_inside_the_window_at_the_scrape_resolution(scrape_s, step):
    q = stage_queries(M, 30, [], start=1700000000.5, scrape_interval_s=scrape_s)["down_at"]
    assert q == ('min(min_over_time(((timestamp(up{job="api"}) and up{job="api"} == 0) >= 1700000000.500)'
                 f'[30000ms:{step}]))')


@pytest.mark.parametrize("scrape_s, window_ms", [(1, 34000), (15, 90000)], ids=["a 1 s scrape", "a 15 s scrape"])
def test_edge_samples_reach_two_scrapes_past_each_edge(scrape_s, window_ms):
    assert edge_samples_query(M, 30, scrape_s) == f'api_requests_total{{endpoint="/predict",job="api"}}[{window_ms}ms]'


def test_an_empty_selector_is_written_as_braces():
    assert matchers({}) == "{}"


@pytest.mark.parametrize("instances, fragments", [
    (None, ['job="api"']),
    (["127.0.0.1:8000"], ['instance="127.0.0.1:8000"', 'job="api"']),
    (["10.0.0.1:8000", "10.0.0.2:8000"], ['job="api"', 'instance=~"10\\\\.0\\\\.0\\\\.1:8000|10\\\\.0\\\\.0\\\\.2:8000"']),
], ids=["the job only (a target the harness did not start)", "the instance the harness started",
        "several instances, as one escaped regex"])
def test_every_query_is_scoped_to_the_target(instances, fragments):
    for name, query in stage_queries(M, 30, [0.99], start=0, instances=instances).items():
        for fragment in fragments:
            assert fragment in query, (name, query)
