"""What every kind of objective shares: the stage's figures it reads, how its interval becomes a status, and the
verdict of an objective with no interval."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from slo.stats.intervals import Evidence


@dataclass(frozen=True)
class StageFigures:
    """What a stage gives every objective: the server's figures, the rate it was offered, whether it served enough
    requests to judge, the generators' figures (the open model's arrivals, the answers checked) and the evidence."""
    server: dict
    offered_rps: float | None
    enough: bool
    client: dict
    evidence: Evidence


def status_of(confidence: dict, measured, warning, enough: bool, higher_is_worse: bool = True) -> str:
    """The interval decides pass, fail or inconclusive; a confident pass whose figure is in the warning band warns."""
    if not enough:
        return "insufficient"
    decision = confidence.get("decision")
    if decision is None or measured is None:
        return "no_data"
    in_band = warning is not None and (measured > warning if higher_is_worse else measured < warning)
    return "warn" if decision == "pass" and in_band else decision


def undecided(ev: Evidence, why: str) -> dict:
    """No interval, and no decision: the objective is no_data."""
    return {"level": ev.level, "low": None, "high": None, "method": why, "decision": None}


class Kind:
    """One kind of objective: `row` gives its report row's fields after its name and kind, `interval` its confidence
    (drawn, worded and decided by the kind). `counted_after_load`: its verdict rests on what is counted once the
    load has ended (the generator's arrivals, the answers checked), so a look at a stage while it runs cannot judge
    it as the report will; `shown_live`, whether the live tab has a figure of it so far. What reads the report's
    rows asks the kind (kind_of): how a repeat set pools them (`pooled`: a share's counts or a mean's blocks),
    whether its share over a threshold rises with the load as the knee's curve is fitted (`rises_with_load`),
    whether it is an average that can hide a tail (`averages`) or a tail it can hide (`is_tail`), whether its
    failure says the API did not keep up (`keeps_up`)."""
    models: ClassVar[tuple[type, ...]]
    counted_after_load: ClassVar[bool] = False
    shown_live: ClassVar[bool] = True
    pooled: ClassVar[str | None] = None
    rises_with_load: ClassVar[bool] = False
    averages: ClassVar[bool] = False
    keeps_up: ClassVar[bool] = False

    def is_tail(self, row) -> bool:
        return False

    def row(self, o, s: StageFigures) -> dict:
        raise NotImplementedError

    def interval(self, o, ev: Evidence, *figures) -> dict:
        """The objective's interval in its own terms from the stage's evidence (and the figures the kind reads),
        worded (`terms`, `method`, `assumes`), with the decision it supports."""
        raise NotImplementedError
