"""The API's recording of a run (predictions.db), as the judge reads it: each window's server latencies in time
order; and the generator's record of what it sent (sent_predictions.db), each answer's latency as the generator saw
it. The schema is the API's (api/record_schema.py); its `predictions` view is what every reader reads."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np


class RecordingUnreadable(RuntimeError):
    """The API's recording exists but cannot be read: the checks that use it cannot vouch for the run."""


def recorded(db: Path | None, start: float, end: float, endpoint: str | None, timed_only: bool = False
             ) -> np.ndarray | None:
    """Server latencies (ms) of the predictions recorded in (start, end], in time order; None without a database; raises
    RecordingUnreadable when there is one that SQLite cannot read (never a silent "no data"). With `timed_only`, the
    rows whose latency was measured (the generator's record before it timed its answers holds 0 in each)."""
    if db is None or not Path(db).is_file():
        return None
    query = "SELECT latency_s FROM predictions WHERE ts > ? AND ts <= ?" + (" AND latency_s > 0" if timed_only else "")
    args: list = [start, end]
    if endpoint:
        query += " AND endpoint = ?"
        args.append(endpoint)
    query += " ORDER BY ts"
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return np.array([r[0] for r in conn.execute(query, args)], dtype=float) * 1000
    except sqlite3.DatabaseError as exc:
        raise RecordingUnreadable(f"{db}: the API's recording cannot be read ({exc})") from None
