"""slobench's exit codes, named once: what a run's verdict exits with, and what the commands add to them."""
from __future__ import annotations

from enum import IntEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


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


class Verdict(BaseModel):
    """A verdict as the reports keep it: its status, the exit code that status has (filled in from it), the reason,
    and for an undecided run each objective it could not decide (a repeat set's: its warnings)."""
    model_config = ConfigDict(frozen=True, extra="forbid")
    status: str = Field(json_schema_extra={"enum": list(OF_STATUS)})
    exit_code: int
    reason: str
    undecided: list[str] = []
    warnings: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _code_of_its_status(cls, data):
        """The exit code is the status's (OF_STATUS): filled in, and a report that says another is refused."""
        if not isinstance(data, dict):
            return data
        if data.get("status") not in OF_STATUS:
            raise ValueError(f"status: {data.get('status')!r} is none of {', '.join(OF_STATUS)}")
        code = int(OF_STATUS[data["status"]])
        if data.get("exit_code", code) != code:
            raise ValueError(f"exit_code: {data['exit_code']}, where status {data['status']} exits with {code}")
        return {**data, "exit_code": code}


def verdict(status: str, reason: str, **more) -> Verdict:
    """The verdict of `status`, with its reason and what else it says (undecided, warnings)."""
    return Verdict(status=status, reason=reason, **more)
