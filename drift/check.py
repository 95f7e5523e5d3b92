"""The drift step of a load run: the run's prediction inputs, from the API's recording or from what the
generator sent, over the run's own time range; reports in its folder."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from drift.recorded import RecordedDataError, check_recorded
from drift.settings import DriftSettings

SENT_DB = "sent_predictions.db"  # written by the generator (loadtests/sent.py)


def reconcile_inputs(sent_db: Path, recorded_db: Path) -> dict:
    """Answered predictions the generator saw against the rows the API recorded, matched by request id."""
    try:
        with sqlite3.connect(f"file:{sent_db}?mode=ro", uri=True) as conn:
            conn.execute("ATTACH DATABASE ? AS api", (f"file:{recorded_db}?mode=ro",))
            sent = conn.execute("SELECT count(*) FROM rows").fetchone()[0]
            recorded = conn.execute("SELECT count(*) FROM api.rows").fetchone()[0]
            matched = conn.execute("SELECT count(*) FROM rows JOIN api.rows USING (request_id)"
                                   ).fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return {"ok": False, "summary": f"not reconciled: {exc}"}
    ok = sent == matched == recorded
    return {"sent_answered": sent, "recorded": recorded, "matched": matched, "only_sent": sent - matched,
            "only_recorded": recorded - matched, "ok": ok,
            "summary": (f"{matched} of {sent} answered predictions matched the API's {recorded} recorded rows by "
                        f"request id" + ("" if ok else f" ({sent - matched} sent only, {recorded - matched} recorded only)"))}


def _source(run_dir: Path, db: Path | None) -> tuple[Path | None, str]:
    if db is not None and Path(db).is_file():
        return Path(db), "recorded by the API"
    sent = run_dir / SENT_DB
    if sent.is_file():
        return sent, "sent by the generator (the API's own recording is not available)"
    if db is not None:  # named but missing: the check says so
        return Path(db), "recorded by the API"
    return None, ""


def check_run(run_dir: Path, db: Path | None, strict: bool = False, settings: DriftSettings | None = None,
              out_dir: Path | None = None) -> dict:
    """A summary for the SLO report (its files in out_dir, default the run folder); says so for missing data
    instead of raising, unless strict. Inputs: the API's recording (db) when there is one, else what the
    generator sent; with both, they are reconciled by request id."""
    settings = settings or DriftSettings()
    run_dir = Path(run_dir)
    out_dir = Path(out_dir or run_dir)
    source, described = _source(run_dir, db)
    if source is None:
        return {"status": "skipped", "summary": "skipped: neither the API's recording (PREDICTIONS_DB) nor the "
                                                f"generator's {SENT_DB} is in the run folder"}
    stages_file = run_dir / "stages.json"
    start = end = None
    if stages_file.is_file():
        tl = json.loads(stages_file.read_text())
        start, end = tl["wall_start"] - 1, tl["stopped_at"] + 5
    try:
        result = check_recorded(source, out_dir, settings.threshold, settings.min_rows, start, end)
    except RecordedDataError as exc:
        if strict:
            raise
        return {"status": "error", "summary": f"not checked: {exc}"}
    result.pop("columns", None)
    if "predictions" in result:
        result["predictions"] = {k: result["predictions"][k] for k in ("drift_share", "columns", "report_html")}
    result["inputs"] = {"source": described, "file": source.name}
    result["summary"] = f"{result['summary']}; inputs {described}"
    if source != run_dir / SENT_DB and (run_dir / SENT_DB).is_file():
        rec = result["inputs"]["reconciliation"] = reconcile_inputs(run_dir / SENT_DB, source)
        result["summary"] += f" ({rec['summary']})"
    return result
