"""A target that stalls on purpose: it answers /predict at once, except that every PERIOD_S its event loop stops
for STALL_S (a blocking sleep, as a full garbage collection or a synchronous call would), so every request that
arrives then waits. `python -m tests.loadtests.stall_app PORT`."""
from __future__ import annotations

import sys
import time

import uvicorn
from fastapi import FastAPI
from starlette.responses import Response

from api.instrumented import instrumented_app
from api.protocol import TimedHttpToolsProtocol

PERIOD_S, STALL_S = 2.0, 0.5
BODY = b'{"probability": 0.5, "prediction": 0, "model_version": "stall"}'


def create() -> FastAPI:
    app = instrumented_app("stall")
    next_stall = [0.0]

    @app.post("/predict")
    async def predict():
        now = time.monotonic()
        if now >= next_stall[0]:
            if next_stall[0]:
                time.sleep(STALL_S)  # blocks the whole loop: requests in flight and arriving wait
            next_stall[0] = now + PERIOD_S
        return Response(BODY, media_type="application/json")

    return app


if __name__ == "__main__":
    uvicorn.run(create(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False,
                http=TimedHttpToolsProtocol)
