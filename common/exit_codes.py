"""slobench's exit codes, named once: what a run's verdict exits with, and what the commands add to them."""
from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    PASS = 0
    FAIL = 1
    CANNOT_JUDGE = 2
    DRIFT = 3
    INCONCLUSIVE = 4
    INCOMPLETE = 5
    BUG = 70


MEANINGS = {Exit.PASS: "every gated objective met",
            Exit.FAIL: "an objective or a baseline criterion failed",
            Exit.CANNOT_JUDGE: "the run could not be judged",
            Exit.DRIFT: "the SLOs were met but the served traffic drifted: RETRAIN",
            Exit.INCONCLUSIVE: "inconclusive: no objective failed, but the data cannot decide one (see the summary: "
                               "lengthen or repeat the stage)",
            Exit.INCOMPLETE: "incomplete: a gated stage was not reached or was cut short, or a generator was lost; "
                             "what ran is judged in the reports",
            Exit.BUG: "a bug in slobench"}

# A run's (or a repeat set's) verdict status, and the code it exits with.
OF_STATUS = {"pass": Exit.PASS, "fail": Exit.FAIL, "no_data": Exit.CANNOT_JUDGE, "untrusted": Exit.CANNOT_JUDGE,
             "inconclusive": Exit.INCONCLUSIVE, "incomplete": Exit.INCOMPLETE}


def verdict(status: str, reason: str, **more) -> dict:
    """A verdict as the reports keep it: its status, the exit code that status has, the reason, and what else it says."""
    return {"status": status, "exit_code": int(OF_STATUS[status]), "reason": reason, **more}
