"""Month against month: the 14 features of one snapshot against another, and real target drift."""
from __future__ import annotations

from pathlib import Path

from api.data import load_snapshot
from api import models
from drift import performance
from drift.decision import DEFAULT_MAX_AUC_DROP, decide_with_performance, verdict_line
from drift.evidently_run import feature_drift, save_json


def compare_months(ref: str, cur: str, out_dir: Path, threshold: float, max_auc_drop: float = DEFAULT_MAX_AUC_DROP,
                   model_path: Path | None = None) -> tuple[dict, str]:
    """(result, the lab's one-line verdict). Target drift uses each month's own churn labels; the served model's AUC
    on the current month is estimated from its inputs and measured with its labels (which decides)."""
    reference, current = load_snapshot(ref), load_snapshot(cur)
    base = out_dir / f"drift_{reference['as_of'].iloc[0]}_vs_{current['as_of'].iloc[0]}"
    result = feature_drift(reference, current, base)
    target_run = feature_drift(reference, current, base.with_name(base.name + "_target"), numerical=[],
                               categorical=["churn_label"])
    target = save_json(target_run)["columns"]["churn_label"]
    result["target"] = {"column": "churn_label", "method": target["method"], "score": target["score"],
                        "drifted": target["drifted"],
                        "churn_rate": {"reference": round(float(reference["churn_label"].mean()), 4),
                                       "current": round(float(current["churn_label"].mean()), 4)},
                        "churners": {"reference": int(reference["churn_label"].sum()),
                                     "current": int(current["churn_label"].sum())}}
    model = models.load(model_path or models.ModelSettings().model_file)
    trained_as_of = model.metadata["trained_as_of"]
    trained_on = reference if str(reference["as_of"].iloc[0]) == trained_as_of else load_snapshot(trained_as_of)
    perf = performance.assess(model, trained_on, current, max_auc_drop)
    decision, decided_by = decide_with_performance(result["drift_share"], threshold, perf)
    result.update(threshold=threshold, decision=decision, decided_by=decided_by, performance=perf, reference=ref,
                  current=cur)
    save_json(result)
    rates = result["target"]["churn_rate"]
    target_text = f"{target['score']:.3f} churn_rate {rates['reference']:.3f}->{rates['current']:.3f}"
    return result, verdict_line(result["report_html"], result["report_json"], result["drift_share"], threshold, target_text,
                                decision)
