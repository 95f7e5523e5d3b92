"""The drift step of a load run: recorded traffic of the run's own time range, reports in its folder."""
from __future__ import annotations

import json
from pathlib import Path

from drift.recorded import RecordedDataError, check_recorded
from drift.settings import DriftSettings


def check_run(run_dir: Path, db: Path | None, strict: bool = False, settings: DriftSettings | None = None,
              out_dir: Path | None = None) -> dict:
    """A summary for the SLO report (its files in out_dir, default the run folder); says so for missing data
    instead of raising, unless strict."""
    settings = settings or DriftSettings()
    run_dir = Path(run_dir)
    out_dir = Path(out_dir or run_dir)
    if db is None:
        return {"status": "skipped", "summary": "skipped: the API was not started by the harness, so its "
                                                "recorded predictions are not known (no PREDICTIONS_DB)"}
    stages_file = run_dir / "stages.json"
    start = end = None
    if stages_file.is_file():
        tl = json.loads(stages_file.read_text())
        start, end = tl["wall_start"] - 1, tl["stopped_at"] + 5
    try:
        result = check_recorded(Path(db), out_dir, settings.threshold, settings.min_rows, start, end)
    except RecordedDataError as exc:
        if strict:
            raise
        return {"status": "error", "summary": f"not checked: {exc}"}
    for key in ("columns",):
        result.pop(key, None)
    if "predictions" in result:
        result["predictions"] = {k: result["predictions"][k] for k in ("drift_share", "columns", "report_html")}
    return result
