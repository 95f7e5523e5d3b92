"""What the generator sent and got back, per answered prediction, so drift can be checked against any API.

Each Locust process writes its own SQLite file (the API's recording schema, api/record_schema.py) in batches;
after the run they are merged into the run folder's sent_predictions.db.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from common.contract import SENT_PREDICTIONS_FILE
from api.record_schema import Writer, connect, merge_files

FILE_GLOB = "client_predictions.*.db"
MERGED = SENT_PREDICTIONS_FILE


class SentRecorder:
    """Rows kept in a short list and written every `batch` rows, so memory stays flat however long the run."""

    def __init__(self, folder: Path, batch: int = 5000):
        self.path = Path(folder) / f"client_predictions.{os.getpid()}.db"
        self.batch, self.rows, self.written = batch, [], 0
        self._conn = self._writer = None

    def add(self, request_id: str, endpoint: str, user_id: str | None, features_json: str, probability: float,
            prediction: int, latency_s: float, model_version: str | None) -> None:
        self.rows.append((request_id, time.time(), endpoint, user_id, features_json, probability, prediction,
                          latency_s, model_version, os.getpid()))
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = connect(self.path)
            self._writer = Writer(self._conn)
        self._writer.write(self.rows)
        self.written += len(self.rows)
        self.rows = []

    def close(self) -> None:
        self.flush()
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def merge(folder: Path, out: Path | None = None) -> Path | None:
    """Merge every process's file in folder into one database (out, default folder/sent_predictions.db)."""
    folder = Path(folder)
    parts = sorted(folder.glob(FILE_GLOB))
    if not parts:
        return None
    out = Path(out or folder / MERGED)
    out.unlink(missing_ok=True)
    merge_files(out, parts)
    for part in parts:
        for suffix in ("", "-wal", "-shm"):
            Path(str(part) + suffix).unlink(missing_ok=True)
    return out
