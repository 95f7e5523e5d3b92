"""Record served predictions into SQLite (WAL), in batches, off the request path."""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections import deque
from pathlib import Path

from api.features import FEATURES

log = logging.getLogger("api.recorder")

# The 14 inputs are stored as one JSON text (the online table keeps it pre-serialized, so writing
# a row binds 10 values, not 24); the view `predictions_wide` gives them back as columns.
COLUMNS = ("request_id", "ts", "endpoint", "user_id", "features",
           "probability", "prediction", "latency_s", "model_version", "worker_pid")
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS predictions (request_id TEXT, ts REAL, endpoint TEXT, user_id TEXT, features TEXT, "
    "probability REAL, prediction INTEGER, latency_s REAL, model_version TEXT, worker_pid INTEGER)"
)
_VIEW = (
    "CREATE VIEW IF NOT EXISTS predictions_wide AS SELECT request_id, ts, endpoint, user_id, "
    + ", ".join(f"json_extract(features, '$.{f}') AS {f}" for f in FEATURES)
    + ", probability, prediction, latency_s, model_version, worker_pid FROM predictions"
)
_INSERT = f"INSERT INTO predictions VALUES ({', '.join('?' * len(COLUMNS))})"


def connect(path: Path | str) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(_SCHEMA)
    conn.execute(_VIEW)
    conn.commit()
    return conn


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
        self._conn = connect(self.path)
        self.written = 0
        self._thread = threading.Thread(target=self._run, name="prediction-recorder", daemon=True)
        self._thread.start()

    def record(self, row: tuple) -> None:
        """row: (request_id, ts, endpoint, user_id, features as JSON text or dict, probability, prediction,
        latency_s, model_version, worker_pid); a dict is serialized by the writer, off the request path."""
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
            rows = [r if isinstance(r[4], str) else (*r[:4], json.dumps(r[4]), *r[5:]) for r in batch]
            try:
                with self._conn:
                    self._conn.executemany(_INSERT, rows)
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
