"""A test API whose latency distribution is known: 1 /predict request in SLOW_EVERY takes 200 ms (3 % by
default), the rest 1 ms; with BURST > 1, the slow ones come BURST in a row, once every SLOW_EVERY x BURST
requests (the same share, in bursts); FAST_US sets the fast requests' time in microseconds.

It carries the real instrumentation (api.metrics, api.middleware, api.recorder), so its metrics and
recorded latencies are what the real API would produce. `python -m tests.slo.known_app PORT DB [SLOW_EVERY [BURST [FAST_US]]]`.
"""
from __future__ import annotations

import asyncio
import itertools
import sys
from contextlib import asynccontextmanager
from types import SimpleNamespace

import uvicorn
from fastapi import FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry
from starlette.responses import Response

from api.metrics import build_metrics
from api.middleware import PREDICTION_KEY, InstrumentationMiddleware
from api.protocol import TimedHttpToolsProtocol
from api.recorder import PredictionRecorder

SLOW_EVERY = 33          # 1 request in 33 (3.0 %) is slow
SLOW_S, FAST_S = 0.200, 0.001


def create(db: str, slow_every: int = SLOW_EVERY, burst: int = 1, fast_us: int = int(FAST_S * 1e6)) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app):
        app.state.recorder = PredictionRecorder(db)
        yield
        app.state.recorder.close()

    app = FastAPI(lifespan=lifespan)
    app.state.metrics = build_metrics(CollectorRegistry())
    app.state.model = SimpleNamespace(version="known-distribution")
    app.state.recorder = None
    app.add_middleware(InstrumentationMiddleware, state=app.state, max_body_bytes=65536)
    counter = itertools.count()

    @app.post("/predict")
    async def predict(request: Request):
        n = next(counter)
        slow = n % slow_every == 0 if burst <= 1 else n % (slow_every * burst) < burst
        await asyncio.sleep(SLOW_S if slow else fast_us / 1e6)
        request.scope[PREDICTION_KEY] = (str(n), None, "{}", 0.5, 0)
        return Response(b'{"prediction": 0}', media_type="application/json")

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics():
        return Response(app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return app


if __name__ == "__main__":
    uvicorn.run(create(sys.argv[2], *(int(a) for a in sys.argv[3:6])), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                http=TimedHttpToolsProtocol)
