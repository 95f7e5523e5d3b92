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
from loadtests.profile import Profile, window_at
from runfolder import files
from slo.stats.looks import Looks
from slo.verdicts.objectives import DECIDED
from slo.verdicts.scrape_fit import MIN_SCRAPES_PER_WINDOW
from slobench.session import JudgedTarget
from slobench.step_looks import LAND_SCRAPES, look_status

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
    records: dict[str, dict] = field(default_factory=dict)
    ends: dict[str, dict] = field(default_factory=dict)
    wall_start: float | None = None

    def __post_init__(self):
        level = self.judged.spec.confidence_level
        self.plans = plans(self.profile, self.judged.interval.seconds, level)
        self.records = {name: {"stage": name, "shares": list(looks.shares), "level": looks.level,
                               "per_look_level": looks.per_look_level, "looks": [], "ended_at_look": None}
                        for name, looks in self.plans.items()}
        if self.records:
            files.LADDER_LOOKS.write(self.run_dir, list(self.records.values()))

    @property
    def planned(self) -> bool:
        return bool(self.plans)

    def tick(self) -> None:
        """Judge the current stage when its next look is due; end it when that look decides it."""
        started = self._wall_start()
        if started is None:
            return
        now = time.time()
        w = window_at(self.profile.windows(), now - started)
        if w is None or w.name not in self.plans or self.records[w.name]["ended_at_look"] is not None:
            return
        start = started + w.measure_from_s
        moments = self.plans[w.name].times(start, w.measured_s)[:-1]   # the last look is the stage's own end
        seen = self.records[w.name]["looks"]
        k = len(seen)
        if k >= len(moments) or now < moments[k] + LAND_SCRAPES * self.judged.interval.seconds:
            return
        status = self._judge(w, start, moments[k])
        seen.append({"look": k + 1, "at": round(moments[k], 3), "status": status})
        if status in DECIDED:
            self._end(w.name, k + 1, status, now - started + LEAD_S, moments[k] - start)
        files.LADDER_LOOKS.write(self.run_dir, list(self.records.values()))

    def _end(self, name: str, look: int, status: str, end_s: float, measured_s: float) -> None:
        self.records[name]["ended_at_look"] = look
        self.ends[name] = {"end_s": round(end_s, 3), "look": look, "status": status}
        self.profile = self.profile.ended_at(name, end_s)
        files.STAGE_ENDS.write(self.run_dir, self.ends)
        self.log(f"[slobench] {name} decided ({status}) at look {look} of {len(self.plans[name].shares)}, "
                 f"{measured_s:.0f} s measured; it ends there")

    def _judge(self, w, start: float, end: float) -> str:
        """'no_data' when Prometheus did not answer: the stage then runs on."""
        try:
            return look_status(self.judged, self.prometheus, w.name, start, end, w.offered_rps,
                               self.plans[w.name].per_look_level,
                               poisson=self.profile.kind == "open" and self.profile.arrival == "poisson")
        except PrometheusError as exc:
            self.log(f"[slobench] look at {w.name} not judged ({exc}); the stage runs on")
            return "no_data"

    def _wall_start(self) -> float | None:
        """When the stage windows started (the timeline, once the generator wrote it): it never moves."""
        if self.wall_start is None:
            try:
                self.wall_start = files.TIMELINE.read(self.run_dir)["wall_start"]
            except (OSError, ValueError, KeyError, TypeError):
                return None
        return self.wall_start
