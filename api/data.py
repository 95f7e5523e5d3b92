"""Load a StreamFlow snapshot: six CSV tables joined by user_id into one frame."""
from __future__ import annotations

from pathlib import Path

from common.environment import paths

import pandas as pd

from api.features import BOOLEAN_FEATURES, FEATURES

DEFAULT_DATA_DIR = paths().data_dir  # DATA_DIR, else the repository's data/streamflow
SNAPSHOTS = {"2024-01-31": "month_000", "2024-02-29": "month_001"}
TABLES = ("users", "subscriptions", "usage_agg_30d", "payments_agg_90d", "support_agg_90d", "labels")


class DataError(ValueError):
    """A snapshot is missing or malformed; the message names the file and the field."""


def resolve_snapshot(name: str) -> tuple[str, str]:
    """Accept an as_of date ('2024-02-29') or a folder name ('month_001'); return (as_of, folder)."""
    if name in SNAPSHOTS:
        return name, SNAPSHOTS[name]
    for as_of, folder in SNAPSHOTS.items():
        if folder == name:
            return as_of, folder
    known = ", ".join(f"{a} ({f})" for a, f in SNAPSHOTS.items())
    raise DataError(f"unknown snapshot {name!r}: known snapshots are {known}")


def _parse_bool(series: pd.Series, path: Path, column: str) -> pd.Series:
    # Empty cells (plan_stream_* where net_service is 'No') mean "no streaming plan": False.
    text = series.astype("string").str.strip().str.lower()
    bad = ~text.isna() & ~text.isin(["true", "false"])
    if bad.any():
        raise DataError(f"{path}: {column}: expected True/False, got {series[bad].iloc[0]!r}")
    return text.eq("true").fillna(False).astype(bool)


def load_snapshot(name: str, data_dir: Path | str = DEFAULT_DATA_DIR) -> pd.DataFrame:
    """One row per user: user_id, the 14 features, churn_label and as_of."""
    as_of, folder = resolve_snapshot(name)
    base = Path(data_dir) / folder
    frame: pd.DataFrame | None = None
    for table in TABLES:
        path = base / f"{table}.csv"
        if not path.is_file():
            raise DataError(f"{path}: file not found (snapshot {as_of})")
        part = pd.read_csv(path, dtype={"user_id": str}, keep_default_na=True)
        if "user_id" not in part.columns:
            raise DataError(f"{path}: user_id: column missing")
        if part["user_id"].duplicated().any():
            raise DataError(f"{path}: user_id: duplicated ids")
        frame = part if frame is None else frame.merge(part, on="user_id", how="inner", validate="one_to_one")
    assert frame is not None
    missing = [c for c in (*FEATURES, "churn_label") if c not in frame.columns]
    if missing:
        raise DataError(f"{base}: columns missing after join: {', '.join(missing)}")
    for column in (*BOOLEAN_FEATURES, "churn_label"):
        frame[column] = _parse_bool(frame[column], base, column)
    frame["churn_label"] = frame["churn_label"].astype(int)
    frame["as_of"] = as_of
    return frame[["user_id", *FEATURES, "churn_label", "as_of"]].reset_index(drop=True)
