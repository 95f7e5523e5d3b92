"""The drift check of the run's served traffic (drift/check.py), as the report holds it beside its verdicts: the
decision (RETRAIN, NO_ACTION, INCONCLUSIVE) and what decided it, each column's test and effect, the served model's
estimated performance, and where the inputs came from; or why it did not run (`status` skipped or error)."""
from __future__ import annotations

from slo.verdicts.report.frozen import Frozen


class ColumnDrift(Frozen):
    """Evidently's test of one column against its threshold."""
    method: str
    score: float
    threshold: float
    drifted: bool


class ColumnEffect(Frozen):
    """One column's effect size beside Evidently's test, and whether it moved beyond chance (Benjamini-Hochberg)."""
    effect: float
    measure: str
    p_value: float
    q_value: float
    drifted: bool
    rows: dict[str, int]


class AucFigure(Frozen):
    """The served model's ROC AUC and accuracy on some rows, each with its interval (estimated or measured)."""
    rows: int
    auc: float
    auc_interval: list[float]
    accuracy: float
    accuracy_interval: list[float]
    level: float
    method: str | None = None
    bias_shift: float | None = None


class ReferenceAuc(Frozen):
    """The model's ROC AUC on its reference month's held-out rows."""
    month: str
    rows: int
    auc: float


class Performance(Frozen):
    """The served model's performance on the run's traffic against its reference month (drift/performance.py)."""
    reference: ReferenceAuc
    estimated: AucFigure
    tolerance: float
    decided_on: str
    drop: float
    verdict: str                   # held, dropped, inconclusive
    measured: AucFigure | None = None
    estimate_error: float | None = None
    estimate_within_measured: bool | None = None


class PredictionDrift(Frozen):
    """The served outputs against the model's outputs on its training data."""
    drift_share: float
    columns: dict[str, ColumnDrift]
    report_html: str


class DriftInputs(Frozen):
    """Where the checked inputs came from, and how they reconciled with what the generator sent."""
    source: str
    file: str
    answers: dict | None = None
    reconciliation: dict | None = None


class DriftCheck(Frozen):
    """The drift check: `status` ok (then every figure), skipped or error (then `summary` says why)."""
    status: str
    summary: str
    decision: str | None = None
    decided_by: str | None = None
    drift_share: float | None = None
    threshold: float | None = None
    drifted_count: int | None = None
    columns_tested: int | None = None
    drifted_columns: list[str] = []
    columns: dict[str, ColumnDrift] = {}
    effects: dict[str, ColumnEffect] = {}
    performance: Performance | None = None
    predictions: PredictionDrift | None = None
    rows: int | None = None
    min_rows: int | None = None
    reference: str | None = None
    compared: dict[str, int] | None = None
    report_html: str | None = None
    report_json: str | None = None
    line: str | None = None
    inputs: DriftInputs | None = None

    @property
    def said(self) -> str:
        """The decision, or the status where there is none."""
        return self.decision or self.status

    def gate_problem(self) -> str | None:
        """Why a drift gate (--fail-on-drift) cannot call the traffic undrifted: an error, a skip, inputs that did
        not reconcile with the API's recording, or no decision; None when the check stands."""
        if self.status in ("error", "skipped"):
            return f"the drift check did not run to a decision: {self.summary}"
        rec = self.inputs and self.inputs.reconciliation
        if rec and not rec.get("ok", True):
            return f"the generator's inputs do not reconcile with the API's recording: {rec.get('summary')}"
        if not self.decision:
            return f"the drift check gave no decision: {self.summary}"
        if self.decision == "INCONCLUSIVE":
            return f"the drift check could not decide: {self.decided_by or ''}"
        return None
