"""The served-request clock starts when uvicorn parsed the request (api/protocol.py subclasses uvicorn's httptools
protocol, an internal class): if a uvicorn release changes it, this test says so instead of the timing going quiet."""
import asyncio
import threading
import time
import urllib.request

import pytest
import uvicorn

from api.protocol import RECEIVED_AT, TimedHttpToolsProtocol
from stack.procs import free_port

INTERNALS = "uvicorn's HttpToolsProtocol changed: api/protocol.py relies on on_message_begin() creating self.scope"


def test_the_protocol_still_overrides_a_hook_uvicorn_calls():
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    assert callable(getattr(HttpToolsProtocol, "on_message_begin", None)), INTERNALS


@pytest.mark.realtime
def test_every_request_carries_when_uvicorn_parsed_it(tmp_path):
    seen = []

    async def app(scope, receive, send):
        if scope["type"] == "http":
            seen.append((scope.get(RECEIVED_AT), time.perf_counter()))
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, http=TimedHttpToolsProtocol,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    try:
        deadline = time.time() + 10
        while not server.started and time.time() < deadline:
            time.sleep(0.05)
        for _ in range(3):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                assert resp.status == 200
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert len(seen) == 3
    for received, handled in seen:
        assert received is not None, INTERNALS + f" (uvicorn {uvicorn.__version__}: no {RECEIVED_AT} in the scope)"
        assert 0 <= handled - received < 1.0
