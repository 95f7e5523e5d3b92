"""Prometheus metrics of the API, built by a factory on an injected registry."""
from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess

from common import contract as c


def _base(name: str, suffix: str = "") -> str:
    # prometheus-client appends _total to counters itself.
    return name[: -len(suffix)] if suffix and name.endswith(suffix) else name


@dataclass(frozen=True)
class ApiMetrics:
    requests: Counter
    latency: Histogram
    predictions: Counter
    probability: Histogram
    model_info: Gauge
    loop_lag: Histogram
    wait: Histogram
    compute: Histogram
    batch_size: Histogram
    in_flight: Gauge
    registry: CollectorRegistry
    # labels() validates and locks on every call; the children are cached per label set instead.
    _children: dict = field(default_factory=dict, repr=False)

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        key = (endpoint, method, status)
        pair = self._children.get(key)
        if pair is None:
            pair = self._children[key] = (self.requests.labels(endpoint, method, str(status)),
                                          self.latency.labels(endpoint, method))
        pair[0].inc()
        pair[1].observe(seconds)

    def observe_prediction(self, prediction: int, probability: float) -> None:
        child = self._children.get(prediction)
        if child is None:
            child = self._children[prediction] = self.predictions.labels(str(prediction))
        child.inc()
        self.probability.observe(probability)

    def observe_batch(self, waits: list[float], compute_s: float) -> None:
        """One predict call: each request's wait before it started, the call's own time, how many it served."""
        for w in waits:
            self.wait.observe(max(0.0, w))
        self.compute.observe(compute_s)
        self.batch_size.observe(len(waits))

    def exposition(self) -> bytes:
        """Text for GET /metrics; in multiprocess mode, summed over every worker."""
        if multiprocess_dir():
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def build_metrics(registry: CollectorRegistry) -> ApiMetrics:
    requests = Counter(
        _base(c.REQUESTS_TOTAL, "_total"), "HTTP requests by route template, method and status",
        [c.LABEL_ENDPOINT, c.LABEL_METHOD, c.LABEL_STATUS], registry=registry,
    )
    latency = Histogram(
        c.REQUEST_LATENCY, "Whole-request latency, every status included",
        [c.LABEL_ENDPOINT, c.LABEL_METHOD], buckets=c.LATENCY_BUCKETS, registry=registry,
    )
    predictions = Counter(
        _base(c.PREDICTIONS_TOTAL, "_total"), "Served predictions by predicted class",
        [c.LABEL_CLASS], registry=registry,
    )
    probability = Histogram(
        c.PREDICTION_PROBABILITY, "Predicted churn probability",
        buckets=c.PROBABILITY_BUCKETS, registry=registry,
    )
    model_info = Gauge(
        c.MODEL_INFO, "The served model (value 1)", ["version", "trained_as_of"],
        registry=registry, multiprocess_mode="max",
    )
    loop_lag = Histogram(
        c.EVENT_LOOP_LAG, "How late the event loop woke a task sleeping for its probe period",
        buckets=c.LOOP_LAG_BUCKETS, registry=registry,
    )
    wait = Histogram(c.PREDICTION_WAIT, "Time from a request's parse to the start of its prediction",
                     buckets=c.LATENCY_BUCKETS, registry=registry)
    compute = Histogram(c.PREDICTION_COMPUTE, "Time of one predict call (one per batch)",
                        buckets=c.LATENCY_BUCKETS, registry=registry)
    batch_size = Histogram(c.PREDICTION_BATCH_SIZE, "Requests served by one predict call",
                           buckets=c.BATCH_SIZE_BUCKETS, registry=registry)
    in_flight = Gauge(c.REQUESTS_IN_FLIGHT, "Requests received and not yet answered", registry=registry,
                      multiprocess_mode="livesum")
    return ApiMetrics(requests, latency, predictions, probability, model_info, loop_lag, wait, compute, batch_size,
                      in_flight, registry)


async def probe_loop_lag(metrics: ApiMetrics, period_s: float = c.LOOP_PROBE_S) -> None:
    """Runs for the app's life: each wake-up's lateness is observed (what a request would wait before its handler)."""
    while True:
        before = time.perf_counter()
        await asyncio.sleep(period_s)
        metrics.loop_lag.observe(max(0.0, time.perf_counter() - before - period_s))
