"""The evaluator's PromQL and the unit-test fakes, checked in Prometheus's own engine (promtool)."""
import pytest

from slo.prometheus.promql import stage_queries
from slo.file.model import MetricsSpec
from tests.promtool import evaluate
from tests.slo.fakes import histogram_quantile

pytestmark = pytest.mark.integration
M = MetricsSpec()


@pytest.mark.parametrize("up, start, end, expected", [
    ("1 1 0 1 1 1 1 1", 22, 32, None),
    ("1 1 1 1 1 0 0 1", 42, 62, 50.0),
    ("1 1 1 1 1 1 1 1", 12, 62, None),
], ids=["an outage before the window is not this stage's", "the first down scrape inside the window",
        "never down"])
def test_found_down_at_is_a_scrape_inside_the_window(up, start, end, expected):
    query = stage_queries(M, end - start, [], start=start, scrape_interval_s=10)["down_at"]
    got = evaluate({'up{job="api"}': up}, query, f"{end}s", interval="10s")
    assert (got.get("{}") if got else None) == expected


BUCKETS = {"0.001": 50, "0.005": 90, "0.01": 99, "0.1": 100, "+Inf": 100}


@pytest.mark.parametrize("q", [0.25, 0.5, 0.7, 0.99, 0.995, 1.0])
def test_the_fakes_quantile_is_prometheuss_histogram_quantile(q):
    series = {f'h_bucket{{le="{le}"}}': f"0+{n}x60" for le, n in BUCKETS.items()}
    got = evaluate(series, f"histogram_quantile({q}, sum by (le) (increase(h_bucket[30s])))", "40s")
    fake = histogram_quantile(q, {float(le): 30 * n for le, n in BUCKETS.items()})
    assert got["{}"] == pytest.approx(fake, rel=1e-9)


# Known counters, one sample a second for 100 s: /predict of job api at 90 answers/s with status 200 and 6 with 500;
# its latency histogram (96 requests/s: 48 by 5 ms, 86 by 10 ms, all by 100 ms; 0.96 s of latency a second, a
# 10 ms mean); its /metrics endpoint and another job, which no stage query may count.
KNOWN_SERIES = {
    'api_requests_total{endpoint="/predict",job="api",status="200"}': "0+90x100",
    'api_requests_total{endpoint="/predict",job="api",status="500"}': "0+6x100",
    'api_requests_total{endpoint="/metrics",job="api",status="200"}': "0+1x100",
    'api_requests_total{endpoint="/predict",job="other",status="200"}': "0+1000x100",
    **{f'api_request_latency_seconds_bucket{{endpoint="/predict",job="api",le="{le}"}}': f"0+{n}x100"
       for le, n in (("0.005", 48), ("0.01", 86), ("0.1", 96), ("+Inf", 96))},
    'api_request_latency_seconds_sum{endpoint="/predict",job="api"}': "0+0.96x100",
    'api_request_latency_seconds_count{endpoint="/predict",job="api"}': "0+96x100",
    'up{job="api"}': "1x100",
    'up{job="other"}': "0x100",
}
# Over the 30 s window ending at 60 s: every increase is the rate times 30.
KNOWN_ANSWERS = {
    "requests_by_status": {'{status="200"}': 2700.0, '{status="500"}': 180.0},
    "all_traffic": {"{}": 2880.0},
    "latency_sum": {"{}": 28.8},
    "latency_count": {"{}": 2880.0},
    "latency_buckets": {'{le="0.005"}': 1440.0, '{le="0.01"}': 2580.0, '{le="0.1"}': 2880.0, '{le="+Inf"}': 2880.0},
    "quantile_0.99": {"{}": 0.01 + 0.09 * (0.99 * 96 - 86) / (96 - 86)},   # interpolated in (10 ms, 100 ms]
    "quantile_0.5": {"{}": 0.005 + 0.005 * (48 - 48) / (86 - 48)},          # the 5 ms edge exactly
    "up_min": {"{}": 1.0},
    "up_samples": {"{}": 31.0},   # Prometheus 2's ranges hold both ends: the samples at 30 s and at 60 s
    "counter_resets": {"{}": 0.0},
    "by_instance_requests": {"{}": 2880.0},
    "by_instance_5xx": {"{}": 180.0},
    "up_share_min": {"{}": 1.0},
    "down_at": {},
}


@pytest.mark.parametrize("name", sorted(KNOWN_ANSWERS))
def test_each_stage_query_gives_its_known_answer_in_prometheuss_engine(name):
    query = stage_queries(M, 30, [0.5, 0.99], start=30)[name]
    got = evaluate(KNOWN_SERIES, query, "60s")
    assert got.keys() == KNOWN_ANSWERS[name].keys(), (query, got)
    for labels, value in KNOWN_ANSWERS[name].items():
        assert got[labels] == pytest.approx(value, rel=1e-9), (query, labels, got)


def test_another_apis_metric_names_and_selectors_are_read_from_the_slo_file():
    other = MetricsSpec(requests_total="http_requests_total", latency_histogram="http_duration_seconds",
                        status_label="code", selector={"route": "/score"}, up_selector={"job": "scorer"})
    series = {'http_requests_total{route="/score",job="scorer",code="200"}': "0+10x100",
              'http_requests_total{route="/other",job="scorer",code="200"}': "0+99x100",
              'api_requests_total{endpoint="/predict",job="api",status="200"}': "0+90x100"}
    got = evaluate(series, stage_queries(other, 30, [], start=30)["requests_by_status"], "60s")
    assert got == {'{code="200"}': 300.0}


def test_an_imported_counter_selector_counts_the_good_events_of_the_window():
    from slo.prometheus.promql import sli_queries
    from slo.file.load import load_slo
    [availability] = [o for o in load_slo("slo/examples/openslo.yaml").objectives if o.name == "predict-availability"]
    queries = sli_queries([availability], 30)
    good = evaluate(KNOWN_SERIES, queries["sli_good_predict-availability"], "60s")
    total = evaluate(KNOWN_SERIES, queries["sli_total_predict-availability"], "60s")
    assert good == {"{}": 2700.0} and total == {"{}": 2880.0}   # the 5xx are bad; /metrics and other jobs not counted


def test_answered_counts_the_targets_answers_only():
    """What the refinement waits on to be still: /predict's answers of every status at 60 s (96 a second), not
    /metrics's nor another job's."""
    from slo.prometheus.promql import answered_query
    got = evaluate(KNOWN_SERIES, answered_query(M), "60s")
    assert got == {"{}": 96.0 * 60}
