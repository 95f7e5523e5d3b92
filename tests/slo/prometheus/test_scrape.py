"""The scrape interval is learned from Prometheus: its targets API, else the spacing of `up` samples."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from common.prometheus_api import PrometheusError
from slo.prometheus.scrape import discover, parse_duration


@pytest.mark.parametrize("text, seconds", [("15s", 15), ("1m", 60), ("1m30s", 90), ("500ms", 0.5)])
def test_prometheus_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.fixture
def backend():
    """A fake Prometheus API: answers are set per path by the test (a unit test: no real Prometheus here)."""
    answers = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = answers.get(self.path.split("?")[0])
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(json.dumps(body or {}).encode())

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", answers
    server.shutdown()


def _target(job, instance, interval):
    return {"labels": {"job": job, "instance": instance}, "scrapeInterval": interval}


def test_the_targets_api_gives_the_interval_of_the_judged_job_only(backend):
    url, answers = backend
    answers["/api/v1/targets"] = {"status": "success", "data": {"activeTargets": [
        _target("api", "api:8000", "10s"), _target("node", "node:9100", "1m")]}}
    found = discover(url, {"job": "api"})
    assert (found.seconds, found.source) == (10, "targets API")


def test_without_a_targets_api_the_up_samples_spacing_is_used(backend):
    url, answers = backend  # Thanos, Mimir, VictoriaMetrics: no targets API
    answers["/api/v1/query"] = {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"job": "api"}, "values": [[t, "1"] for t in (100.0, 115.0, 130.1, 145.0, 160.0)]}]}}
    found = discover(url, {"job": "api"})
    assert (found.seconds, found.source) == (15, "up sample spacing")


def test_an_explicit_setting_wins(backend):
    url, _ = backend
    assert discover(url, {"job": "api"}, configured_s=12).source == "setting SCRAPE_INTERVAL"


def test_nothing_to_learn_from_is_a_clear_error(backend):
    url, _ = backend
    with pytest.raises(PrometheusError, match=r'cannot learn the scrape interval of up\{job="api"\}.*set SCRAPE_INTERVAL'):
        discover(url, {"job": "api"}, wait_s=0)


class _Targets:
    def __init__(self, *targets):
        self.targets = [{"scrapeUrl": f"http://{addr}/metrics", "scrapeInterval": "1s",
                         "labels": {"job": job, "instance": addr}} for job, addr in targets]

    def active_targets(self):
        return self.targets


@pytest.mark.parametrize("targets, url, declared, expected", [
    ([("tailapi", "127.0.0.1:9100"), ("node", "127.0.0.1:9200")], "http://127.0.0.1:9100", {"job": "api"},
     ({"job": "tailapi"}, ["127.0.0.1:9100"])),
    ([("tailapi", "localhost:9100")], "http://127.0.0.1:9100/", {"job": "api"}, ({"job": "tailapi"}, ["localhost:9100"])),
    ([("node", "127.0.0.1:9200")], "http://127.0.0.1:9100", {"job": "api"}, None),
    ([("a", "127.0.0.1:9100"), ("b", "127.0.0.1:9100")], "http://127.0.0.1:9100", {"job": "b"},
     ({"job": "b"}, ["127.0.0.1:9100"])),
], ids=["the job scraping the loaded address, whatever its name", "localhost and 127.0.0.1 are one address",
        "no target at the address: the SLO file's selector stands", "two jobs at the address: the file's names one"])
def test_the_target_is_found_at_the_address_the_run_loads(targets, url, declared, expected):
    from slo.prometheus.scrape import scope_at, targets_at
    assert scope_at(targets_at(_Targets(*targets), url), declared) == expected


def test_two_jobs_at_the_address_and_none_declared_is_asked_not_guessed():
    from common.prometheus_api import PrometheusError
    from slo.prometheus.scrape import scope_at, targets_at
    found = targets_at(_Targets(("a", "127.0.0.1:9100"), ("b", "127.0.0.1:9100")), "http://127.0.0.1:9100")
    with pytest.raises(PrometheusError, match=r"several jobs scrape the address this run loads \(a, b\)"):
        scope_at(found, {"job": "api"})
