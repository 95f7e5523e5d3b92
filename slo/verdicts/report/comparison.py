"""A run against its baseline (slo/verdicts/baseline.compare): each figure of each gated stage tested for a change
beyond noise, the family policy over those tests, the capacities and the machines' speeds side by side. The family
summary is also the run's own, over its gated objective tests."""
from __future__ import annotations

from slo.verdicts.report.frozen import Frozen


class FamilyRecord(Frozen):
    """How the family policy treated one test that decided alone (slo/stats/family.apply): kept, or withdrawn."""
    policy: str
    tests: int
    p_value: float
    level_used: float
    kept: bool


class FamilySummary(Frozen):
    """The family policy over a run's tests: how many there were, and how many decided alone were kept."""
    policy: str | None = None
    tests: int | None = None
    alpha_one_sided: float | None = None
    kept: int | None = None
    withdrawn: int | None = None


class RelativeChange(Frozen):
    """A change relative to the baseline, with its interval (None where a side has no scale): the current figure
    against the baseline's, (current - baseline) / baseline, whatever the figure's direction (the figure's
    `regression` is its change made worse-positive)."""
    shift: float | None = None
    low: float | None = None
    high: float | None = None


class Interpolated(Frozen):
    """A quantile's change as its interpolated readings alone called it, before the histogram's buckets bounded it."""
    verdict: str
    relative: RelativeChange


class FigureChange(Frozen):
    """One figure of one stage against the baseline: both values, and the test that judged the change (its method
    decides which of the test's fields are there: slo/stats/noise.py)."""
    baseline: float | None = None
    current: float | None = None
    direction: str
    change: float | None = None
    regression: float | None = None
    verdict: str
    relative: RelativeChange | None = None
    p_value: float | None = None
    p_value_unwidened: float | None = None   # the rank test's own, where the interval was widened
    advice: str | None = None
    method: str | None = None
    # The Hodges-Lehmann shift of per-scrape figures, absolute, and the points on each side.
    shift: float | None = None
    low: float | None = None
    high: float | None = None
    n_baseline: int | None = None
    n_current: int | None = None
    run_spread: float | None = None
    scrape_lag1: float | None = None
    interpolated: Interpolated | None = None   # a quantile from the histogram: the interval before its buckets bounded it
    family: FamilyRecord | None = None


class StageChanges(Frozen):
    stage: str
    figures: dict[str, FigureChange]


class KneeShareChange(Frozen):
    """The knee as a share of the saturation each run measured: the change in req/s that is not the machine's."""
    baseline_pct: list[float | None]
    current_pct: list[float | None]
    verdict: str
    baseline_demand_ms: float
    current_demand_ms: float
    demand_ratio: float
    current_rps_at_baseline_speed: list[float | None]


class CapacityChange(Frozen):
    baseline_rps: list[float | None]
    current_rps: list[float | None]
    verdict: str
    knee_share: KneeShareChange | None = None


class MachineChange(Frozen):
    """The served model's speed canary of both runs, and the current capacity at the baseline's speed."""
    baseline_ms: float
    current_ms: float
    ratio: float
    differs: bool
    current_rps_at_baseline_speed: list[float | None]


class BaselineComparison(Frozen):
    """The comparison with a baseline run, or with each run of a baseline repeat set (`runs`). Every field but the
    baseline's name has a default, so a partial comparison reads (a test's, or one with no gated stage in common)."""
    run: str
    runs: list[str] = []
    level: float | None = None
    stages: list[StageChanges] = []
    failures: list[str] = []
    untested: list[str] = []
    models_note: str | None = None
    family: FamilySummary = FamilySummary()
    capacity: CapacityChange | None = None
    machine: MachineChange | None = None
    models: dict[str, str | None] = {}

    def moved(self) -> dict[str, dict[str, list[str]]]:
        """The figures that moved beyond noise, by direction (improved, regressed): each figure's stages."""
        out: dict[str, dict[str, list[str]]] = {"improved": {}, "regressed": {}}
        for row in self.stages:
            for name, f in row.figures.items():
                if f.verdict in out:
                    out[f.verdict].setdefault(name, []).append(row.stage)
        return out
