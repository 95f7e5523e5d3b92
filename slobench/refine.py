"""The knee refined within a run: after the profile's stages, steps of Poisson arrivals at the rates where the capacity
is still uncertain, until its interval is within the profile's aim of its low end or the refinement's budget of wall
time is spent (`refine:` in a profile).

Each step is a Locust run of its own in the run folder (refine/NN-<rate>rps, one stage named rN-<rate>rps); the
judge reads them with the ladder's stages as one run (slobench.run_folder), so the report, its charts and its
capacity hold them like any stage. Where each step goes, and when the steps stop, comes from the capacity the run's
report gives so far (slobench/steering.py). `slobench capacity` is the same run with a larger budget (for_capacity).
With `refine.looks` above 1 a step is judged while it runs and ends at the first look that decides it
(slobench/step_looks.py); one look by default.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from common.prometheus_api import Prometheus
from common.specfile import SpecError
from loadtests import run as locust_run
from loadtests.holds import Hold, again_name
from loadtests.probe_and_refine import Refine
from loadtests.profile import Profile, Scenario, load_profile
from slo.file.model import SloSpec
from slo.prometheus.promql import answered_query
from slo.stats.looks import Looks
from slo.verdicts.report import Capacity, PredictedSaturation, Stage
from slo.verdicts.objectives import DECIDED
from slo.verdicts import sample_fit
from slobench.budget import STEP_OVERHEAD_S, STEP_START_S, Budget, no_room
from slobench.holds import SpellHolds, held_seconds
from slobench.judge import judge
from slo.verdicts.scrape_fit import MIN_SCRAPES_PER_WINDOW
from slobench.session import JudgedTarget
from slobench.step_looks import StepLooks
from slobench.steering import next_step, settled
from stack.monitor import MachineMonitor
from runfolder import files, names

DRAIN_S = 60           # at most, waiting for the queue a stage left to be served before the next step
# Each step starts once the target served the queue the last stage left (drain), settles SETTLE_S, then measures.
SETTLE_S = 2
STEP_IN_FLIGHT = 2000   # a step's max_concurrency: arrivals that find this many requests in flight are dropped


def step_profile(rate: float, seconds: float, weights: dict, stage: str, hold: Hold | None = None) -> dict:
    """One stage of Poisson arrivals at `rate`, named `stage`, held as the run's profile holds its stages."""
    return {"name": f"capacity-{rate:.0f}", "kind": "open", "arrival": "poisson", "max_concurrency": STEP_IN_FLIGHT,
            "scenario": {"weights": weights}, "settle_s": SETTLE_S,
            **({"hold": hold.model_dump()} if hold is not None else {}),
            "stages": [{"name": stage, "rate_rps": rate, "duration_s": seconds}]}


def step_seconds(rate: float, spec: SloSpec, at_least: float, scenario: Scenario) -> float:
    """A step long enough to decide every count objective at `rate` with none counted (MLPerf's minimum, reached
    with 95 % probability by Poisson arrivals), besides its settling: of the steps' traffic (the profile's
    `scenario`, whose weights they send), the judged endpoint's share."""
    share = scenario.share_of(spec.metrics.selector.get("endpoint", "/predict"))
    needed = sample_fit.seconds_needed(spec, rate * share, poisson=True)
    return at_least if needed is None else max(at_least, needed + SETTLE_S)


def stage_name(n: int, rate: float) -> str:
    return f"r{n}-{rate:.0f}rps"


def for_capacity(profile: Profile, budget_s: float, aim: float, step_s: float, start_rps: float | None = None,
                 looks: int = 1) -> Profile:
    """`slobench capacity`: the profile's run with a refinement of this budget (its ladder first: the shipped default
    places it from the probe), or from `start_rps`, one step there and the refinement climbing from it; each step
    judged at `looks` looks. Named apart (<profile>-capacity), so a profile's history holds its own runs."""
    refine = Refine(budget_s=budget_s, aim=aim, step_s=step_s, looks=looks)
    if start_rps is not None:
        doc = step_profile(start_rps, max(step_s, 8.0), profile.scenario.weights, f"c1-{start_rps:.0f}rps")
        return Profile.model_validate({**doc, "name": "capacity", "refine": refine.model_dump()})
    if profile.kind != "open":
        raise SpecError(f"profile {profile.name} is a closed-model one: the capacity steps offer open-model "
                         "arrivals; use an open profile (the default), or --start-rps")
    return profile.model_copy(update={"name": f"{profile.name}-capacity", "refine": refine})


def undecided_factor(steps: list[dict]) -> int:
    """Twice as long for each step before that stayed undecided: near the knee a queue's slow spells last seconds,
    and more of them, not more requests, decide a step."""
    return 2 ** sum(1 for s in steps if s["status"] not in DECIDED)


def looks_text(looks: Looks) -> str:
    if len(looks.shares) == 1:
        return "judged at its end"
    return f"{len(looks.shares)} looks from {looks.shares[0]:.0%} of it, each at {looks.per_look_level:.1%}"


@dataclass(frozen=True)
class StepPlan:
    """A step's longest length and its looks."""
    longest_s: float
    looks: Looks


@dataclass
class Refinement:
    """One run's refinement: where it writes, what it sends, how it judges (server side, nothing written)."""
    run_dir: Path
    profile: Profile
    target: str
    prometheus: str
    judged: JudgedTarget
    generators: locust_run.GeneratorPlan
    cpus: set[int] | None
    log: Callable[[str], None] = print
    run_started: float | None = None   # the run's start, which refine.run_budget_s counts from
    monitor: MachineMonitor | None = None   # the API's cores, second by second: a step is held as the stages are

    def judged_stages(self, monitor: MachineMonitor | None
                      ) -> tuple[list[Stage], Capacity, PredictedSaturation | None]:
        """The run so far, judged: its stages, its capacity, and the utilization law's saturation where the API times
        its predictions."""
        if monitor is not None:   # the machine's seconds so far: a stage on a slower machine is no evidence
            monitor.flush()
        report = judge(self.run_dir, self.judged.spec, self.prometheus, scrape=self.judged.interval,
                       instances=self.judged.instances, write=False)
        return report.stages, report.capacity, report.serving.predicted

    def held_s(self) -> float:
        """The seconds the load held so far, in the ladder and the steps (loadtests/holds.py)."""
        folders = [self.run_dir, *sorted((self.run_dir / names.REFINE_DIR).glob("*"))]
        return sum(held_seconds(files.HOLDS.read(folder) or {}) for folder in folders)

    def with_holds(self, budget: Budget, said: float = 0.0) -> tuple[Budget, float]:
        """`budget` with the run's own (refine.run_budget_s) grown by the seconds the load held so far (the machine
        was not the run's then), and those seconds; said where more than `said`."""
        run_s, held = self.profile.refine.run_budget_s, self.held_s()
        if run_s is None or held <= said:
            return budget, held
        self.log(f"[slobench] refine: the run's budget is {run_s:g} s and the {held:.0f} s the load held")
        return replace(budget, run_s=run_s + held), held

    def drain(self, timeout_s: float = DRAIN_S) -> bool:
        """Wait until the target answers nothing more (its answered counter still over two scrapes): the queue the
        last stage left, often a collapsed one, must not be served inside the next step. False at the timeout."""
        client = Prometheus(self.prometheus, timeout=5, retries=0)
        query = answered_query(self.judged.spec.metrics, self.judged.instances)
        wait = 2 * self.judged.interval.seconds
        last, deadline = None, time.time() + timeout_s
        while time.time() < deadline:
            found = client.query(query)
            now = float(found[0]["value"][1]) if found else 0.0
            if now == last:
                return True
            last = now
            time.sleep(wait)
        return False

    def step(self, n: int, rate: float, plan: StepPlan, held_s: float = 0.0) -> tuple[int, int | None]:
        """One step's Locust run at `rate` (the target drained), ended at the first of its looks that decides it; its
        exit code and the look that ended it (None: it ran to its longest)."""
        folder = self.run_dir / names.REFINE_DIR / f"{n:02d}-{rate:.0f}rps"
        folder.mkdir(parents=True)
        looked = len(plan.looks.shares) > 1   # a step ended at a look is not held: its looks judge its windows
        doc = step_profile(rate, plan.longest_s, self.profile.scenario.weights, stage_name(n, rate),
                           None if looked else self.profile.hold)
        path = folder / "profile.yaml"
        path.write_text(yaml.safe_dump(doc))
        looks = StepLooks(folder, stage_name(n, rate), rate, plan.looks, SETTLE_S, plan.longest_s - SETTLE_S,
                          self.judged, self.prometheus, self.log)
        holds = SpellHolds(folder, load_profile(str(path)), self.monitor, self.log,
                           since=files.TIMELINE.read(self.run_dir)["wall_start"], spent_s=held_s)
        code = locust_run.run_headless(path, holds.profile, self.target, folder, self.generators, self.cpus,
                                       on_line=self.log, stop_when=looks.due if looked else None,
                                       on_tick=holds.tick if holds.planned else None)
        files.LOOKS.write(folder, looks.taken.record())
        return code, looks.ended_at

    def step_plan(self, rate: float, left_s: float, steps: list[dict], for_fit: bool = False,
                  shorten: bool = False) -> StepPlan | None:
        """The step at `rate`: at least the profile's step_s, what deciding a count objective with none counted takes
        at the looks' level, and six scrapes, twice as long after each undecided step (undecided_factor); judged at
        `looks` looks from `first_look` of its length, none before six scrapes. None when it does not fit the
        `left_s` of the budget with its start and judging (STEP_OVERHEAD_S); with `shorten` (the run's budget binds:
        its start alone, STEP_START_S), what is left instead, while it holds half
        of step_s and what deciding takes: the default run on a quiet machine had missed its one step by a second,
        and a default run's step of 10 or 14 s measured held the knee as one of 18 s does (97.6 and 97.15 % of
        2,000 draws, median width 33 and 32 %; none: 98.3 % and 43 %). Not within the refinement's own budget: one
        more short step at the end of make capacity's 300 s search held the knee 93.05 % of 2,000 draws, from
        95.1 %. A step `for_fit` (at the middle of the fitted knee; or a stage run again outside the capacity's
        interval) needs no decision: it is there for its share over each threshold, which the fit reads, and near the
        knee a step is rarely decided however long; so step_s. Under a busy loop on the API's core the step the fit asked for (17.1 req/s) would have
        needed 28 s to decide p99 and did not fit the 37 s the run had left; the simulations that hold the promise
        (`make coverage`) run their steps at a fixed length too."""
        refine, spec, scrape_s = self.profile.refine, self.judged.spec, self.judged.interval.seconds
        planned = Looks.spread(refine.looks, refine.first_look, spec.confidence_level)
        strict = spec.model_copy(update={"confidence_level": planned.per_look_level})
        scrapes = MIN_SCRAPES_PER_WINDOW * scrape_s
        scenario, overhead_s = self.profile.scenario, STEP_START_S if shorten else STEP_OVERHEAD_S
        decides = refine.step_s if for_fit else step_seconds(rate, strict, refine.step_s, scenario)
        longest = max(decides, scrapes + SETTLE_S) * undecided_factor(steps)
        if longest + overhead_s > left_s:
            shortest = max(refine.step_s / 2 if for_fit else step_seconds(rate, strict, refine.step_s / 2, scenario),
                           scrapes + SETTLE_S)
            if not shorten or shortest + overhead_s > left_s:
                return None
            longest = left_s - overhead_s
        first = max(refine.first_look, scrapes / (longest - SETTLE_S))
        return StepPlan(longest, Looks.spread(refine.looks, first, spec.confidence_level))

    def planned(self, rate: float, budget: Budget, steps: list[dict], for_fit: bool) -> tuple[StepPlan | None, str]:
        """The step at `rate` that fits what is left of `budget` now, or why none does."""
        now = time.time()
        left, bound = budget.left(now)
        step = self.step_plan(rate, left, steps, for_fit=for_fit, shorten=budget.run_binds(now))
        return step, "" if step is not None else no_room(rate, left, bound)

    def run(self, monitor: MachineMonitor | None = None) -> list[dict]:
        """Steps until the capacity settles or the budget is spent; what each step offered and how it ended."""
        plan, self.monitor = self.profile.refine, monitor
        budget, held = self.with_holds(Budget(plan.budget_s, time.time(), plan.run_budget_s, self.run_started))
        steps = []
        floor = self.judged.spec.gate.required_rps or 0.0
        stages, cap, predicted = self.judged_stages(monitor)
        few = budget.few_steps(time.time(), plan.step_s)
        while True:
            saturation = predicted and predicted.saturation_rps
            # The knee the ladder was placed around (slobench/probing.py), from the saturation measured so far.
            prior = self.judged.spec.queue_knee_rps(saturation) if saturation else None
            rate, for_fit, again, past = next_step(stages, cap, plan.aim, floor, saturation, few, prior,
                                                   predicted.servers if predicted else 1)
            if rate is None:
                why = "settled" if settled(cap, plan.aim) else "nothing left to split"
                self.log(f"[slobench] refine: capacity {cap.interval_rps}, bracket {cap.bracket_rps} ({why})")
                break
            step, why = self.planned(rate, budget, steps, for_fit)
            if step is not None:   # the queue the last stage left is served first; the budget plans what is left
                if not self.drain():
                    self.log(f"[slobench] refine: the target still answered a queue after {DRAIN_S:g} s; stepping")
                step, why = self.planned(rate, budget, steps, for_fit)
            if step is None:
                self.log(f"[slobench] refine: capacity {cap.interval_rps}; {why}")
                break
            where = (f" ({again} again: it measured the machine, not the API)" if again else
                     " (past the fitted knee's crossing, which has no interval yet)" if past else
                     " (the middle of the fitted knee)" if for_fit else "")
            self.log(f"[slobench] refine: capacity {cap.interval_rps}, bracket {cap.bracket_rps}, stepping at "
                     f"{rate:g} req/s{where} for up to {step.longest_s:.0f} s ({looks_text(step.looks)})")
            code, ended_at = self.step(len(steps) + 1, rate, step, held)
            budget, held = self.with_holds(budget, said=held)   # a step held lengthens the run too
            stages, cap, predicted = self.judged_stages(monitor)
            name = stage_name(len(steps) + 1, rate)   # a step held ran again as <name>-again: that one counts
            got = next((s for n in (again_name(name), name) for s in stages if s.name == n), None)
            steps.append({"rate_rps": rate, "longest_s": round(step.longest_s, 1),
                          "ended_at_look": ended_at, "locust_exit_code": code,
                          "status": got and got.status, "departed": bool(got and got.departed)})
            if code != 0:
                self.log(f"[slobench] refine: Locust exited with code {code}; no further step")
                break
        return steps
