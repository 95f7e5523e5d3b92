"""Pure ASGI middleware: request metrics around the whole request, body-size limit, prediction recording."""
from __future__ import annotations

import json
import os
from time import perf_counter, time

from api.protocol import RECEIVED_AT
from common.contract import UNMATCHED_ENDPOINT

# The handler leaves a served prediction here; the middleware records it as the response's last body part
# leaves, with the same latency the histogram observed.
PREDICTION_KEY = "slobench.prediction"


class InstrumentationMiddleware:
    def __init__(self, app, *, state, max_body_bytes: int):
        self.app = app
        self.state = state  # the FastAPI app.state: metrics, recorder, model are set at start-up
        self.max_body_bytes = max_body_bytes
        self.pid = os.getpid()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # From when uvicorn parsed the request (api/protocol.py) when it can tell, else from now.
        start = scope.get(RECEIVED_AT) or perf_counter()
        status = 500  # an exception that escapes the app becomes a 500 upstream
        metrics = self.state.metrics
        if metrics is not None:
            metrics.in_flight.inc()

        observed = False

        async def send_wrapper(message):
            nonlocal status, observed
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # Counted before the answer's last part leaves: a client that has its answer finds it in the
                # next scrape and in the recording, whichever worker serves them.
                observed = True
                self._observe(scope, status, perf_counter() - start)
            await send(message)

        try:
            length = self._content_length(scope)
            if length is not None and length > self.max_body_bytes:
                await _refuse(send_wrapper, 413, f"request body larger than {self.max_body_bytes} bytes")
            elif length is not None:
                await self.app(scope, receive, send_wrapper)
            else:
                # No announced length (chunked): read the body here, counting, then replay it to the app.
                replay = await self._read_limited(receive)
                if replay is None:
                    await _refuse(send_wrapper, 413, f"request body larger than {self.max_body_bytes} bytes")
                else:
                    await self.app(scope, replay, send_wrapper)
        finally:
            if metrics is not None:
                metrics.in_flight.dec()
            if not observed:  # the app failed before its answer ended
                self._observe(scope, status, perf_counter() - start)

    def _content_length(self, scope) -> int | None:
        """The announced body length; an unparsable one counts as too large."""
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return self.max_body_bytes + 1
        return None

    def _observe(self, scope, status: int, elapsed: float) -> None:
        route = scope.get("route")
        endpoint = getattr(route, "path", None) or UNMATCHED_ENDPOINT
        metrics = self.state.metrics
        if metrics is not None:
            metrics.observe_request(endpoint, scope["method"], status, elapsed)
        served = scope.get(PREDICTION_KEY)
        if served is None or status != 200:
            return
        request_id, user_id, features, probability, prediction = served
        if metrics is not None:
            metrics.observe_prediction(prediction, probability)
        recorder = self.state.recorder
        if recorder is not None:
            # Stamped at completion, like the counters Prometheus scrapes, so time windows agree.
            recorder.record((request_id, time(), endpoint, user_id, features, probability, prediction, elapsed,
                             self.state.model.version, self.pid))

    async def _read_limited(self, receive):
        """A receive callable replaying the whole body, or None when it exceeds the limit."""
        messages, seen = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > self.max_body_bytes:
                return None
            if not message.get("more_body", False):
                break
        queue = iter(messages)

        async def replay():
            buffered = next(queue, None)
            return buffered if buffered is not None else await receive()

        return replay


async def _refuse(send, status: int, reason: str) -> None:
    body = json.dumps({"detail": reason}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
