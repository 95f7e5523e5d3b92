"""Record served predictions into SQLite (WAL), in batches, off the request path."""
from __future__ import annotations

import logging
import sqlite3
import threading
from collections import deque
from pathlib import Path

from api.features import FEATURES

log = logging.getLogger("api.recorder")

COLUMNS = ("request_id", "ts", "endpoint", "user_id", *FEATURES,
           "probability", "prediction", "latency_s", "model_version", "worker_pid")
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS predictions ("
    + ", ".join(f'"{c}"' for c in COLUMNS)
    + ")"
)
_INSERT = f"INSERT INTO predictions VALUES ({', '.join('?' * len(COLUMNS))})"


def connect(path: Path | str) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(_SCHEMA)
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
                with self._conn:
                    self._conn.executemany(_INSERT, batch)
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
