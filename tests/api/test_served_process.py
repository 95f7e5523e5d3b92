"""The API as a real uvicorn process: multiprocess totals and recording without loss under SIGTERM."""
import signal
import sqlite3
import threading
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


def test_two_workers_give_correct_totals_in_one_scrape(model_path, tmp_path):
    db = tmp_path / "p.db"
    with running_api(model_path, tmp_path, api_workers=2, predictions_db=db) as (url, _):
        threads = [threading.Thread(target=lambda: [_post(url) for _ in range(25)]) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        totals = {_total(http_get(url + "/metrics")[1].decode(), "200") for _ in range(5)}
    assert totals == {200.0}
    pids = sqlite3.connect(db).execute("SELECT count(DISTINCT worker_pid) FROM predictions").fetchone()[0]
    assert pids == 2  # both workers served, so the total really is a sum over processes


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
        while len(ok) < 400:
            threading.Event().wait(0.01)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        stop.set()
        for t in threads:
            t.join(timeout=15)
    rows = sqlite3.connect(db).execute("SELECT count(*) FROM predictions").fetchone()[0]
    assert rows == len(ok) and rows >= 400
