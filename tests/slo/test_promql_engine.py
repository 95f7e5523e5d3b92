"""The evaluator's PromQL and the unit-test fakes, checked in Prometheus's own engine (promtool)."""
import pytest

from slo.promql import stage_queries
from slo.spec import MetricsSpec
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
