"""What the generator sent and got back, per answered prediction, so drift can be checked against any API, and how
long each answer took as the generator saw it (the recording's latency column), so a stage's tail can be read where
the API records nothing (slo/verdicts/stage.py).

Each Locust process writes its own SQLite file (the API's recording schema, api/record_schema.py) in batches;
after the run they are merged into the run folder's sent_predictions.db.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import gevent

from api.record_schema import Writer, connect, merge_files
from loadtests import clock
from runfolder import names

FILE_GLOB = "client_predictions.*.db"


def read_answer(text: str, outputs) -> tuple[float | None, int | None, str | None, bool]:
    """(probability, prediction, model version, readable) from a 2xx answer's body, by the profile's output field
    names; a body that is not a JSON object, or whose outputs are not numbers, is unreadable (its inputs are
    still kept: they are what was sent)."""
    try:
        body = json.loads(text)
    except ValueError:
        return None, None, None, False
    if not isinstance(body, dict):
        return None, None, None, False
    probability, prediction = body.get(outputs.probability), body.get(outputs.prediction)
    try:
        probability = None if probability is None else float(probability)
        prediction = None if prediction is None else int(prediction)
    except (TypeError, ValueError):
        return None, None, None, False
    if probability is not None and not math.isfinite(probability):
        return None, prediction, None, False
    version = body.get(outputs.model_version)
    return probability, prediction, version if isinstance(version, str) else None, True


class SentRecorder:
    """Answers kept raw in a short list; every `batch` of them is read and written off the event loop, so memory
    stays flat however long the run and the loop that times requests only appends."""

    def __init__(self, folder: Path, outputs, batch: int = 5000):
        self.path = Path(folder) / f"client_predictions.{os.getpid()}.db"
        self.outputs = outputs  # the profile's names of the outputs in an answer (loadtests/profile.py, Outputs)
        self.batch, self.rows, self.written = batch, [], 0
        self.counts = {"answered": 0, "with_outputs": 0, "unreadable": 0}
        self._conn = self._writer = self._pending = None

    def answer(self, request_id: str, endpoint: str, user_id: str | None, features_json: str, text: str,
               latency_s: float = 0.0) -> None:
        """Keep one 2xx answer's inputs, its body (its outputs are read with the batch, by the profile's names) and
        its latency (0: not timed)."""
        self.rows.append((request_id, clock.now(), endpoint, user_id, features_json, text, latency_s))
        if len(self.rows) >= self.batch:
            self.flush()

    def _read(self, answers: list[tuple]) -> list[tuple]:
        """Rows in the recording's field order from raw answers; what could not be read is counted."""
        rows, pid = [], os.getpid()
        for request_id, ts, endpoint, user_id, features_json, text, latency_s in answers:
            probability, prediction, version, readable = read_answer(text, self.outputs)
            self.counts["answered"] += 1
            self.counts["unreadable"] += not readable
            self.counts["with_outputs"] += probability is not None and prediction is not None
            rows.append((request_id, ts, endpoint, user_id, features_json, probability, prediction, latency_s, version,
                         pid))
        return rows

    def _write(self, answers: list[tuple]) -> None:
        self._writer.write(self._read(answers))

    def flush(self) -> None:
        """Hand the batch to a native thread (gevent's pool): parsing the answers, encoding and SQLite's write stay
        off the event loop that times requests (a 5,000-row write there stalled it for tens of milliseconds)."""
        if not self.rows:
            return
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = connect(self.path)
            self._writer = Writer(self._conn)
        self._wait()  # one batch at a time: the file keeps their order, the counts have one writer
        rows, self.rows = self.rows, []
        self._pending = gevent.get_hub().threadpool.spawn(self._write, rows)
        self.written += len(rows)

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.get()  # a write error surfaces here, not lost
            self._pending = None

    def close(self) -> None:
        self.flush()
        self._wait()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self.counts["answered"]:
            self.path.with_suffix(".json").write_text(json.dumps(self.counts))


def merge(folder: Path, out: Path | None = None, more: tuple[Path, ...] = ()) -> Path | None:
    """Merge every process's file in folder (and in the folders `more`: a run's refinement steps) into one database
    (out, default folder/sent_predictions.db)."""
    folder = Path(folder)
    parts = [p for f in (folder, *more) for p in sorted(Path(f).glob(FILE_GLOB))]
    if not parts:
        return None
    out = Path(out or folder / names.SENT_PREDICTIONS)
    # Appended to what an earlier merge wrote (each part is deleted once merged: nothing is merged twice).
    merge_files(out, parts)
    counts_file = out.parent / names.SENT_COUNTS
    totals: dict[str, int] = json.loads(counts_file.read_text()) if counts_file.is_file() else {}
    for part in parts:
        counts = part.with_suffix(".json")
        if counts.is_file():
            for k, v in json.loads(counts.read_text()).items():
                totals[k] = totals.get(k, 0) + v
            counts.unlink()
        for suffix in ("", "-wal", "-shm"):
            Path(str(part) + suffix).unlink(missing_ok=True)
    counts_file.write_text(json.dumps(totals) + "\n")
    return out
