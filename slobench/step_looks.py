"""A refinement step judged at its planned looks while it runs (slo/stats/looks.py): it ends at the first look where
its stage is decided (every objective passed, or one failed, at the looks' level), else at its longest length.

A look judges the step's measured window so far as the live tab judges a stage: Prometheus's answers (collect) and
the one judge of a stage (StageJudge), at the looks' per-look level. The report judges the step again afterwards
with the whole run around it, at that same level (the stage's `looks`, read back by slobench.run_folder). Whichever
look a step ends at, its verdicts are stated at the level that holds over every look, so where it ends cannot bias
them: a look that ends a step the report then finds undecided costs length, never a false verdict.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common.prometheus_api import PrometheusError
from runfolder import files
from slo.prometheus.collect import collect
from slo.stats.looks import Looks
from slo.verdicts.objectives import DECIDED, stage_status
from slo.verdicts.kinds import judged_while_running
from slo.verdicts.stage import StageJudge
from slobench.session import JudgedTarget

LAND_SCRAPES = 1.5   # a look waits this many scrapes past its moment: the scrape that covers it must have landed


@dataclass
class StepLooks:
    """One step's looks: where its run folder is, its stage, its plan (measured from `measure_from_s` into the
    Locust run, at most `measured_s` long), and what it judges with. `due` is asked every half second while the
    step runs (loadtests.run.run_headless's stop_when); `record` is what the step's folder keeps."""
    folder: Path
    stage: str
    offered_rps: float
    looks: Looks
    measure_from_s: float
    measured_s: float
    judged: JudgedTarget
    prometheus: str
    log: Callable[[str], None] = print
    seen: list[dict] = field(default_factory=list)
    ended_at: int | None = None
    wall_start: float | None = None   # read once from the step's timeline: the generator never moves it

    def due(self) -> bool:
        """True once a look before the last decided the step: it ends there."""
        if self.ended_at is not None:
            return True
        started = self._wall_start()
        if started is None:
            return False
        start = started + self.measure_from_s
        moments = self.looks.times(start, self.measured_s)[:-1]   # the last look is the step's own end
        k = len(self.seen)
        if k >= len(moments) or time.time() < moments[k] + LAND_SCRAPES * self.judged.interval.seconds:
            return False
        status = self._judge(start, moments[k])
        self.seen.append({"look": k + 1, "at": round(moments[k], 3), "status": status})
        if status in DECIDED:
            self.ended_at = k + 1
            self.log(f"[slobench] refine: {self.stage} decided ({status}) at look {k + 1} of "
                     f"{len(self.looks.shares)}, {moments[k] - start:.0f} s measured; it ends there")
        return self.ended_at is not None

    def record(self) -> dict:
        return {"stage": self.stage, "shares": list(self.looks.shares), "level": self.looks.level,
                "per_look_level": self.looks.per_look_level, "looks": self.seen, "ended_at_look": self.ended_at}

    def _wall_start(self) -> float | None:
        """When the step's windows started (its timeline, once the generator wrote it); None before."""
        if self.wall_start is None:
            try:
                self.wall_start = files.TIMELINE.read(self.folder)["wall_start"]
            except (OSError, ValueError, KeyError):
                return None
        return self.wall_start

    def _judge(self, start: float, end: float) -> str:
        """The step's stage over [start, end], from Prometheus, at the per-look level; 'no_data' when Prometheus
        did not answer (the step then runs on)."""
        try:
            return look_status(self.judged, self.prometheus, self.stage, start, end, self.offered_rps,
                               self.looks.per_look_level)
        except PrometheusError as exc:
            self.log(f"[slobench] refine: look at {self.stage} not judged ({exc}); the step runs on")
            return "no_data"


def look_status(judged: JudgedTarget, prometheus: str, stage: str, start: float, end: float,
                offered_rps: float | None, level: float, poisson: bool = True) -> str:
    """A stage's measured window [start, end] so far, from Prometheus, judged at `level` as the live tab judges
    one (collect, then the one judge of a stage): pass, fail, or undecided; `poisson`: its arrivals are (a step's
    always are). Raises PrometheusError."""
    spec, scrape_s = judged.spec, judged.interval.seconds
    window = {"name": stage, "measure_from": start, "end": end}
    entry = collect(prometheus, spec, [window], scrape_interval_s=scrape_s, instances=judged.instances)["stages"][0]
    rows = StageJudge(spec, scrape_s, poisson_arrivals=poisson).so_far(entry, start, end, offered_rps, level).objectives
    # What is counted once the load ended (the arrivals a throughput share is exact against) is the report's to
    # judge: a look decides on the rest. A queue that grew fails the latency objectives as well.
    return stage_status([row for row, o in zip(rows, spec.objectives) if judged_while_running(o)])
