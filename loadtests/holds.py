"""A load profile's `hold:` section, and a stage held while the load runs: where other work takes the API's core for a
few seconds in a row (the harness watches it: slobench/holds.py), the arrivals stop until the machine is back and
the API has served its queue, and the stage then runs again in full as `<stage>-again`; the stages after it move
later. The held stage keeps its name and the requests it sent before the hold; the judge sets it aside.

Why hold rather than run on: a minute of a busy loop on the API's core in a default run built a queue of hundreds of
requests that the API was still serving three stages later, so four knee stages measured the machine and the
capacity came out 44 to 292 % wide. Held, the queue stops growing where the spell began and each stage after it runs
on the machine the rest of the run ran on.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from common.specfile import Strict as _Strict

if TYPE_CHECKING:   # Profile.held calls in here, with itself
    from loadtests.profile import Profile

AGAIN = "-again"   # the stage held runs again under its name with this suffix


class Hold(_Strict):
    """When the load holds: other work took `spell` of the API's cores more than the run's usual share, on average
    over `spell_s` seconds in a row; at most `max_s` seconds of holds in a run (past them the load runs on, and the
    judge names the stages the machine slowed). The run is that much longer than its stages and budget say."""
    max_s: float = Field(90.0, gt=0, le=3600)
    spell: float = Field(0.25, gt=0, le=1)
    spell_s: int = Field(3, ge=1, le=30)


class Held(_Strict):
    """A stage held: its arrivals stopped `from_s` into the test; it was declared `declared_s` long; it runs again
    as `again`."""
    from_s: float
    declared_s: float
    again: str


def again_name(name: str) -> str:
    return f"{name}{AGAIN}"


def held(profile: Profile, name: str, from_s: float, until_s: float) -> Profile:
    """`profile` with stage `name` holding its arrivals from `from_s` until `until_s` into the test, then run again in
    full (`<name>-again`, inserted after it), the stages after it moved later. A stage held already keeps its hold's
    start and has its end moved later (never earlier: every process must agree on where the windows are). Unchanged
    when `from_s` lies outside the stage, or `until_s` is not past it."""
    window = next((w for w in profile.windows() if w.name == name), None)
    if window is None or until_s <= from_s:
        return profile
    stage = profile.stages[window.index]
    if name in profile.held_stages:
        if until_s <= window.end_s:
            return profile
        stages = [s.model_copy(update={"duration_s": round(until_s - window.start_s, 3)}) if s.name == name else s
                  for s in profile.stages]
        return profile.model_copy(update={"stages": stages})
    if not window.start_s <= from_s < window.end_s:
        return profile
    declared = profile.ended_early.get(name, stage.duration_s)   # a look may have ended it sooner
    again = stage.model_copy(update={"name": again_name(name), "duration_s": declared})
    cut = stage.model_copy(update={"duration_s": round(until_s - window.start_s, 3)})
    stages = [*profile.stages[:window.index], cut, again, *profile.stages[window.index + 1:]]
    record = Held(from_s=round(from_s, 3), declared_s=declared, again=again.name)
    return profile.model_copy(update={"stages": stages, "held_stages": {**profile.held_stages, name: record}})
