"""Dashboard panels whose value can be known exactly, checked against a real Prometheus."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from common.prometheus_api import Prometheus
from stack import prometheus_server
from stack.dashboard import PANELS
from stack.procs import free_port, stop_pid, wait_until

pytestmark = pytest.mark.integration
RATES = {"200": 90.0, "500": 6.0, "404": 4.0}  # req/s to /predict: the 5xx share is exactly 6 %
# Cumulative req/s at or under each latency edge (s): half by 5 ms, 90 by 10 ms, 99 by 50 ms, all by 100 ms;
# 0.8 s of latency a second over 100 req/s: a mean of exactly 8 ms.
LATENCY = {"0.005": 50.0, "0.01": 90.0, "0.05": 99.0, "0.1": 100.0, "+Inf": 100.0}
LATENCY_SUM = 0.8
CLASSES = {"0": 70.0, "1": 26.0}
PROBABILITY = {"0.5": 70.0, "1.0": 96.0, "+Inf": 96.0}


def _exposition(t0: float) -> bytes:
    """Counters that grow at exactly the rates above, as the API's metrics would, each sample stamped with the time
    it was computed at: Prometheus stamps a sample with its scrape's start otherwise, and the handler's delay, which
    a busy machine varies by milliseconds, read 89.90 req/s for 90."""
    stamp = int(time.time() * 1000)
    e = stamp / 1000 - t0
    ep = 'endpoint="/predict"'
    lines = ["# TYPE api_requests_total counter"]
    lines += [f'api_requests_total{{{ep},method="POST",status="{s}"}} {r * e:.4f}' for s, r in RATES.items()]
    lines += ["# TYPE api_request_latency_seconds histogram"]
    lines += [f'api_request_latency_seconds_bucket{{{ep},le="{le}"}} {r * e:.4f}' for le, r in LATENCY.items()]
    lines += [f"api_request_latency_seconds_sum{{{ep}}} {LATENCY_SUM * e:.6f}",
              f"api_request_latency_seconds_count{{{ep}}} {LATENCY['+Inf'] * e:.4f}"]
    lines += ["# TYPE api_predictions_total counter"]
    lines += [f'api_predictions_total{{predicted_class="{k}"}} {r * e:.4f}' for k, r in CLASSES.items()]
    lines += ["# TYPE api_prediction_probability histogram"]
    lines += [f'api_prediction_probability_bucket{{le="{le}"}} {r * e:.4f}' for le, r in PROBABILITY.items()]
    lines += [f"api_prediction_probability_sum {0.3 * 96 * e:.4f}", f"api_prediction_probability_count {96 * e:.4f}"]
    return ("\n".join(line if line.startswith("#") else f"{line} {stamp}" for line in lines) + "\n").encode()


@pytest.fixture(scope="module")
def prometheus_with_5xx(tmp_path_factory):
    """A real Prometheus scraping, every second, a target whose counters grow at known rates."""
    tmp = tmp_path_factory.mktemp("dash")
    t0 = time.time()

    class Metrics(BaseHTTPRequestHandler):
        def do_GET(self):
            body = _exposition(t0)
            self.send_response(200)
            self.send_header("content-type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Metrics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = free_port()
    (tmp / "prometheus.yml").write_text(prometheus_server.render_config(f"127.0.0.1:{server.server_port}", 1))
    proc = prometheus_server.start(prometheus_server.find_binary(None), tmp / "prometheus.yml", tmp / "tsdb", port, tmp / "prom.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: len(Prometheus(url).query("api_requests_total[12s]")) == 3 and
                   all(len(r["values"]) >= 12 for r in Prometheus(url).query("api_requests_total[12s]")),
                   40, "twelve scrapes of the known counters")
        yield url
    finally:
        stop_pid(proc.pid)
        server.shutdown()


def _panel_queries(title_start: str) -> list[str]:
    """The panel's queries with Grafana's variables set; the lab's fixed [5m] shortened to the target's life (a
    rate over a range the series does not fill is divided by the whole range)."""
    [(_, _, legends, _)] = [p for p in PANELS if p[0].startswith(title_start)]
    return [q.replace("$__rate_interval", "5s").replace("$__range", "10s").replace("[5m]", "[10s]")
            for _, q in legends]


def _values(url: str, query: str, by: str | None) -> dict:
    """{label `by`'s value (or the endpoint and status pair, or ""): the sample's value}."""
    out = {}
    for sample in Prometheus(url).query(query):
        m = sample["metric"]
        key = (m.get("endpoint"), m.get("status")) if by == "endpoint,status" else m.get(by, "") if by else ""
        out[key] = float(sample["value"][1])
    return out


# Each panel's queries against the known counters: the value every query must give (rates in req/s, latency in s,
# increases over the panel's range). A query that picked the wrong series or divided the wrong way fails here.
KNOWN = [
    ("Request rate by endpoint", None, "endpoint,status", [{("/predict", s): r for s, r in RATES.items()}]),
    ("Error ratio", None, None, [{"": RATES["500"] / sum(RATES.values())}]),
    ("Latency of /predict", None, None,
     [{"": LATENCY_SUM / LATENCY["+Inf"]}, {"": 0.005}, {"": 0.01 + 0.04 * (95 - 90) / (99 - 90)}, {"": 0.05}]),
    ("Latency heatmap", 5.0, "le", [{le: 5 * r for le, r in LATENCY.items()}]),
    ("API up", None, None, [{"": 1.0}]),
    ("Predictions by class", None, "predicted_class", [CLASSES]),
    ("Predicted churn probability", 10.0, "le", [{le: 10 * r for le, r in PROBABILITY.items()}]),
    ("The lab's panels", None, "status", [{s: r for s, r in RATES.items()}, {"": LATENCY_SUM / LATENCY["+Inf"]}]),
]


@pytest.mark.parametrize("title, seconds, by, expected", KNOWN, ids=[k[0] for k in KNOWN])
def test_every_dashboard_panel_shows_its_known_value(prometheus_with_5xx, title, seconds, by, expected):
    """Rates exact to 1e-3; increases over a range extrapolate its edges, so within 2 %."""
    queries = _panel_queries(title)
    assert len(queries) == len(expected)
    for query, want in zip(queries, expected):
        got = _values(prometheus_with_5xx, query, by)
        assert set(got) == set(want), (query, got)
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=2e-2 if seconds else 1e-3), (query, key, got)


def test_every_panel_is_checked():
    assert sorted(k[0] for k in KNOWN) == sorted(next(k[0] for k in KNOWN if p[0].startswith(k[0])) for p in PANELS)
