"""The lab's forest served by a real uvicorn: what /health says, the queue and compute histograms, micro-batching."""
import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from api import models
from api.data import load_snapshot
from api.features import FEATURES
from stack.procs import http_get
from tests.conftest import running_api

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

USERS = ("7590-VHVEG", "5575-GNVDE", "3668-QPYBK", "7795-CFOCW", "9237-HQITU", "9305-CDSKC", "1452-KIOVK", "6713-OKOMC")


def _predict(url: str, user_id: str) -> dict:
    req = urllib.request.Request(url + "/predict", data=json.dumps({"user_id": user_id}).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def _sample(metrics: str, name: str) -> float:
    return sum(float(l.split()[-1]) for l in metrics.splitlines() if l.startswith(name + " ") or l.startswith(name + "{"))


@pytest.mark.parametrize("env, plan", [
    ({}, {"where": "thread", "threads": 1, "batch_max": 1, "batch_wait_ms": 0.0}),
    ({"api_batch_max": 8, "api_batch_wait_ms": 20}, {"where": "thread", "threads": 1, "batch_max": 8,
                                                     "batch_wait_ms": 20.0}),
], ids=["one request a predict call", "micro-batches of up to 8"])
def test_the_served_forest_answers_what_scikit_learn_predicts_and_times_queue_and_compute_apart(
        forest_path, tmp_path, env, plan):
    model = models.load(forest_path)
    frame = load_snapshot("2024-02-29").set_index("user_id")
    with running_api(forest_path, tmp_path, api_model="forest", **env) as (url, _):
        health = json.loads(http_get(url + "/health")[1])
        assert health["model"] == "forest" and health["serving"] == plan and health["model_version"] == model.version
        with ThreadPoolExecutor(8) as pool:  # eight at once: with batching they share calls
            answers = list(pool.map(lambda u: _predict(url, u), USERS * 4))
        metrics = http_get(url + "/metrics")[1].decode()
    for answer in answers:
        expected = model.predict(frame.loc[answer["user_id"], list(FEATURES)].to_dict())
        assert answer["probability"] == pytest.approx(expected, abs=1e-6)
    assert _sample(metrics, "api_prediction_wait_seconds_count") == 32
    calls = _sample(metrics, "api_prediction_compute_seconds_count")
    assert _sample(metrics, "api_prediction_batch_size_sum") == 32
    # One predict_proba takes milliseconds: the compute histogram's mean is a forest's, not a dot product's.
    assert _sample(metrics, "api_prediction_compute_seconds_sum") / calls > 0.002
    if plan["batch_max"] == 1:
        assert calls == 32
    else:
        assert calls < 32  # requests that arrived together shared a call
