"""A load profile's `probe:` and `refine:` sections: how the run measures what the target serves before its stages
(loadtests/probe.py), and how it steps where the capacity is still uncertain after them (slobench/refine.py)."""
from __future__ import annotations

from pydantic import Field, model_validator

from common.specfile import Strict as _Strict

MAX_LOOKS = 6   # a stage's or a step's looks at most (each more costs level at every look, and its integration time)


class Probe(_Strict):
    """How the saturation probe measures what the target serves of this mix: closed-loop clients at each
    concurrency in turn, each level warmed for warm_s then counted for seconds."""
    concurrency: list[int] = Field(default_factory=lambda: [1, 2, 4], min_length=1)
    seconds: float = Field(4.0, ge=1, le=120)
    warm_s: float = Field(1.0, ge=0, le=60)

    @model_validator(mode="after")
    def _positive(self):
        if any(c < 1 or c > 256 for c in self.concurrency):
            raise ValueError("each concurrency must be between 1 and 256")
        return self


class Refine(_Strict):
    """After the stages, further steps at the rates where the capacity is still uncertain, until its interval is
    within `aim` of its low end or `budget_s` of load is spent (slobench/refine.py); each step at least step_s.
    With `looks` above 1, a step is judged at that many looks while it runs (slo/stats/looks.py), the first at
    `first_look` of its length, and ends at the first look that decides it. One look by default: in simulation
    more looks let the search hold the knee less often (docs/reading-a-report.md). With `run_budget_s`, the whole
    run's wall time from its start to its report: no step starts that would end past it (less what the report
    takes), so the run is bounded whatever its stack, probe and ladder took, and spends what they left on steps."""
    budget_s: float = Field(gt=0, le=7200)
    run_budget_s: float | None = Field(None, gt=0, le=36000)
    aim: float = Field(0.10, gt=0, lt=1)
    step_s: float = Field(20.0, ge=8, le=600)
    looks: int = Field(1, ge=1, le=MAX_LOOKS)
    first_look: float = Field(0.5, gt=0, le=1)
