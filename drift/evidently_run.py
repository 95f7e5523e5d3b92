"""Run Evidently's DataDriftPreset on typed frames; return drift share and per-column scores; save HTML and JSON."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd

from api.features import BOOLEAN_FEATURES, FEATURES
from drift.effects import column_effects

CATEGORICAL = (*BOOLEAN_FEATURES, "net_service")


def _typed(frame: pd.DataFrame, numerical: list[str], categorical: list[str]) -> pd.DataFrame:
    out = frame[numerical + categorical].copy()
    for c in numerical:
        out[c] = pd.to_numeric(out[c], errors="raise").astype(float)
    for c in categorical:
        # SQLite gives booleans back as 0/1: compare like with like.
        out[c] = out[c].map(lambda v: str(bool(v)) if isinstance(v, (bool, int)) and c != "net_service" else str(v))
    return out


def feature_drift(reference: pd.DataFrame, current: pd.DataFrame, out_base: Path,
                  numerical: list[str] | None = None, categorical: list[str] | None = None) -> dict:
    """Drift of the given columns (default: the 14 features). Writes <out_base>.html; save_json() writes the JSON."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    if numerical is None and categorical is None:
        categorical = list(CATEGORICAL)
        numerical = [f for f in FEATURES if f not in CATEGORICAL]
    numerical, categorical = list(numerical or []), list(categorical or [])
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
    typed_ref, typed_cur = _typed(reference, numerical, categorical), _typed(current, numerical, categorical)
    ref = Dataset.from_pandas(typed_ref, data_definition=definition)
    cur = Dataset.from_pandas(typed_cur, data_definition=definition)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant columns make Evidently's correlations divide by zero
        snapshot = Report([DataDriftPreset(columns=numerical + categorical)]).run(cur, ref)
    out_base.parent.mkdir(parents=True, exist_ok=True)
    html_path, json_path = out_base.with_suffix(".html"), out_base.with_suffix(".json")
    snapshot.save_html(str(html_path))
    metrics = snapshot.dict()["metrics"]
    summary = next(m for m in metrics if m["metric_name"].startswith("DriftedColumnsCount"))
    columns = {}
    for m in metrics:
        cfg = m["config"]
        if cfg.get("type", "").endswith("ValueDrift"):
            score = float(m["value"])
            columns[cfg["column"]] = {"method": cfg["method"], "score": round(score, 6), "threshold": cfg["threshold"],
                                      "drifted": score >= cfg["threshold"]}
    result = {"drift_share": round(float(summary["value"]["share"]), 6), "drifted_count": int(summary["value"]["count"]),
              "columns_tested": len(columns), "drifted_columns": sorted(c for c, v in columns.items() if v["drifted"]),
              "columns": columns, "rows": {"reference": len(reference), "current": len(current)},
              "report_html": str(html_path), "report_json": str(json_path),
              # Beside Evidently's per-column tests: effect sizes, and which moves hold across all columns at once.
              "effects": column_effects(typed_ref, typed_cur, numerical, categorical)}
    result["_evidently"] = json.loads(snapshot.json())
    return result


def save_json(result: dict) -> dict:
    """Write the result (and Evidently's own metrics) to its report_json; return it without the raw part."""
    raw = result.pop("_evidently", None)
    Path(result["report_json"]).write_text(json.dumps({"slobench": result, "evidently": raw}, indent=1, default=str) + "\n")
    return result
