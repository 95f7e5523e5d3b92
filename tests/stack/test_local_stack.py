"""The real local stack: uvicorn + Prometheus on free loopback ports, under traffic."""
import json
import threading
import urllib.request

import pytest

from stack import local
from stack.dashboard import queries
from slo.prometheus_api import Prometheus
from stack.procs import http_get, pid_alive, port_in_use, wait_until
from stack.settings import StackSettings

pytestmark = pytest.mark.integration

LAB_QUERIES = [
    "up",
    "api_requests_total",
    "rate(api_requests_total[5m])",
    "rate(api_request_latency_seconds_sum[5m]) / rate(api_request_latency_seconds_count[5m])",
]


def _traffic(url: str, n: int) -> None:
    for i in range(n):
        user = "7590-VHVEG" if i % 10 else "nobody"
        req = urllib.request.Request(url + "/predict", data=f'{{"user_id": "{user}"}}'.encode(),
                                     headers={"content-type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=5).read()
        except Exception:  # noqa: BLE001 - the 404s are part of the traffic
            pass


@pytest.fixture(scope="module")
def stack(model_path, tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("stack")
    settings = StackSettings(state_dir=state_dir)  # with the generated SLO rules (stack/rules/slo-rules.yml)
    state = local.up(settings, predictions_db=state_dir / "p.db", ephemeral_ports=True, log=lambda *_: None)
    try:
        stop = threading.Event()
        t = threading.Thread(target=lambda: [_traffic(state.api_url, 50) for _ in iter(stop.is_set, True)])
        t.start()
        # Enough scrapes for rate() over every panel's window to have two samples.
        wait_until(lambda: bool(Prometheus(state.prometheus_url).query('rate(api_requests_total{status="200"}[1m]) > 0')),
                   30, "traffic visible in Prometheus")
        yield settings, state
        stop.set()
        t.join(timeout=30)
    finally:
        local.down(state_dir, log=lambda *_: None)


def test_prometheus_sees_the_api_up(stack):
    _, state = stack
    result = Prometheus(state.prometheus_url).query("up")
    assert [r["value"][1] for r in result] == ["1"]


@pytest.mark.parametrize("query", LAB_QUERIES, ids=["up", "the request counter", "the request rate", "the mean latency"])
def test_the_lab_queries_still_return_data(stack, query):
    _, state = stack
    assert Prometheus(state.prometheus_url).query(query)


@pytest.mark.parametrize("query", queries(), ids=lambda q: q[:60])
def test_every_dashboard_query_parses_and_returns_data(stack, query):
    _, state = stack
    concrete = query.replace("$__rate_interval", "1m").replace("$__range", "5m")
    assert Prometheus(state.prometheus_url).query(concrete), concrete


def test_the_local_prometheus_loads_the_slo_rules_and_records_them(stack):
    _, state = stack
    groups = json.loads(http_get(state.prometheus_url + "/api/v1/rules")[1])["data"]["groups"]
    assert {g["name"] for g in groups} >= {"slo-streamflow-churn-api-errors", "slo-streamflow-churn-api-p99"}
    wait_until(lambda: bool(Prometheus(state.prometheus_url).query('slo:sli_error:ratio_rate5m{slo="errors"}')), 30,
               "the SLI recording rule evaluated")


def test_a_second_up_reuses_what_runs(stack):
    settings, state = stack
    again = local.up(settings, ephemeral_ports=True, log=lambda *_: None)
    assert (again.api_pid, again.prometheus_pid) == (state.api_pid, state.prometheus_pid)


def test_status_reports_both_up(stack):
    settings, _ = stack
    lines = local.status(settings.state_dir)
    assert "up" in lines[0] and "scraping the API: yes" in lines[1]


def test_down_leaves_no_process_behind(model_path, tmp_path):
    settings = StackSettings(state_dir=tmp_path, rules_file=None)
    state = local.up(settings, ephemeral_ports=True, log=lambda *_: None)
    ports = [int(u.rsplit(":", 1)[1]) for u in (state.api_url, state.prometheus_url)]
    stopped = local.down(tmp_path, log=lambda *_: None)
    assert len(stopped) == 2
    assert not pid_alive(state.api_pid) and not pid_alive(state.prometheus_pid)
    assert not any(port_in_use(p) for p in ports)
    assert local.status(tmp_path) == ["local stack: not running"]
