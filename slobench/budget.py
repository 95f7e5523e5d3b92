"""The wall time a run's refinement may spend: its own budget and, where the profile declares one, the whole run's
(slobench/refine.py plans each step within what is left)."""
from __future__ import annotations

from dataclasses import dataclass

STEP_OVERHEAD_S = 11   # a step's Locust start and stop, and its judging after the last scrape, measured at 8 to 11 s
# A step's Locust start and stop alone (about 1 s measured): all a step needs of the run's budget, where that binds.
# The judging after it is then what the next step's plan finds spent, or after the last one, what CLOSING_S keeps
# for the report: counted there too, the default run's second step missed by a second or two in runs that ended
# 20 s inside their 300 s (2026-12-07), and runs with one step were the wide ones.
STEP_START_S = 3
# Under this many steps' room when the refinement starts (the default run's, after its ladder), the steps are few: the
# knee fitted at the rates offered steers them too (slobench.steering.next_rate's `few`); a search steps by the bracket.
FEW_STEPS = 3

CLOSING_S = 20   # after the last step, the run's report: judging, drift and pages (6 to 15 s measured), the stack stopped


@dataclass(frozen=True)
class Budget:
    """What bounds the steps: the refinement's own `seconds` from when it `started`, and, where the profile declares
    one (refine.run_budget_s), the run's: no step ends past `run_s` from the run's start, less CLOSING_S."""
    seconds: float
    started: float
    run_s: float | None = None
    run_started: float | None = None

    def left(self, now: float) -> tuple[float, str]:
        """(seconds left, which budget binds, in words)."""
        own = self.seconds - (now - self.started)
        if self.run_binds(now):
            return (self.run_started + self.run_s - CLOSING_S - now,
                    f"the run's {self.run_s:g} s budget (less {CLOSING_S} s for its report)")
        return own, f"the refinement's {self.seconds:g} s budget"

    def few_steps(self, now: float, step_s: float) -> bool:
        """What is left holds fewer than FEW_STEPS steps of `step_s`, each with its start and judging."""
        return self.left(now)[0] < FEW_STEPS * (step_s + STEP_OVERHEAD_S)

    def run_binds(self, now: float) -> bool:
        """The run's budget leaves less than the refinement's own."""
        if self.run_s is None or self.run_started is None:
            return False
        return self.run_started + self.run_s - CLOSING_S - now < self.seconds - (now - self.started)


def no_room(rate: float, left_s: float, budget: str) -> str:
    """Why no step is sent at `rate`: the budget is spent (the last step's drain may have taken past it), or what is
    left of it is shorter than the step."""
    if left_s <= 0:
        return f"{budget} is spent ({-left_s:.0f} s past it: the last step and its drain took longer)"
    return f"a step at {rate:g} req/s does not fit the {left_s:.0f} s left of {budget}"
