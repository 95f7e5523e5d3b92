"""The knee refined within a run: after the profile's stages, steps of Poisson arrivals at the rates where the capacity
is still uncertain, until its interval is within the profile's aim of its low end or the refinement's budget of wall
time is spent (`refine:` in a profile).

Each step is a Locust run of its own in the run folder (refine/NN-<rate>rps, one stage named rN-<rate>rps); the
judge reads them with the ladder's stages as one run (slobench.run_folder), so the report, its charts and its
capacity hold them like any stage. Where to step next is the capacity search's policy (slobench.steps.next_rate)
over every stage judged so far: the widest gap between the best confident pass and the lowest confident failure.
A stage that ran on a machine of another speed than the rest of the run is no evidence: its rate may be tried again.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from loadtests import run as locust_run
from loadtests.profile import Profile, load_profile
from slo.verdicts.machine import departed
from slobench import steps as search_steps
from slobench.judge import judge
from slobench.run_folder import REFINE_DIR
from slobench.scrape_fit import MIN_SCRAPES_PER_WINDOW

STEP_OVERHEAD_S = 12   # a step's Locust start and stop, and its judging after the last scrape, measured at 8 to 11 s
CLIMB = 1.25           # above a ladder that broke nothing: the next rate, a quarter higher


def stage_name(n: int, rate: float) -> str:
    return f"r{n}-{rate:.0f}rps"


def tried_of(stages: list[dict]) -> list[tuple[float, str]]:
    """Every judged stage as a search step: (offered rate, verdict), leaving out those run on a machine of another
    speed than the rest of the run (they measured the machine)."""
    return [(s["offered_rps"], search_steps.step_verdict({"stages": [s]})) for s in stages
            if s.get("offered_rps") and not departed(s)]


def settled(cap: dict, aim: float) -> bool:
    """The capacity interval is closed and within `aim` of its low end."""
    return cap.get("width") is not None and cap["width"] <= aim


def next_rate(stages: list[dict], cap: dict, aim: float, floor: float) -> float | None:
    """Where the next step goes, or None: the capacity settled, or nothing left to split above `floor` (the gated
    rate: a step there would be judged as the gate)."""
    if settled(cap, aim):
        return None
    # An undecided stage at or under the gated rate bounds nothing the refinement can step to: left out.
    tried = [(r, v) for r, v in tried_of(stages) if r > floor or v in ("pass", *search_steps.FAILS)]
    if not tried:
        return None
    rate = search_steps.next_rate(tried, min(r for r, _ in tried), CLIMB, 20_000, aim)
    return rate if rate is not None and rate > floor else None


@dataclass
class Refinement:
    """One run's refinement: where it writes, what it sends, how it judges (server side, nothing written)."""
    run_dir: Path
    profile: Profile
    target: str
    prometheus: str
    spec: object
    judged: object           # slobench.pipeline.JudgedTarget
    generators: object       # loadtests.run.Generators
    cpus: set[int] | None
    log: object = print

    def judged_stages(self) -> tuple[list[dict], dict]:
        report = judge(self.run_dir, self.judged.spec, self.prometheus, scrape=self.judged.interval,
                       instances=self.judged.instances, write=False)
        return report["stages"], report["capacity"]

    def step(self, n: int, rate: float, seconds: float) -> int:
        """One step's Locust run at `rate` for `seconds`; its exit code."""
        folder = self.run_dir / REFINE_DIR / f"{n:02d}-{rate:.0f}rps"
        folder.mkdir(parents=True)
        doc = search_steps.step_profile(rate, seconds, self.profile.scenario.weights, stage_name(n, rate))
        path = folder / "profile.yaml"
        path.write_text(yaml.safe_dump(doc))
        return locust_run.run_headless(path, load_profile(str(path)), self.target, folder, self.generators,
                                       self.cpus, on_line=lambda *_: None)

    def step_length(self, rate: float, steps: list[dict]) -> float:
        """At least the profile's step_s, what deciding a count objective at `rate` with none counted takes, and six
        scrapes; doubled for each step before it that stayed undecided (near the knee a queue's slow spells last
        seconds: more of them, not more requests, decide it)."""
        undecided = sum(1 for s in steps if s["status"] not in ("pass", "warn", "fail"))
        scrapes = MIN_SCRAPES_PER_WINDOW * self.judged.interval.seconds + search_steps.SETTLE_S
        return max(search_steps.step_seconds(rate, self.spec, self.profile.refine.step_s), scrapes) * 2 ** undecided

    def run(self) -> list[dict]:
        """Steps until the capacity settles or the budget is spent; what each step offered and how it ended."""
        plan = self.profile.refine
        started, steps = time.time(), []
        floor = self.spec.gate.required_rps or 0.0
        stages, cap = self.judged_stages()
        while True:
            rate = next_rate(stages, cap, plan.aim, floor)
            if rate is None:
                why = "settled" if settled(cap, plan.aim) else "nothing left to split"
                self.log(f"[slobench] refine: capacity {cap['interval_rps']} ({why})")
                break
            seconds = self.step_length(rate, steps)
            left = plan.budget_s - (time.time() - started)
            if seconds + STEP_OVERHEAD_S > left:
                self.log(f"[slobench] refine: capacity {cap['interval_rps']}; a {seconds:.0f} s step at "
                         f"{rate:g} req/s does not fit the {left:.0f} s left of its budget")
                break
            self.log(f"[slobench] refine: capacity {cap['interval_rps']}, stepping at {rate:g} req/s for {seconds:.0f} s")
            code = self.step(len(steps) + 1, rate, seconds)
            stages, cap = self.judged_stages()
            got = next((s for s in stages if s["name"] == stage_name(len(steps) + 1, rate)), None)
            steps.append({"rate_rps": rate, "seconds": seconds, "locust_exit_code": code,
                          "status": got and got["status"], "departed": bool(got and departed(got))})
            if code != 0:
                self.log(f"[slobench] refine: Locust exited with code {code}; no further step")
                break
        return steps
