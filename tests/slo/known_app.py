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

import uvicorn
from fastapi import FastAPI, Request
from starlette.responses import Response

from api.instrumented import instrumented_app
from api.middleware import PREDICTION_KEY
from api.protocol import TimedHttpToolsProtocol

SLOW_EVERY = 33          # 1 request in 33 (3.0 %) is slow
SLOW_S, FAST_S = 0.200, 0.001


def create(db: str, slow_every: int = SLOW_EVERY, burst: int = 1, fast_us: int = int(FAST_S * 1e6)) -> FastAPI:
    app = instrumented_app("known-distribution", predictions_db=db)
    counter = itertools.count()

    @app.post("/predict")
    async def predict(request: Request):
        n = next(counter)
        slow = n % slow_every == 0 if burst <= 1 else n % (slow_every * burst) < burst
        await asyncio.sleep(SLOW_S if slow else fast_us / 1e6)
        request.scope[PREDICTION_KEY] = (str(n), None, "{}", 0.5, 0)
        return Response(b'{"prediction": 0}', media_type="application/json")

    return app


if __name__ == "__main__":
    uvicorn.run(create(sys.argv[2], *(int(a) for a in sys.argv[3:6])), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                http=TimedHttpToolsProtocol)
