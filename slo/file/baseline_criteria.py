"""The SLO file's baseline criteria: which figures a comparison with a baseline run holds to a criterion, which way
is worse for each, and the spread between identical runs assumed where no repeats measure it."""
from __future__ import annotations

from pydantic import Field, field_validator

from common.specfile import Strict


# The figures a baseline comparison can hold to a criterion, and which way is worse for each.
BASELINE_FIGURES: dict[str, str] = {
    "rps": "lower is worse",            # achieved req/s, all traffic
    "mean": "higher is worse", "p50": "higher is worse", "p95": "higher is worse", "p99": "higher is worse",
    "client_p99": "higher is worse",    # Locust's p99 (from intended start in the open model)
    "error_ratio": "higher is worse",   # 5xx share
    "availability": "lower is worse",   # min(up) over the window
}


# How much a figure moves between identical single runs (relative standard deviation), used when neither side of a
# comparison has repeats to measure it; the figures behind these defaults are in docs/trusting-the-numbers.md. The
# error ratio's counts assume none: declare one if errors come in bursts that differ from run to run.
# The error ratio's, unmeasured here (these runs served no errors), taken as the tail's: errors come in bursts
# whose count moves from run to run at least as a p99 does.
RUN_TO_RUN = {"rps": 0.02, "mean": 0.07, "p50": 0.07, "p95": 0.12, "p99": 0.15, "client_p99": 0.15,
              "error_ratio": 0.15}


class BaselineCriteria(Strict):
    """The smallest relative change that matters, per figure name (0.10 = 10 % worse): a figure is regressed only
    when its whole interval lies beyond it; run_to_run, the spread between identical single runs assumed when no
    repeats measure it."""
    max_regression: dict[str, float] = Field(default_factory=dict)
    run_to_run: dict[str, float] = Field(default_factory=lambda: dict(RUN_TO_RUN))

    @field_validator("run_to_run")
    @classmethod
    def _known_spreads(cls, spreads: dict[str, float]) -> dict[str, float]:
        return {**RUN_TO_RUN, **_figures(spreads, RUN_TO_RUN, "spreads")}

    @field_validator("max_regression")
    @classmethod
    def _known_figures(cls, criteria: dict[str, float]) -> dict[str, float]:
        return _figures(criteria, BASELINE_FIGURES, "allowed regressions")


def _figures(values: dict[str, float], known, what: str) -> dict[str, float]:
    """Values per figure name: every name known, every value >= 0."""
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"unknown figures: {', '.join(unknown)} (known: {', '.join(known)})")
    negative = sorted(k for k, v in values.items() if v < 0)
    if negative:
        raise ValueError(f"{what} must be >= 0: {', '.join(negative)}")
    return values
