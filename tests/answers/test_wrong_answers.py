"""Answers that go wrong after the API recorded the right ones: found from what the generator received."""
import contextlib
import json
import os
import sqlite3
import subprocess
import sys

import pytest

from stack import prometheus_server
from stack.procs import ROOT, free_port, http_get, spawn, stop_pid, wait_until
from tests import needs
from tests.profiles import closed_profile
from tests.slos import LINEAR_SLO
from api import models
from api.features import FEATURES

pytestmark = [pytest.mark.integration, pytest.mark.load, pytest.mark.deployment]  # an API slobench did not start

EVERY = 20  # the faulty layer changes every 20th answer


@contextlib.contextmanager
def faulty_target(model_path, tmp_path, mode: str, **env):
    """Our API (the linear model) with a fault (tests/answers/mixing_app.py), and a Prometheus scraping it: (API url,
    Prometheus url, the changed answers' log, the API's own recording)."""
    port, log, db = free_port(), tmp_path / "mixed.txt", tmp_path / "predictions.db"
    api = spawn([sys.executable, "-m", "tests.answers.mixing_app", str(port), str(log), str(EVERY), mode],
                tmp_path / "api.log", env={"MODEL_PATH": str(model_path), "PREDICTIONS_DB": str(db), **env})
    (tmp_path / "prometheus.yml").write_text(prometheus_server.render_config(f"127.0.0.1:{port}", 1))
    prom_port = free_port()
    prom = prometheus_server.start(needs.binary("prometheus"), tmp_path / "prometheus.yml", tmp_path / "tsdb", prom_port,
                            tmp_path / "prometheus.log")
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_get(url + "/health")[0] == 200, 60, "API", api, tmp_path / "api.log")
        wait_until(lambda: prometheus_server.target_up(f"http://127.0.0.1:{prom_port}"), 30, "the API scraped")
        yield url, f"http://127.0.0.1:{prom_port}", log, db
    finally:
        stop_pid(prom.pid)
        stop_pid(api.pid)


def _loadtest(tmp_path, url: str, prom: str, model_path) -> subprocess.CompletedProcess:
    (tmp_path / "p.yaml").write_text(closed_profile("mixed", ("m1", 8, 100, 14)))
    return subprocess.run([sys.executable, "-m", "slobench", "loadtest", "--slo", str(LINEAR_SLO), "--profile",
                           str(tmp_path / "p.yaml"), "--no-drift"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "RESULTS_DIR": str(tmp_path / "results"), "TARGET_URL": url,
                                            "PROMETHEUS_URL": prom, "MODEL_ARTIFACT": str(model_path)})


def test_answers_changed_after_the_api_recorded_them_fail_the_run_naming_the_stage_and_count(model_path, tmp_path):
    with faulty_target(model_path, tmp_path, "cache") as (url, prom, log, db):
        done = _loadtest(tmp_path, url, prom, model_path)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    run = (tmp_path / "results" / "latest").resolve()
    report = json.loads((run / "slo_report.json").read_text())
    [stage] = report["stages"]
    window = json.loads((run / "stages.json").read_text())["stages"][0]
    with sqlite3.connect(run / "sent_predictions.db") as sent:
        received = dict(sent.execute("SELECT request_id, ts FROM rows"))
    everywhere = set(log.read_text().split()) & set(received)  # changed answers the generator read before it stopped
    assert report["answers"]["wrong"] == len(everywhere) > 10, (report["answers"], len(everywhere))
    # The stage's: those received from its start to its end (not one the load's last moment brought after it).
    changed = {r for r in everywhere if window["start"] <= received[r] < window["end"]}
    [objective] = [o for o in stage["objectives"] if o["kind"] == "answers"]
    assert objective["status"] == "fail" and objective["wrong"] == len(changed), (objective, len(changed))
    assert set(objective["examples"]) <= changed and objective["examples"]
    low, high = objective["confidence"]["low"], objective["confidence"]["high"]
    assert low <= len(changed) / objective["checked"] <= high and low > 0
    assert "gated stage m1 failed an objective" in report["verdict"]["reason"]
    assert f"{len(changed)} of {objective['checked']} answers wrong" in out, out
    # The API itself recorded the right score for each: only the client's side could find them.
    with sqlite3.connect(db) as api:
        recorded = dict(api.execute("SELECT request_id, probability FROM predictions_wide"))
    with sqlite3.connect(run / "sent_predictions.db") as sent:
        got = dict(sent.execute("SELECT request_id, probability FROM predictions_wide"))
    assert all(abs(recorded[r] - got[r]) > 1e-3 for r in everywhere)
    assert sum(abs(recorded[r] - got[r]) > 1e-6 for r in got if r in recorded) == len(everywhere)


def test_a_micro_batch_whose_outputs_went_back_reversed_fails_the_run(model_path, tmp_path):
    """Batches of up to 8 (waiting 5 ms for company), each handing its outputs back reversed: every request of a
    batch of two or more got another's answer, and the API recorded it so; the generator's record finds each one."""
    with faulty_target(model_path, tmp_path, "batch", API_BATCH_MAX="8", API_BATCH_WAIT_MS="5") as (url, prom, _, _):
        done = _loadtest(tmp_path, url, prom, model_path)
    assert done.returncode == 1, done.stdout + done.stderr
    run = (tmp_path / "results" / "latest").resolve()
    report = json.loads((run / "slo_report.json").read_text())
    model = models.load(model_path)
    with sqlite3.connect(run / "sent_predictions.db") as sent:
        got = sent.execute(f"SELECT probability, {', '.join(FEATURES)} FROM predictions_wide").fetchall()
    own = model.predict_batch([model.encode(dict(zip(FEATURES, row[1:]))) for row in got])
    swapped = sum(abs(p - round(o, 6)) > 1e-6 for (p, *_), o in zip(got, own))
    assert report["answers"]["wrong"] == swapped > 10, (report["answers"], swapped)
    [objective] = [o for o in report["stages"][0]["objectives"] if o["kind"] == "answers"]
    assert objective["status"] == "fail" and 0 < objective["wrong"] <= swapped
