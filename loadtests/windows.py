"""A stage's window: its offsets from the test's start, and the part of it that is measured (after its ramp and
settle). Computed from a profile (loadtests/profile.Profile.windows); the shape, the dispatchers, the recorders and
the timeline all place a moment in a stage through window_at."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StageWindow:
    index: int
    name: str
    users: int
    offered_rps: float | None
    start_s: float
    end_s: float
    measure_from_s: float
    ungated: bool = False   # placed by the run under a declared rate to find the knee: gated only by name
    held_from_s: float | None = None   # held (loadtests/holds.py): no arrival from here to its end

    def sends_at(self, elapsed_s: float) -> bool:
        """Whether arrivals are sent elapsed_s into the test: not once the stage is held."""
        return self.held_from_s is None or elapsed_s < self.held_from_s

    @property
    def measured_s(self) -> float:
        return self.end_s - self.measure_from_s


def window_at(windows: list[StageWindow], elapsed_s: float, measured: bool = False) -> StageWindow | None:
    """The window running at elapsed_s (with measured, only inside its measured part); None past the last."""
    for w in windows:
        if elapsed_s < w.end_s:
            return w if not measured or elapsed_s >= w.measure_from_s else None
    return None
