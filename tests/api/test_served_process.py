"""The API as a real uvicorn process: multiprocess totals and recording without loss under SIGTERM."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from stack.procs import http_get
from tests.conftest import running_api

pytestmark = pytest.mark.integration


def _post(url: str, body: bytes = b'{"user_id": "7590-VHVEG"}') -> int:
    req = urllib.request.Request(url + "/predict", data=body, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except Exception:  # noqa: BLE001 - connection refused once the server stops
        return 0


def _total(metrics: str, status: str) -> float:
    line = f'api_requests_total{{endpoint="/predict",method="POST",status="{status}"}}'
    return sum(float(l.split()[-1]) for l in metrics.splitlines() if l.startswith(line))


def _predict(url: str) -> tuple[int, str]:
    """(status, the answering worker): request ids start with the worker's pid and start time."""
    req = urllib.request.Request(url + "/predict", data=b'{"user_id": "7590-VHVEG"}',
                                 headers={"content-type": "application/json", "connection": "close"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, json.loads(r.read())["request_id"].split("-")[0]


def test_two_workers_give_the_total_of_every_answer_in_one_scrape(model_path, tmp_path):
    db = tmp_path / "p.db"
    # A scrape right after each answer, served by either worker, already counts it: the count is taken before
    # the answer's last part leaves, so no scrape can overtake it.
    with running_api(model_path, tmp_path, api_workers=2, predictions_db=db) as (url, _):
        answers, seen = [], []
        for _ in range(200):
            answers.append(_predict(url))
            seen.append(_total(http_get(url + "/metrics")[1].decode(), "200"))
    assert sum(status == 200 for status, _ in answers) == 200
    assert seen == [float(n) for n in range(1, 201)]


SUMMED = """
import sys
from prometheus_client import CollectorRegistry
from api.metrics import build_metrics
metrics = build_metrics(CollectorRegistry())
if sys.argv[1] == "scrape":
    print(metrics.exposition().decode())
else:
    for _ in range(int(sys.argv[1])):
        metrics.observe_request("/predict", "POST", 200, 0.002)
"""


@pytest.mark.parametrize("per_worker", [(120, 80), (1, 0, 199)], ids=["two workers", "three workers, one idle"])
def test_one_scrape_sums_every_worker_process(tmp_path, per_worker):
    # Which worker the kernel hands a connection to is not ours to decide: each worker here is a process that
    # counts a known number of requests into the shared multiprocess folder, as uvicorn's workers do.
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for n in per_worker:
        subprocess.run([sys.executable, "-c", SUMMED, str(n)], env=env, check=True, timeout=60)
    scrape = subprocess.run([sys.executable, "-c", SUMMED, "scrape"], env=env, check=True, timeout=60,
                            capture_output=True, text=True).stdout
    assert _total(scrape, "200") == sum(per_worker)
    assert len(list(tmp_path.glob("counter_*.db"))) == sum(n > 0 for n in per_worker)  # one file per counting process


def test_every_acknowledged_prediction_is_recorded_even_when_sigterm_arrives_under_load(model_path, tmp_path):
    db = tmp_path / "p.db"
    with running_api(model_path, tmp_path, predictions_db=db) as (url, proc):
        ok = []
        stop = threading.Event()

        def client():
            while not stop.is_set():
                if _post(url) == 200:
                    ok.append(1)

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(ok) < 400 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(ok) >= 400, f"only {len(ok)} answers in 60 s"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        stop.set()
        for t in threads:
            t.join(timeout=15)
    rows = sqlite3.connect(db).execute("SELECT count(*) FROM predictions").fetchone()[0]
    assert rows == len(ok) and rows >= 400
