"""A target that serves one request at a time, each for exactly SERVICE_MS (a sleep: the same on any machine),
so its saturation is known: 1000 / SERVICE_MS req/s less its HTTP overhead.
`python -m tests.loadtests.serial_app PORT SERVICE_MS [FAIL_EVERY]`; FAIL_EVERY > 0 answers 500 to one request in
that many."""
from __future__ import annotations

import itertools
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

COUNTER = itertools.count()


def handler(service_s: float, fail_every: int):
    class Serial(BaseHTTPRequestHandler):
        # HTTP/1.0: a connection a request, so one client kept alive never holds the single thread from the others

        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            time.sleep(service_s)
            failed = fail_every and next(COUNTER) % fail_every == 0
            body = b'{"prediction": 0, "probability": 0.5}'
            self.send_response(500 if failed else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *_):
            pass
    return Serial


if __name__ == "__main__":
    port, service_ms = int(sys.argv[1]), float(sys.argv[2])
    fail_every = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    HTTPServer(("127.0.0.1", port), handler(service_ms / 1000, fail_every)).serve_forever()
