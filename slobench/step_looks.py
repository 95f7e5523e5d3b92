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
class StageLooks:
    """One stage's looks as they are taken, a refinement step's or a profile stage's: its plan, what each look
    found, and the look that ended it (None: it ran to its end). `record` is what the run folder keeps."""
    stage: str
    looks: Looks
    seen: list[dict] = field(default_factory=list)
    ended_at: int | None = None

    def due(self, start: float, measured_s: float, scrape_s: float, now: float) -> float | None:
        """The moment of the next look before the stage's own end, for a window measured from `start` at most
        `measured_s` long, once the scrape that covers it has landed; None while none is (or once one ended it)."""
        moments = self.looks.times(start, measured_s)[:-1]   # the last look is the stage's own end
        k = len(self.seen)
        if self.ended_at is not None or k >= len(moments) or now < moments[k] + LAND_SCRAPES * scrape_s:
            return None
        return moments[k]

    def took(self, at: float, status: str) -> bool:
        """A look at moment `at` found `status`; True when it decided the stage, which then ends there."""
        self.seen.append({"look": len(self.seen) + 1, "at": round(at, 3), "status": status})
        if status in DECIDED:
            self.ended_at = len(self.seen)
        return status in DECIDED

    def decided_line(self, start: float) -> str:
        """`r1-30rps decided (fail) at look 1 of 3, 10 s measured; it ends there`, of the look that ended it."""
        last = self.seen[-1]
        return (f"{self.stage} decided ({last['status']}) at look {last['look']} of {len(self.looks.shares)}, "
                f"{last['at'] - start:.0f} s measured; it ends there")

    def record(self) -> dict:
        return {"stage": self.stage, "shares": list(self.looks.shares), "level": self.looks.level,
                "per_look_level": self.looks.per_look_level, "looks": self.seen, "ended_at_look": self.ended_at}


STOP_MARGIN_S = 3.0   # a step decided nearer its end than this runs to it (StepLooks.due)


def wall_start_of(folder: Path) -> float | None:
    """When a Locust run's stage windows started (its timeline, once the generator wrote it; it never moves it);
    None before."""
    try:
        return files.TIMELINE.read(folder)["wall_start"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass
class StepLooks:
    """One step's looks: where its run folder is, its stage, its plan (measured from `measure_from_s` into the
    Locust run, at most `measured_s` long), and what it judges with. `due` is asked every half second while the
    step runs (loadtests.run.run_headless's stop_when); `taken.record()` is what the step's folder keeps."""
    folder: Path
    stage: str
    offered_rps: float
    looks: Looks
    measure_from_s: float
    measured_s: float
    judged: JudgedTarget
    prometheus: str
    log: Callable[[str], None] = print
    wall_start: float | None = None   # read once from the step's timeline: the generator never moves it

    def __post_init__(self):
        self.taken = StageLooks(self.stage, self.looks)

    @property
    def ended_at(self) -> int | None:
        return self.taken.ended_at

    def due(self) -> bool:
        """True once a look before the last decided the step: it ends there, unless its own end is STOP_MARGIN_S
        away or less: then it ends by itself. A stop signal that reached Locust as it wrote the step's figures at its
        end interrupted the writing (make test, a step decided 2 s before its end: no client figures, so its
        throughput was judged against the nominal rate and stayed undecided); the generator now waits for its
        figures before it takes the signal (loadtests/stop_signal.py), and the margin saves stopping a step that
        is about to end by itself."""
        if self.ended_at is None:
            self._look()
        return self.ended_at is not None and self._far_from_its_end()

    def _look(self) -> None:
        self.wall_start = self.wall_start or wall_start_of(self.folder)
        if self.wall_start is None:
            return
        start = self.wall_start + self.measure_from_s
        at = self.taken.due(start, self.measured_s, self.judged.interval.seconds, time.time())
        if at is not None and self.taken.took(at, self._judge(start, at)):
            self.log(f"[slobench] refine: {self.taken.decided_line(start)}")

    def _far_from_its_end(self) -> bool:
        return self.wall_start + self.measure_from_s + self.measured_s - time.time() > STOP_MARGIN_S

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
