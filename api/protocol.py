"""A uvicorn HTTP protocol that stamps when a request's first bytes were parsed.

The ASGI app only starts once the event loop runs its task; under load requests wait for that, and a
clock started in the middleware would not see the wait. The stamp lets the latency histogram include it.
"""
from __future__ import annotations

from time import perf_counter

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

RECEIVED_AT = "slobench.received_at"


class TimedHttpToolsProtocol(HttpToolsProtocol):
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope[RECEIVED_AT] = perf_counter()  # type: ignore[typeddict-unknown-key]
