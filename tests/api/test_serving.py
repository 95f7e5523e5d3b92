"""Where predictions run, and micro-batching: requests that arrive together share one predict call."""
import asyncio
import threading
from time import perf_counter

import pytest
from prometheus_client import CollectorRegistry

from api.metrics import build_metrics
from api.serving import Predictor, ServingPlan, plan_for


class _Doubling:
    """A model whose probability is twice its row, recording each call's batch and thread."""

    def __init__(self):
        self.calls = []

    def predict_batch(self, rows):
        self.calls.append((list(rows), threading.current_thread().name))
        return [2 * r for r in rows]


@pytest.mark.parametrize("kind, predict_in, batch_max, expected", [
    ("forest", "auto", 1, ServingPlan("thread", 1, 1, 0.0)),
    ("linear", "auto", 1, ServingPlan("event_loop")),
    ("linear", "auto", 8, ServingPlan("thread", 1, 8, 2.0)),
    ("forest", "event_loop", 1, ServingPlan("event_loop")),
], ids=["the forest runs in a thread", "the linear scorer on the loop", "batching always runs in a thread",
        "the loop when asked"])
def test_the_plan_follows_the_model_and_the_settings(kind, predict_in, batch_max, expected):
    assert plan_for(kind, predict_in, 1, batch_max, 2.0) == expected


def _metric(registry, name):
    return registry.get_sample_value(name) or 0.0


def test_requests_that_arrive_together_share_a_call_and_each_gets_its_own_answer():
    registry = CollectorRegistry()
    model = _Doubling()

    async def scenario():
        predictor = Predictor(model, ServingPlan("thread", 1, 4, 50.0), build_metrics(registry))
        predictor.start()
        now = perf_counter()
        answers = await asyncio.gather(*(predictor.predict(i, now) for i in range(10)))
        await predictor.stop()
        return answers

    assert asyncio.run(scenario()) == [2 * i for i in range(10)]
    sizes = [len(rows) for rows, _ in model.calls]
    assert sum(sizes) == 10 and max(sizes) == 4 and len(sizes) == 3  # 4 + 4 + 2: none waits once a batch is full
    assert all(name.startswith("predict") for _, name in model.calls)
    assert _metric(registry, "api_prediction_batch_size_count") == 3
    assert _metric(registry, "api_prediction_batch_size_sum") == 10
    assert _metric(registry, "api_prediction_wait_seconds_count") == 10


def test_without_batching_each_request_is_its_own_call_on_the_loop():
    registry = CollectorRegistry()
    model = _Doubling()

    async def scenario():
        predictor = Predictor(model, ServingPlan("event_loop"), build_metrics(registry))
        predictor.start()
        return [await predictor.predict(i, perf_counter()) for i in range(3)]

    assert asyncio.run(scenario()) == [0, 2, 4]
    assert [len(rows) for rows, _ in model.calls] == [1, 1, 1]
    assert all(name == "MainThread" for _, name in model.calls)


def test_a_failing_model_fails_its_requests_not_the_predictor():
    class _Broken(_Doubling):
        def predict_batch(self, rows):
            if rows == [13]:
                raise ValueError("bad row")
            return super().predict_batch(rows)

    async def scenario():
        predictor = Predictor(_Broken(), ServingPlan("thread", 1, 1, 0.0), None)
        predictor.start()
        with pytest.raises(ValueError, match="bad row"):
            await predictor.predict(13, perf_counter())
        answer = await predictor.predict(2, perf_counter())
        await predictor.stop()
        return answer

    assert asyncio.run(scenario()) == 4
