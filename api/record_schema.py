"""The recording's SQLite schema: typed, compact columns (about 130 bytes a row), and views that give the
readers every field back: `predictions` (the 14 inputs as one JSON text) and `predictions_wide` (as columns).

The API's recorder and the generator's sent log (loadtests/sent.py) both write it.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from api.features import FEATURES, NET_SERVICES

# What a writer hands over per prediction; the 14 inputs as a dict, JSON text, or a tuple in FEATURES order.
FIELDS = ("request_id", "ts", "endpoint", "user_id", "features", "probability", "prediction", "latency_s",
          "model_version", "worker_pid")
ENDPOINTS = {"/predict": 1, "/predict/features": 2}   # codes are fixed: files from any process merge as they are
_NET = {name: i for i, name in enumerate(NET_SERVICES)}
_BOOL = {"paperless_billing", "plan_stream_tv", "plan_stream_movies"}
_INT = {"months_active", "unique_devices_30d", "skips_7d", "rebuffer_events_7d", "failed_payments_90d",
        "support_tickets_90d"}


def _type(f: str) -> str:
    return "INTEGER" if f in _BOOL or f in _INT or f == "net_service" else "REAL"


_TABLES = [
    "CREATE TABLE IF NOT EXISTS endpoints (id INTEGER PRIMARY KEY, name TEXT UNIQUE)",
    "CREATE TABLE IF NOT EXISTS models (id INTEGER PRIMARY KEY, version TEXT UNIQUE)",
    "CREATE TABLE IF NOT EXISTS rows (request_id TEXT, ts REAL, endpoint INTEGER, user_id TEXT, "
    + ", ".join(f"{f} {_type(f)}" for f in FEATURES)
    + ", probability REAL, prediction INTEGER, latency_us INTEGER, model INTEGER, worker_pid INTEGER)",
]
_NET_CASE = "CASE net_service " + " ".join(f"WHEN {i} THEN '{n}'" for n, i in _NET.items()) + " END"
_VIEWS = [
    "CREATE VIEW IF NOT EXISTS predictions_wide AS SELECT request_id, ts, e.name AS endpoint, user_id, "
    + ", ".join(f"{_NET_CASE} AS net_service" if f == "net_service" else f for f in FEATURES)
    + ", probability, prediction, latency_us / 1e6 AS latency_s, m.version AS model_version, worker_pid "
    "FROM rows LEFT JOIN endpoints e ON e.id = rows.endpoint LEFT JOIN models m ON m.id = rows.model",
    # 17 significant digits: every float comes back exactly (json_object alone prints 15).
    "CREATE VIEW IF NOT EXISTS predictions AS SELECT request_id, ts, endpoint, user_id, json_object("
    + ", ".join(f"'{f}', " + (f"json({f} = 1)" if f in _BOOL else f"json(printf('%!.17g', {f}))" if _type(f) == "REAL"
                              else f) for f in FEATURES)
    + ") AS features, probability, prediction, latency_s, model_version, worker_pid FROM predictions_wide",
]
_INSERT = f"INSERT INTO rows VALUES ({', '.join('?' * (len(FIELDS) + len(FEATURES) - 1))})"


def connect(path: Path | str, wal: bool = True) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    for statement in _TABLES + _VIEWS:
        conn.execute(statement)
    conn.executemany("INSERT OR IGNORE INTO endpoints VALUES (?, ?)", [(i, n) for n, i in ENDPOINTS.items()])
    conn.commit()
    return conn


class Stored(tuple):
    """The 14 inputs already in their stored form (the online table prepares them once per user)."""


def stored(features: dict) -> Stored:
    return Stored(_values(features))


def _values(features) -> tuple:
    """The 14 inputs as stored; an input a writer did not give is NULL (the row itself is never dropped)."""
    if isinstance(features, Stored):
        return features
    if isinstance(features, str):
        features = json.loads(features)
    if isinstance(features, dict):
        features = tuple(features.get(f) for f in FEATURES)
    return tuple(None if v is None else _NET.get(v) if f == "net_service" else int(v) if f in _BOOL else v
                 for f, v in zip(FEATURES, features))


class Writer:
    """Encodes rows for one connection: endpoint and model version become small integer codes."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._models: dict[str, int] = {}

    def _model(self, version: str | None) -> int | None:
        if version is None:
            return None
        code = self._models.get(version)
        if code is None:
            self.conn.execute("INSERT OR IGNORE INTO models(version) VALUES (?)", (version,))
            code = self._models[version] = self.conn.execute("SELECT id FROM models WHERE version = ?",
                                                             (version,)).fetchone()[0]
        return code

    def write(self, rows: list[tuple]) -> None:
        """rows: tuples in FIELDS order; one transaction."""
        encoded = [(r[0], r[1], ENDPOINTS.get(r[2], 0), r[3], *_values(r[4]), r[5], r[6], round(r[7] * 1e6),
                    self._model(r[8]), r[9]) for r in rows]
        with self.conn:
            self.conn.executemany(_INSERT, encoded)


def merge_files(out: Path, parts: list[Path]) -> None:
    """Append every part's rows to `out` (created if needed): one self-contained file, no WAL beside it."""
    conn = connect(out, wal=False)
    try:
        for part in parts:
            merge_into(conn, part)
    finally:
        conn.close()


def merge_into(conn: sqlite3.Connection, part: Path) -> None:
    """Append another recording file's rows, mapping its model codes onto this file's."""
    conn.execute("ATTACH DATABASE ? AS part", (str(part),))
    try:
        with conn:
            conn.execute("INSERT OR IGNORE INTO models(version) SELECT version FROM part.models")
            columns = [c for c in ("request_id", "ts", "endpoint", "user_id", *FEATURES, "probability", "prediction",
                                   "latency_us")]
            conn.execute(f"INSERT INTO rows SELECT {', '.join('r.' + c for c in columns)}, m.id, r.worker_pid "
                         "FROM part.rows r LEFT JOIN part.models pm ON pm.id = r.model "
                         "LEFT JOIN models m ON m.version = pm.version")
    finally:
        conn.execute("DETACH DATABASE part")
