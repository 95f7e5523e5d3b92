"""The API driven past its capacity for a bounded time: it keeps answering, memory stays bounded,
and every acknowledged prediction is recorded."""
import os
import sqlite3
import threading
import time

import numpy as np
import psutil
import pytest

from loadtests.requestlog import load_logs
from loadtests.profile import load_profile
from loadtests.run import GeneratorPlan, run_headless
from stack.procs import http_get
from tests.conftest import running_api
from tests.profiles import closed_profile

pytestmark = [pytest.mark.integration, pytest.mark.load]

# No think time: every user sends as fast as the API answers (far more than it serves), for 15 s.
PROFILE = closed_profile("overload", ("flood", 300, 300, 15), weights="{predict_user: 1}", rate_per_user=0)


def test_overload_keeps_answering_with_bounded_memory_and_loses_no_acknowledged_prediction(model_path, tmp_path):
    (tmp_path / "overload.yaml").write_text(PROFILE)
    db = tmp_path / "p.db"
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    cores = sorted(os.sched_getaffinity(0))
    with running_api(model_path, tmp_path, predictions_db=db) as (url, proc):
        api = psutil.Process(proc.pid)
        os.sched_setaffinity(proc.pid, {cores[0]})  # the API gets one core; Locust the rest
        rss, stop = [], threading.Event()

        def sample():
            while not stop.is_set():
                rss.append(api.memory_info().rss)
                time.sleep(0.5)
        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            # The raw per-request log (a debug option) counts every answer, ramp included.
            run_headless(tmp_path / "overload.yaml", load_profile(str(tmp_path / "overload.yaml")), url, run_dir,
                         processes=GeneratorPlan(processes=2 if len(cores) > 1 else 1, request_log=True),
                         on_line=lambda *_: None)
        finally:
            stop.set()
            sampler.join()
        time.sleep(0.5)
        metrics = http_get(url + "/metrics")[1].decode()
    served_200 = sum(float(l.split()[-1]) for l in metrics.splitlines()
                     if l.startswith('api_requests_total{endpoint="/predict",method="POST",status="200"}'))
    logs = load_logs(run_dir)
    answered_ok = int(((logs["status"] == 200) & (logs["name"] == "/predict")).sum())
    errors = int(((logs["status"] != 200) & (logs["status"] != 503)).sum())
    rows = sqlite3.connect(db).execute("SELECT count(*) FROM rows").fetchone()[0]
    throughput = answered_ok / 15
    print(f"overload: {answered_ok} answered ({throughput:.0f} req/s), p99 "
          f"{np.percentile(logs['rt_ms'], 99):.0f} ms, RSS {min(rss) / 2**20:.0f}-{max(rss) / 2**20:.0f} MiB")
    # Overloaded and still answering: about 20,000 answers were measured here; a machine several times slower still
    # answers thousands (the count is the overload's evidence, not a speed goal).
    assert answered_ok > 4_000 and errors == 0
    # Every 200 the server sent is a row; Locust stopped with some answers still in flight, hence >=.
    assert rows == served_200 and rows >= answered_ok
    assert max(rss) - rss[0] < 150 * 2**20
