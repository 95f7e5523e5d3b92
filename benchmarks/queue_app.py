"""A target whose knee is known: one FIFO server with exponential service times (an M/M/1 queue under Poisson
arrivals) behind the API's own instrumentation, its service a sleep, so the queue is the same on any machine. Both
prediction routes (/predict and /predict/features) join the one queue; /health answers at once, as the API's does.
`python -m benchmarks.queue_app PORT SERVICE_MS [SEED]`.

Under an M/M/1 queue a request's time in the system is exponential with rate mu - lambda, so the share over a
threshold t is exp(-(mu - lambda) t) and the mean 1 / (mu - lambda): the rate where each objective of an SLO file
breaks follows in closed form (knee_rps)."""
from __future__ import annotations

import asyncio
import random
import sys
import time

import uvicorn
from fastapi import FastAPI
from starlette.responses import Response

from api.instrumented import instrumented_app
from api.protocol import TimedHttpToolsProtocol
from slo.file.model import SloSpec

BODY = b'{"request_id": "queue", "probability": 0.5, "prediction": 0, "model_version": "queue"}'


class SingleServer:
    """One server taking requests in arrival order, each for an exponential time of mean `service_s`, on a virtual
    clock: a request departs its service time after the later of its arrival and the previous departure. A late
    wake-up of the event loop then delays that one answer, never the queue behind it."""

    def __init__(self, service_s: float, seed: int):
        self.rng, self.rate, self.free_at = random.Random(seed), 1 / service_s, 0.0

    def departure(self, arrival: float) -> float:
        self.free_at = max(arrival, self.free_at) + self.rng.expovariate(self.rate)
        return self.free_at


def create(service_s: float, seed: int = 0) -> FastAPI:
    app = instrumented_app("queue")
    server = SingleServer(service_s, seed)

    async def predict():
        now = time.monotonic()
        await asyncio.sleep(max(0.0, server.departure(now) - now))
        return Response(BODY, media_type="application/json")

    app.post("/predict")(predict)
    app.post("/predict/features")(predict)
    return app


def knee_rps(spec: SloSpec, service_s: float, queued_share: float = 1.0) -> dict[str, float]:
    """Per latency objective of `spec`, the rate at which an M/M/1 queue of mean service `service_s` meets it
    exactly (its kind's queue_knee_rps), stated in the whole mix's rate, of which `queued_share` joins the queue."""
    knees = {o.name: o.queue_knee_rps(1 / service_s) for o in spec.objectives}
    return {name: knee / queued_share for name, knee in knees.items() if knee is not None}


if __name__ == "__main__":
    port, service_ms = int(sys.argv[1]), float(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    uvicorn.run(create(service_ms / 1000, seed), host="127.0.0.1", port=port, log_level="warning",
                access_log=False, http=TimedHttpToolsProtocol)
