"""One objective judged in one stage, and the interval that decided it."""
from __future__ import annotations

from slo.verdicts.report.comparison import FamilyRecord
from slo.verdicts.report.frozen import Frozen


class Confidence(Frozen):
    """The interval that decided an objective in one stage (slo/verdicts/kinds/): its level and ends in the
    objective's own terms (`terms`: a share over the threshold, the mean in ms...), the limit it is judged against,
    the method and what it assumes, and the decision it supports. A share's also holds its counts (a threshold
    between bucket edges brackets `counted` as [fewer, more]), how much dependence widened it and where that was
    measured, and its reading from the stage's whole tail; an undecided one, what would decide it; one judged in a
    family of tests, how the family policy treated it. Empty where the objective has no interval."""
    level: float | None = None
    low: float | None = None
    high: float | None = None
    limit: float | None = None
    terms: str | None = None
    method: str | None = None
    assumes: str | None = None
    decision: str | None = None
    observed: bool = False          # a census or an exact count: not a sample
    collapsed: bool = False         # the queue grew through the window: the figure is what it was
    requests: int | float | None = None
    counted: int | float | list[int | float] | None = None
    bracketed: bool = False
    design_effect: float | None = None
    design_effect_from: str | None = None
    divisor: float | None = None
    blocks: int | None = None
    effective_blocks: float | None = None
    widened_by: float | None = None
    requests_minimum: int | None = None
    requests_needed: int | None = None
    seconds_needed: float | None = None
    tail: dict | None = None
    family: FamilyRecord | None = None

    @property
    def counted_range(self) -> tuple[float, float] | None:
        """(counted at least, counted at most): a bracketed count's two ends, else the count twice."""
        if self.counted is None:
            return None
        return tuple(self.counted) if isinstance(self.counted, list) else (self.counted, self.counted)

    @property
    def in_shares(self) -> bool:
        """Whether the interval is of a share (of requests over a threshold, of errors...), not of a figure in ms."""
        return "share" in (self.terms or "")


class ObjectiveResult(Frozen):
    """One objective judged in one stage: its status (pass, warn, fail, inconclusive, no_data, insufficient), the
    measured figure against its threshold, and the interval that decided it (`confidence`)."""
    name: str
    kind: str
    status: str
    measured: float | None = None
    threshold: float | None = None
    warning: float | None = None
    unit: str | None = None
    confidence: Confidence = Confidence()
    detail: str | None = None   # what else decided the row (answers not checkable, arrivals dropped)
    # latency quantiles
    quantile: float | None = None
    bucket_ms: list | None = None   # the bucket edges around the measured figure
    # the answers check
    checked: int | None = None
    wrong: int | None = None
    examples: list[str] | None = None
    # throughput of an open model
    dropped: float | None = None
    # an imported SLI: how fast it burns its error budget, and how its file's objective was mapped
    burn_rate: float | None = None
    mapping: str | None = None
