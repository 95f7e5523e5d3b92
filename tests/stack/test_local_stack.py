"""The real local stack: uvicorn + Prometheus on free loopback ports, under traffic."""
import json
import threading
import urllib.error
import urllib.request

import psutil
import pytest

from stack import local
from stack.dashboard import PANELS, queries
from common.prometheus_api import Prometheus
from stack.procs import http_get, pid_alive, port_in_use, wait_until
from stack.settings import StackSettings

pytestmark = pytest.mark.integration

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


# The traffic is 9 known users for every unknown one: statuses 200 and 404 on /predict, no 5xx. What each
# dashboard panel must show of the real API (its label names and values; exact values on known counters are
# checked in tests/stack/test_dashboard_queries.py).
REAL = {"Request rate by endpoint": lambda got: {(m.get("endpoint"), m.get("status")) for m, _ in got} >=
        {("/predict", "200"), ("/predict", "404")},
        "Error ratio": lambda got: [v for _, v in got] == [0.0],
        "API up": lambda got: [v for _, v in got] == [1.0],
        "Predictions by class": lambda got: {m["predicted_class"] for m, _ in got} <= {"0", "1"} and len(got) >= 1,
        "Latency heatmap": lambda got: {m["le"] for m, _ in got} >= {"0.005", "0.1", "+Inf"},
        "Latency of /predict": lambda got: len(got) == 1 and 0 < got[0][1] < 10,
        "Predicted churn probability": lambda got: "+Inf" in {m["le"] for m, _ in got},
        "The lab's panels": lambda got: any(v > 0 for _, v in got)}


@pytest.mark.parametrize("query", queries(), ids=lambda q: q[:60])
def test_every_dashboard_query_finds_the_real_apis_series(stack, query):
    _, state = stack
    [title] = [t for t, _, legends, _ in PANELS if any(q == query for _, q in legends)][:1]
    check = next(c for prefix, c in REAL.items() if title.startswith(prefix))
    concrete = query.replace("$__rate_interval", "1m").replace("$__range", "5m")
    got = [(r["metric"], float(r["value"][1])) for r in Prometheus(state.prometheus_url).query(concrete)]
    assert check(got), (concrete, got)


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


def _post(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _listening(pid: int) -> set[str]:
    return {c.laddr.ip for c in psutil.Process(pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}


def test_the_stack_listens_on_loopback_only_with_prometheuss_admin_and_lifecycle_apis_off(stack):
    _, state = stack
    assert _listening(state.prometheus_pid) == {"127.0.0.1"} and _listening(state.api_pid) == {"127.0.0.1"}
    status, body = _post(state.prometheus_url + "/api/v1/admin/tsdb/snapshot")
    assert status != 200 and "admin APIs disabled" in body, (status, body)
    status, body = _post(state.prometheus_url + "/-/quit")
    assert status == 403 and "Lifecycle API is not enabled" in body, (status, body)
    assert pid_alive(state.prometheus_pid)
