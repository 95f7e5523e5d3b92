"""The decision: RETRAIN on the lab's drift share or on the model's performance, and its one-line verdict."""
from __future__ import annotations

DEFAULT_THRESHOLD = 0.30
DEFAULT_MAX_AUC_DROP = 0.05


def decide(drift_share: float, threshold: float = DEFAULT_THRESHOLD) -> str:
    """The lab's rule alone: RETRAIN when the share of drifted features reaches the threshold."""
    return "RETRAIN" if drift_share >= threshold else "NO_ACTION"


def decide_with_performance(drift_share: float, threshold: float, performance: dict | None) -> tuple[str, str]:
    """(decision, what decided it): RETRAIN when the drift share reaches the threshold or the AUC dropped beyond its
    tolerance with confidence; INCONCLUSIVE when the shares do not call for it but the AUC's interval straddles the
    tolerance; else NO_ACTION. Both criteria are stated."""
    share = f"drift share {drift_share:.2f} {'>=' if drift_share >= threshold else '<'} {threshold:.2f}"
    perf = (performance or {}).get("verdict")
    auc = "" if perf is None else f"{performance['decided_on']} AUC {perf}"
    said = "; ".join(s for s in (share, auc) if s)
    if drift_share >= threshold or perf == "dropped":
        by = " and ".join(s for s, on in ((share, drift_share >= threshold), (auc, perf == "dropped")) if on)
        return "RETRAIN", f"decided by the {by} ({said})"
    if perf == "inconclusive":
        return "INCONCLUSIVE", f"the AUC's interval straddles its tolerance ({said})"
    return "NO_ACTION", f"neither criterion calls for it ({said})"


def verdict_line(report_html, report_json, drift_share: float, threshold: float, target_drift: str,
                 decision: str | None = None) -> str:
    by_share = decide(drift_share, threshold)
    decision = decision or by_share
    op = ">=" if drift_share >= threshold else "<"
    by_auc = "" if decision == by_share else f" performance={'dropped' if decision == 'RETRAIN' else 'inconclusive'}"
    return (f"[Evidently] report_html={report_html} report_json={report_json} drift_share={drift_share:.2f} -> "
            f"{decision} drift_share={drift_share:.2f} {op} {threshold:.2f}{by_auc} (target_drift={target_drift})")
