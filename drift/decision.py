"""The lab's decision rule and its one-line verdict."""
from __future__ import annotations

DEFAULT_THRESHOLD = 0.30


def decide(drift_share: float, threshold: float = DEFAULT_THRESHOLD) -> str:
    """RETRAIN when the share of drifted features reaches the threshold."""
    return "RETRAIN" if drift_share >= threshold else "NO_ACTION"


def verdict_line(report_html, report_json, drift_share: float, threshold: float, target_drift: str) -> str:
    decision = decide(drift_share, threshold)
    op = ">=" if decision == "RETRAIN" else "<"
    return (f"[Evidently] report_html={report_html} report_json={report_json} drift_share={drift_share:.2f} -> "
            f"{decision} drift_share={drift_share:.2f} {op} {threshold:.2f} (target_drift={target_drift})")
