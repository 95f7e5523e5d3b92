"""What the harness decides while the load runs, as a generator takes it: a stage a look ended
(slobench/ladder_looks.py) and a stage held while other work took the API's core (slobench/holds.py). The harness
writes each to the run folder; the process that writes the folder reads them every half second and tells its
workers, which take them at the same moment of the windows. The shape, the dispatcher (OpenSchedule.windows_now)
and the recorders all take their windows from the generator's profile, so a new profile moves them for all at
once."""
from __future__ import annotations

from typing import TYPE_CHECKING

from loadtests import clock
from loadtests.profile import Profile
from runfolder import files

if TYPE_CHECKING:   # a generator keeps its decisions (Generator.decisions)
    from loadtests.generator import Generator

# A decision takes effect this far ahead of when the writing process reads it: its workers hear of it before the
# moment, so every process moves its windows at the same instant.
END_MARGIN_S = 0.5


class HarnessDecisions:
    """The decisions one generator process took: `read` (the process that writes the run folder) finds new ones;
    end_stage and hold_stage take one (a worker, from its master's message)."""

    def __init__(self, generator: Generator):
        self.g = generator

    def _take(self, profile: Profile) -> None:
        g = self.g
        g.profile = profile
        g.figures.windows = g.windows
        g.figures.names = [w.name for w in g.windows]

    def end_stage(self, name: str, end_s: float) -> bool:
        """End stage `name` `end_s` into the test, a look having decided it. False when it changes nothing: the
        stage is over already, or no longer that long."""
        ended = self.g.profile.ended_at(name, end_s)
        if ended is self.g.profile:
            return False
        self._take(ended)
        print(f"[slobench] a look decided {name}: it ends {end_s:.1f} s into the test", flush=True)
        return True

    def hold_stage(self, name: str, from_s: float, until_s: float) -> bool:
        """Hold stage `name`'s arrivals from `from_s` to `until_s` into the test, then run it again (other work took
        the API's core: loadtests/holds.py). False when it changes nothing."""
        held = self.g.profile.held(name, from_s, until_s)
        if held is self.g.profile:
            return False
        if name not in self.g.profile.held_stages:
            print(f"[slobench] {name} held from {from_s:.1f} s into the test; it then runs again", flush=True)
        self._take(held)
        return True

    def read(self) -> None:
        """The stages a look decided and those held, as the harness wrote them to the run folder: each taken here,
        END_MARGIN_S ahead at the earliest, and told to every worker."""
        g = self.g
        if not g.run_dir:
            return
        if g.profile.hold is not None:
            self._read_holds()
        if all(stage.looks == 1 for stage in g.profile.stages):
            return   # no stage is looked at, so none is decided: no file to read every half second
        for name, decided in (files.STAGE_ENDS.read(g.run_dir) or {}).items():
            if name in g.profile.ended_early:
                continue
            end_s = max(decided["end_s"], clock.now() - g.wall_start + END_MARGIN_S)
            if self.end_stage(name, end_s) and g.messages is not None:
                g.messages.stage_ended(name, end_s)

    def _read_holds(self) -> None:
        """Each stage held from where the harness says (or END_MARGIN_S ahead, read late) to its end so far."""
        g = self.g
        for name, hold in (files.HOLDS.read(g.run_dir) or {}).items():
            ahead = clock.now() - g.wall_start + END_MARGIN_S
            held = g.profile.held_stages.get(name)
            from_s = held.from_s if held is not None else max(hold["from_s"], ahead)
            until_s = max(hold["until_s"], from_s + END_MARGIN_S)
            if self.hold_stage(name, from_s, until_s) and g.messages is not None:
                g.messages.stage_held(name, from_s, until_s)
