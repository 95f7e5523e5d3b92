"""The profile's stages declared with looks (a stage's `looks` above 1), judged while the load runs and ended at the
first look that decides them, as a refinement step is (slobench/step_looks.py).

The harness judges: every half second while Locust runs (loadtests.run.run_headless's on_tick) it looks at the
current stage when its next look is due. A look that decides the stage is written to the run folder
(runfolder.files.STAGE_ENDS: the stage, and when it ends, LEAD_S ahead); the generator reads it within half a second
and ends the stage there (loadtests/generator.py, Profile.ended_at), so the stages after it start earlier and the run
ends sooner. Each looked stage's record (LADDER_LOOKS) is read back with the timeline (slobench.run_folder): the
report states its verdicts at the level that holds over every look, whichever look ended it, so where it ended
cannot bias them.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common.prometheus_api import PrometheusError
from loadtests.profile import Profile
from loadtests.windows import window_at
from runfolder import files
from slo.stats.looks import Looks
from slo.verdicts.scrape_fit import MIN_SCRAPES_PER_WINDOW
from slobench.session import JudgedTarget
from slobench.step_looks import StageLooks, look_status, wall_start_of

# A decided stage ends this far after the look was judged: the generator, which reads the decision every half
# second, ends it there, at the moment the harness counts on (a later read ends it later, never earlier).
LEAD_S = 1.0


def plans(profile: Profile, scrape_s: float, level: float) -> dict[str, Looks]:
    """Each stage declared with looks: its looks over its measured window, none before six scrapes."""
    out = {}
    for w in profile.windows():
        stage = profile.stages[w.index]
        if stage.looks > 1:
            first = max(stage.first_look, MIN_SCRAPES_PER_WINDOW * scrape_s / w.measured_s)
            out[w.name] = Looks.spread(stage.looks, first, level)
    return {name: looks for name, looks in out.items() if len(looks.shares) > 1}


@dataclass
class LadderLooks:
    """The looks at one run's profile (as placed): `tick` is asked every half second while Locust runs."""
    run_dir: Path
    profile: Profile
    judged: JudgedTarget
    prometheus: str
    log: Callable[[str], None] = print
    ends: dict[str, dict] = field(default_factory=dict)
    wall_start: float | None = None   # read once from the timeline: the generator never moves it

    def __post_init__(self):
        self.taken = {name: StageLooks(name, looks)
                      for name, looks in plans(self.profile, self.judged.interval.seconds,
                                               self.judged.spec.confidence_level).items()}
        if self.taken:
            self._write()

    @property
    def planned(self) -> bool:
        return bool(self.taken)

    def tick(self) -> None:
        """Judge the current stage when its next look is due; end it when that look decides it."""
        self.wall_start = self.wall_start or wall_start_of(self.run_dir)
        if self.wall_start is None:
            return
        now = time.time()
        w = window_at(self.profile.windows(), now - self.wall_start)
        taken = self.taken.get(w.name) if w is not None else None
        if taken is None:
            return
        start = self.wall_start + w.measure_from_s
        at = taken.due(start, w.measured_s, self.judged.interval.seconds, now)
        if at is None:
            return
        if taken.took(at, self._judge(w, start, at)):
            self._end(taken, now - self.wall_start + LEAD_S, start)
        self._write()

    def _end(self, taken: StageLooks, end_s: float, start: float) -> None:
        self.ends[taken.stage] = {"end_s": round(end_s, 3), "look": taken.ended_at, "status": taken.seen[-1]["status"]}
        self.profile = self.profile.ended_at(taken.stage, end_s)
        files.STAGE_ENDS.write(self.run_dir, self.ends)
        self.log(f"[slobench] {taken.decided_line(start)}")

    def _write(self) -> None:
        files.LADDER_LOOKS.write(self.run_dir, [taken.record() for taken in self.taken.values()])

    def _judge(self, w, start: float, end: float) -> str:
        """'no_data' when Prometheus did not answer: the stage then runs on."""
        try:
            return look_status(self.judged, self.prometheus, w.name, start, end, w.offered_rps,
                               self.taken[w.name].looks.per_look_level,
                               poisson=self.profile.poisson_arrivals)
        except PrometheusError as exc:
            self.log(f"[slobench] look at {w.name} not judged ({exc}); the stage runs on")
            return "no_data"
