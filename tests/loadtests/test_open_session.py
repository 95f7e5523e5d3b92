"""The open model's client sends each request once and waits for its answer: against a real server that answers
after 6 s (past geventhttpclient's default 5 s), one request arrives and one answer comes back. Bare, the session
sent it again after 5 s, up to four times, where the queue builds. Loopback only, about 7 s."""
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.realtime]

ANSWER_AFTER_S = 6.0
# In its own process: importing Locust patches the process for gevent.
CLIENT = """
import json, sys
from loadtests.open_model import open_session
from locust.contrib.fasthttp import FastHttpUser

class Event:
    def fire(self, **meta):
        print(json.dumps({"exception": repr(meta.get("exception")) if meta.get("exception") else None}))

class User:
    host, network_timeout, connection_timeout = sys.argv[1], FastHttpUser.network_timeout, FastHttpUser.connection_timeout
    def context(self):
        return {}

session = open_session(User(), Event(), 4)
session.post("/predict", json={"user_id": "u"})
"""


class _Slow(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        _Slow.received.append(time.monotonic())
        time.sleep(ANSWER_AFTER_S)
        body = b'{"probability": 0.5}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_slow_answer_is_waited_for_and_never_sent_again():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        out = subprocess.run([sys.executable, "-c", CLIENT, url], capture_output=True, text=True, timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    assert out.returncode == 0, out.stderr[-2000:]
    [fired] = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert fired["exception"] is None, fired       # the answer came, after 6 s
    assert len(_Slow.received) == 1, _Slow.received   # and the request was sent once
