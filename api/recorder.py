"""Record served predictions into SQLite (WAL), in batches, off the request path."""
from __future__ import annotations

import logging
import sqlite3
import threading
from collections import deque
from pathlib import Path

from api import record_schema

log = logging.getLogger("api.recorder")

# The schema and its encoding live in api/record_schema.py (shared with the generator's sent log).
FIELDS = record_schema.FIELDS


class PredictionRecorder:
    """Rows are appended to a deque by the request (cheap) and written by one thread in batches."""

    def __init__(self, path: Path | str, batch_size: int = 500, flush_interval_s: float = 0.2):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._batch_size = batch_size
        self._interval = flush_interval_s
        self._queue: deque[tuple] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._conn = record_schema.connect(self.path)
        self._writer = record_schema.Writer(self._conn)
        self.written = 0
        self._thread = threading.Thread(target=self._run, name="prediction-recorder", daemon=True)
        self._thread.start()

    def record(self, row: tuple) -> None:
        """row: (request_id, ts, endpoint, user_id, features as a tuple in FEATURES order, a dict or JSON text,
        probability, prediction, latency_s, model_version, worker_pid); encoded by the writer, off the request path."""
        self._queue.append(row)
        if len(self._queue) >= self._batch_size:
            self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._queue)

    def _drain(self) -> None:
        while self._queue:
            batch = []
            while self._queue and len(batch) < self._batch_size * 4:
                batch.append(self._queue.popleft())
            try:
                self._writer.write(batch)
                self.written += len(batch)
            except sqlite3.Error:
                # Put the batch back so a transient lock does not lose acknowledged rows.
                self._queue.extendleft(reversed(batch))
                log.exception("writing %d predictions to %s failed; will retry", len(batch), self.path)
                return

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            self._drain()

    def close(self) -> None:
        """Flush everything queued, then close the database."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)
        self._drain()
        self._conn.close()
