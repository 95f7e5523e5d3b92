"""A target that serves one request at a time, each for exactly SERVICE_MS (a sleep: the same on any machine),
so its saturation is known: 1000 / SERVICE_MS req/s less its HTTP overhead.
`python -m tests.loadtests.serial_app PORT SERVICE_MS [FAIL_EVERY [SPELL]]`; FAIL_EVERY > 0 answers 500 to one request
in that many; SPELL `FROM_S:TO_S:MS` serves each request in MS instead from FROM_S to TO_S seconds after the first
POST (a slow spell of the machine; TO_S `inf` for one that stays)."""
from __future__ import annotations

import itertools
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

COUNTER = itertools.count()


class Spell:
    """A slower service time between two moments counted from the first POST (the load's first request; the
    readiness checks GET)."""

    def __init__(self, text: str | None):
        start, end, ms = (text or "0:0:0").split(":")
        self.start, self.end, self.service_s = float(start), float(end), float(ms) / 1000
        self.first: float | None = None

    def service(self, normal_s: float, method: str) -> float:
        now = time.monotonic()
        if self.first is None and method == "POST":
            self.first = now
        if self.first is None:
            return normal_s
        return self.service_s if self.start <= now - self.first < self.end else normal_s


def handler(service_s: float, fail_every: int, spell: Spell):
    class Serial(BaseHTTPRequestHandler):
        # HTTP/1.0: a connection a request, so one client kept alive never holds the single thread from the others

        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            time.sleep(spell.service(service_s, self.command))
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
    spell = Spell(sys.argv[4] if len(sys.argv) > 4 else None)
    HTTPServer(("127.0.0.1", port), handler(service_ms / 1000, fail_every, spell)).serve_forever()
