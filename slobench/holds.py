"""The harness's half of a hold (loadtests/holds.py): while the profile's stages run, it watches what other work takes
of the API's cores (the machine monitor's seconds, stack/monitor.py) and holds the load where a spell begins.

Every half second (loadtests.run.run_headless's on_tick): where other work took the profile's `hold.spell` of the
API's cores more than its usual share in this run (the median second since the stages began), on average over
`hold.spell_s` seconds in a row, the current stage is held LEAD_S ahead (runfolder.files.HOLDS: the generator reads
it within half a second). The hold is moved on while the spell lasts and until the API has served its queue (its own
CPU under SERVED of a core), then ends; the stage runs again in full. At most `hold.max_s` seconds of holds a run,
one per stage.

Measured in the profile's stages of 30 default runs of 2026-12-05 and 06 (/proc/stat each second): over any 3 s,
quiet runs rose at most 0.02 of the core over their usual share, runs that shared the machine with a busy loop all
along at most 0.11 (their share falls as the API's load rises), and a busy loop started on the API's core for a
minute 0.49 to 0.59; so a spell of 0.25 over 3 s holds on the last and never on the others. A second where the API
used under IDLE of its usual CPU counts for no spell: other work took what the API left.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from loadtests.holds import AGAIN
from loadtests.profile import Profile
from loadtests.windows import window_at
from runfolder import files
from slo.verdicts.machine import seconds_of
from slobench.step_looks import wall_start_of
from stack.monitor import MachineMonitor

if TYPE_CHECKING:   # the looks at the same run's stages, which share its profile (SpellHolds.looks)
    from slobench.ladder_looks import LadderLooks

LEAD_S = 1.0      # a hold starts this far after it was decided: the generator reads holds every half second
AHEAD_S = 4.0     # a hold still needed is kept ending at least this far ahead, so no process sees it end first
USUAL_FROM_S = 10  # seconds of the stages before a spell can be told from the run's usual share
SERVED = 0.2      # of a core: the API's own CPU under this over the last seconds, its queue is served
# Of the API's usual CPU in the run: a second where it used less is no spell, whatever other work took. It was
# waiting for work, not for the core, and other work took what it left: on a machine shared with a busy loop all
# along, the loop took 94 % of the core while a refinement step started (the API drained, Locust starting), against
# its usual 50 %, and the step was held for the whole of max_s (89 s) where nothing had changed. Under a busy loop
# the API keeps about half a core where it used more (0.5 of its usual 0.9 at worst), far over this.
IDLE = 0.2


def held_seconds(holds: dict[str, dict]) -> float:
    """How long the load held, over the holds as written for the generator (holds.json)."""
    return sum(h["until_s"] - h["from_s"] for h in holds.values())


def per_second(samples: list[dict], cores: int, start: float) -> list[tuple[float, float, float]]:
    """(time, other work's share of the API's cores, the API's own CPU in cores) each second from `start`, as the
    judge reads them (slo/verdicts/machine.py)."""
    return [(d.t, (d.other + d.steal) / (cores * d.dt), d.api / d.dt) for d in seconds_of(samples, start)]


@dataclass
class SpellHolds:
    """The holds of one Locust run of the profile (as placed): `tick` is asked every half second while it runs."""
    run_dir: Path
    profile: Profile
    monitor: MachineMonitor | None
    log: Callable[[str], None] = print
    # The looks at the same run's stages (slobench/ladder_looks.py): a stage a look ended or a stage held moves the
    # windows of both, so both keep one profile, the looks'.
    looks: LadderLooks | None = None
    # A refinement's step (slobench/refine.py): its usual share from the run's seconds `since` the ladder began, and
    # what the run held before it, `spent_s`, counted against max_s.
    since: float | None = None
    spent_s: float = 0.0
    holds: dict[str, dict] = field(default_factory=dict)   # stage -> the hold as written for the generator
    ended: set[str] = field(default_factory=set)
    wall_start: float | None = None

    @property
    def running(self) -> Profile:
        """The profile as the generator runs it now: holds and the stages looks ended."""
        return self.looks.profile if self.looks is not None and self.looks.planned else self.profile

    @property
    def planned(self) -> bool:
        return self.profile.hold is not None and self.monitor is not None

    def tick(self) -> None:
        self.wall_start = self.wall_start or wall_start_of(self.run_dir)
        if not self.planned or self.wall_start is None:
            return
        now = time.time()
        seconds = per_second(list(self.monitor.samples), len(self.monitor.cpus), self.since or self.wall_start)
        if len(seconds) < USUAL_FROM_S + self.profile.hold.spell_s:
            return
        elapsed = now - self.wall_start
        for name in [n for n, h in self.holds.items() if h["until_s"] <= elapsed and n not in self.ended]:
            self.ended.add(name)
            h = self.holds[name]
            self.log(f"[slobench] the hold at {name} ended {h['until_s']:.1f} s into the stages, "
                     f"{h['until_s'] - h['from_s']:.0f} s after it began: {name}{AGAIN} runs now")
        current = next((n for n, h in self.holds.items() if h["until_s"] > elapsed), None)
        if current is not None:
            self._move_on(current, seconds, elapsed)
        else:
            self._start(seconds, elapsed)

    def _spell(self, seconds: list[tuple[float, float, float]]) -> tuple[float, float]:
        """(other work's share over the last spell_s seconds, its usual share: the median of the seconds before)."""
        k = self.profile.hold.spell_s
        usual = statistics.median(share for _, share, _ in seconds[:-k])
        return sum(share for _, share, _ in seconds[-k:]) / k, usual

    def _start(self, seconds: list, elapsed: float) -> None:
        hold, (share, usual) = self.profile.hold, self._spell(seconds)
        left = hold.max_s - self.spent_s - held_seconds(self.holds)
        if share <= usual + hold.spell or left < AHEAD_S or self._api_idle(seconds):
            return
        from_s = elapsed + LEAD_S
        w = window_at(self.running.windows(), from_s)
        if w is None or w.name in self.holds or w.name.endswith(AGAIN):
            return
        self.holds[w.name] = {"from_s": round(from_s, 3), "until_s": round(from_s + AHEAD_S, 3),
                              "other_share": round(share, 3), "usual_share": round(usual, 3)}
        self._write(w.name)
        self.log(f"[slobench] other work took {share:.0%} of the API's cores for {hold.spell_s} s (usually "
                 f"{usual:.0%}): the load holds at {w.name} from {from_s:.1f} s into the stages; the stage runs again "
                 "once the machine is back and the API has served its queue")

    def _api_idle(self, seconds: list[tuple[float, float, float]]) -> bool:
        """The API used under IDLE of its usual CPU (the median second before) in one of the last spell_s seconds,
        where it usually used more than a spell: under that, other work cannot have risen by a spell on what the API
        left. A busy loop started beside an API at light load lowers the API's own CPU too (0.04 to 0.00-0.02 of a
        core at 100 req/s of the linear model, in whole clock ticks: it serves several requests a wake-up), and
        holds."""
        k, cores = self.profile.hold.spell_s, len(self.monitor.cpus)
        usual = statistics.median(api for _, _, api in seconds[:-k])
        return usual > self.profile.hold.spell * cores and any(api < IDLE * usual for _, _, api in seconds[-k:])

    def _move_on(self, name: str, seconds: list, elapsed: float) -> None:
        """The hold kept AHEAD_S ahead while the spell lasts or the API still serves its queue, within max_s."""
        hold, h = self.profile.hold, self.holds[name]
        share, usual = self._spell([s for s in seconds if s[0] - self.wall_start < h["from_s"] - LEAD_S]
                                   + seconds[-hold.spell_s:])
        busy = sum(api for _, _, api in seconds[-2:]) / 2
        if share <= usual + hold.spell / 2 and busy < SERVED:
            return   # the machine is back and the queue served: the hold ends where it is set to
        limit = h["from_s"] + hold.max_s - self.spent_s - held_seconds({n: o for n, o in self.holds.items()
                                                                         if n != name})
        until = min(limit, elapsed + AHEAD_S)
        if until - h["until_s"] >= 1.0:
            h["until_s"] = round(until, 3)
            self._write(name)

    def _write(self, name: str) -> None:
        h = self.holds[name]
        files.HOLDS.write(self.run_dir, self.holds)
        held = self.running.held(name, h["from_s"], h["until_s"])
        if self.looks is not None and self.looks.planned:
            self.looks.profile = held
        self.profile = held
