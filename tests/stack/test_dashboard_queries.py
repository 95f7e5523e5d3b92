"""Dashboard panels whose value can be known exactly, checked against a real Prometheus."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from slo.prometheus_api import Prometheus
from stack import prometheus
from stack.dashboard import PANELS
from stack.procs import free_port, stop_pid, wait_until

pytestmark = pytest.mark.integration
RATES = {"200": 90.0, "500": 6.0, "404": 4.0}  # req/s: the 5xx share is exactly 6 %


def _exposition(t0: float) -> bytes:
    elapsed = time.time() - t0
    lines = ["# TYPE api_requests_total counter"]
    lines += [f'api_requests_total{{endpoint="/predict",method="POST",status="{s}"}} {r * elapsed:.3f}'
              for s, r in RATES.items()]
    return ("\n".join(lines) + "\n").encode()


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
    (tmp / "prometheus.yml").write_text(prometheus.render_config(f"127.0.0.1:{server.server_port}", 1))
    proc = prometheus.start(prometheus.find_binary(None), tmp / "prometheus.yml", tmp / "tsdb", port, tmp / "prom.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: len(Prometheus(url).query("api_requests_total[10s]")) == 3 and
                   all(len(r["values"]) >= 6 for r in Prometheus(url).query("api_requests_total[10s]")),
                   30, "six scrapes of the known counters")
        yield url
    finally:
        stop_pid(proc.pid)
        server.shutdown()


def _panel_query(title_start: str) -> str:
    [(_, _, [(_, query)], _)] = [p for p in PANELS if p[0].startswith(title_start)]
    return query.replace("$__rate_interval", "5s")


def test_the_error_ratio_panel_shows_the_5xx_share_not_the_5xx_rate(prometheus_with_5xx):
    [sample] = Prometheus(prometheus_with_5xx).query(_panel_query("Error ratio"))
    assert float(sample["value"][1]) == pytest.approx(RATES["500"] / sum(RATES.values()), rel=1e-3)
