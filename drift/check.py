"""The drift step of a load run: the run's prediction inputs, from the API's recording or from what the
generator sent, over the run's own time range; reports in its folder."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from drift.recorded import RecordedDataError, check_recorded
from drift.settings import DriftSettings
from runfolder import files, names



IN_FLIGHT_SLACK = 3  # rows the API stamped before the load stopped whose answers the generator never read


def reconcile_inputs(sent_db: Path, recorded_db: Path, stopped_at: float | None = None) -> dict:
    """Answered predictions the generator saw against the rows the API recorded, matched by request id.
    Requests still in flight when the generators stopped were answered and recorded by the API but never
    read by a generator: rows stamped after stopped_at are counted apart, not as a mismatch."""
    try:
        with sqlite3.connect(f"file:{sent_db}?mode=ro", uri=True) as conn:
            conn.execute("ATTACH DATABASE ? AS api", (f"file:{recorded_db}?mode=ro",))
            sent = conn.execute("SELECT count(*) FROM rows").fetchone()[0]
            recorded = conn.execute("SELECT count(*) FROM api.rows").fetchone()[0]
            matched = conn.execute("SELECT count(*) FROM rows JOIN api.rows USING (request_id)").fetchone()[0]
            after = conn.execute("SELECT count(*) FROM api.rows WHERE ts > ? AND request_id NOT IN "
                                 "(SELECT request_id FROM rows)", (stopped_at if stopped_at is not None else 1e18,)
                                 ).fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return {"ok": False, "summary": f"not reconciled: {exc}"}
    only_recorded = recorded - matched
    if sent and recorded and not matched:
        return {"sent_answered": sent, "recorded": recorded, "matched": 0, "ok": False,
                "summary": f"not reconciled: none of the {sent} requests' X-Request-ID is in the API's {recorded} "
                           "recorded rows (the API does not use the header as its request id)"}
    ok = sent == matched and only_recorded - after <= IN_FLIGHT_SLACK
    summary = f"{matched} of {sent} answered predictions matched the API's {recorded} recorded rows by request id"
    if only_recorded:
        summary += f" ({only_recorded} recorded only, {after} of them answered after the load stopped)"
    if sent != matched:
        summary += f"; {sent - matched} answered predictions are missing from the API's recording"
    return {"sent_answered": sent, "recorded": recorded, "matched": matched, "only_sent": sent - matched,
            "only_recorded": only_recorded, "recorded_after_stop": after, "ok": ok, "summary": summary}


def _source(run_dir: Path, db: Path | None) -> tuple[Path | None, str]:
    if db is not None and Path(db).is_file():
        return Path(db), "recorded by the API"
    sent = run_dir / names.SENT_PREDICTIONS
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
                                                f"generator's {names.SENT_PREDICTIONS} is in the run folder"}
    start = end = None
    if files.TIMELINE.exists(run_dir):
        tl = files.TIMELINE.read(run_dir)
        start, end = tl["wall_start"] - 1, tl["stopped_at"] + 5
    try:
        result = check_recorded(source, out_dir, settings.threshold, settings.min_rows, start, end,
                                max_auc_drop=settings.max_auc_drop)
    except RecordedDataError as exc:
        if strict:
            raise
        return {"status": "error", "summary": f"not checked: {exc}"}
    if result.get("predictions"):
        result["predictions"] = {k: result["predictions"][k] for k in ("drift_share", "columns", "report_html")}
    result["inputs"] = {"source": described, "file": source.name}
    result["summary"] = f"{result['summary']}; inputs {described}"
    counts_file = run_dir / names.SENT_COUNTS
    if counts_file.is_file():
        counts = result["inputs"]["answers"] = json.loads(counts_file.read_text())
        if counts.get("unreadable"):
            result["summary"] += (f"; {counts['unreadable']} of {counts['answered']} answers' bodies could not be "
                                  "read (their inputs are kept, their outputs empty)")
    sent = run_dir / names.SENT_PREDICTIONS
    if source != sent and sent.is_file():
        rec = result["inputs"]["reconciliation"] = reconcile_inputs(sent, source, end - 5 if end is not None else None)
        result["summary"] += f" ({rec['summary']})"
    return result

