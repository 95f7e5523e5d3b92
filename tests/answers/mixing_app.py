"""Our API with a fault that answers wrong, two ways. `python -m tests.answers.mixing_app PORT LOG N MODE` (MODEL_PATH,
PREDICTIONS_DB and the batching settings as the API reads them):

- `cache`: behind a faulty layer, as a cache that serves another user's score would be: every Nth prediction's body
  leaves with the previous answer's probability, after the API recorded (and counted) the right one. Each changed
  answer's request id goes to LOG.
- `batch`: a micro-batch whose outputs go back to its requests in reverse order (the API records them as wrong)."""
from __future__ import annotations

import sys
from pathlib import Path

import orjson
import uvicorn

from api.app import create_app
from api.protocol import TimedHttpToolsProtocol
from api.serving import Predictor


class MixUp:
    """ASGI layer over the API: holds each prediction's response start until its body, then maybe swaps the score."""

    def __init__(self, app, log: Path, every: int):
        self.app, self.log, self.every = app, open(log, "a", buffering=1), every
        self.served, self.previous = 0, None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/predict"):
            return await self.app(scope, receive, send)
        held = {}

        async def mixing_send(message):
            if message["type"] == "http.response.start":
                held["start"] = message
                return
            body = self.mixed(message.get("body", b"")) if held["start"]["status"] == 200 else message.get("body", b"")
            headers = [(k, v) for k, v in held["start"]["headers"] if k.lower() != b"content-length"]
            await send({**held["start"], "headers": headers + [(b"content-length", str(len(body)).encode())]})
            await send({**message, "body": body})

        await self.app(scope, receive, mixing_send)

    def mixed(self, body: bytes) -> bytes:
        answer = orjson.loads(body)
        right, self.served = answer["probability"], self.served + 1
        swap = self.served % self.every == 0 and self.previous is not None and abs(self.previous - right) > 1e-3
        if swap:
            answer["probability"] = self.previous
            self.log.write(answer["request_id"] + "\n")
        self.previous = right
        return orjson.dumps(answer) if swap else body


def reverse_batches() -> None:
    """Every predict call of two rows or more hands its outputs back reversed."""
    right = Predictor._run

    def reversed_run(self, rows, received):
        return right(self, rows, received)[::-1]
    Predictor._run = reversed_run


if __name__ == "__main__":
    port, log, every, mode = int(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    if mode == "batch":
        reverse_batches()
    app = MixUp(create_app(), log, every) if mode == "cache" else create_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, http=TimedHttpToolsProtocol)
