"""Drift of the traffic a load run served: recorded prediction inputs against the training snapshot."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd

from api import models
from api.data import load_snapshot
from drift import performance
from drift.decision import DEFAULT_MAX_AUC_DROP, decide_with_performance, verdict_line
from drift.evidently_run import feature_drift, save_json
from runfolder import names


class RecordedDataError(ValueError):
    """The predictions file is missing, empty or not a predictions database; the message names it."""


def read_predictions(db: Path, start: float | None = None, end: float | None = None) -> pd.DataFrame:
    db = Path(db)
    if not db.is_file():
        raise RecordedDataError(f"{db}: predictions file not found (was the API started with PREDICTIONS_DB?)")
    if db.stat().st_size == 0:
        raise RecordedDataError(f"{db}: predictions file is empty")
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            where, args = "", []
            if start is not None and end is not None:
                where, args = " WHERE ts >= ? AND ts <= ?", [start, end]
            return pd.read_sql_query(f"SELECT * FROM predictions_wide{where}", conn, params=args)
    except (sqlite3.DatabaseError, pd.errors.DatabaseError) as exc:
        raise RecordedDataError(f"{db}: not a predictions database ({exc})") from None


def check_recorded(db: Path, out_dir: Path, threshold: float, min_rows: int, start: float | None = None,
                   end: float | None = None, model_path: Path | None = None,
                   max_auc_drop: float = DEFAULT_MAX_AUC_DROP) -> dict:
    """Feature drift, prediction drift and the model's estimated performance on the recorded traffic; skipped (not
    failed) with too few rows."""
    current = read_predictions(db, start, end)
    if len(current) < min_rows:
        return {"status": "skipped", "rows": len(current), "min_rows": min_rows,
                "summary": f"skipped: {len(current)} recorded predictions, fewer than the {min_rows} a drift test needs"}
    model = models.load(model_path or models.ModelSettings().model_file)
    reference = load_snapshot(model.metadata["trained_as_of"])
    features = feature_drift(reference, current, out_dir / names.DRIFT_FEATURES)
    perf = performance.assess(model, reference, current, max_auc_drop)
    decision, decided_by = decide_with_performance(features["drift_share"], threshold, perf)
    # Prediction drift needs the served outputs: an API whose answers did not carry them gets the inputs only.
    served = current[current["probability"].notna() & current["prediction"].notna()]
    preds = None
    if len(served) >= min_rows:
        # The served outputs against the model's outputs on its own training data.
        ref_out = pd.DataFrame({"probability": models.predict_frame(model, reference)})
        ref_out["prediction"] = (ref_out["probability"] >= 0.5).astype(int).astype(str)
        cur_out = pd.DataFrame({"probability": served["probability"].astype(float),
                                "prediction": served["prediction"].astype(int).astype(str)})
        preds = save_json(feature_drift(ref_out, cur_out, out_dir / names.DRIFT_PREDICTIONS, numerical=["probability"],
                                        categorical=["prediction"]))
    features.update(threshold=threshold, decision=decision, decided_by=decided_by, performance=perf, status="ok",
                    predictions=preds,
                    rows=len(current), reference=model.metadata["trained_as_of"],
                    compared={"inputs": len(current), "outputs": len(served) if preds else 0})
    save_json(features)
    outputs = (f"predicted probability drift {preds['columns']['probability']['score']:.3f}" if preds else
               f"prediction drift not computed: {len(served)} of {len(current)} answers carried the outputs")
    features["line"] = verdict_line(features["report_html"], features["report_json"], features["drift_share"], threshold,
                                    f"n/a (served traffic has no labels); {outputs}", decision)
    drifted = ", ".join(features["drifted_columns"]) or "none"
    features["summary"] = (f"{decision}, {decided_by}, over {len(current)} recorded predictions (drifted: {drifted}; "
                           f"{outputs}); {performance.sentence(perf)}")
    return features
