"""The capacity search: step, then bisect, the Poisson arrival rate until the SLOs break, within a time bound
(`make capacity`).

Like MLPerf's Server scenario and Nighthawk's adaptive search: the answer is an interval [the highest rate
that met every objective with confidence, the lowest that failed one with confidence], narrowed to a stated
resolution (5 % of the rate by default), with the evidence (every rate tried, its samples and verdict).
An inconclusive step is run again twice as long once, budget permitting; a step whose generator was
saturated measured the generator ("generator-bound") and bounds the search like a failure, never as the API's.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import yaml

from loadtests import probe, run as locust_run
from loadtests.profile import Profile, Scenario, load_profile
from slo.file.model import Gate, SloSpec
from slo.stats.figures import stage_rate
from slo.verdicts import knee
from slobench.judge import judge
from slobench import sample_fit, scrape_fit
from slobench.steps import FAILS, SETTLE_S, next_rate, step_profile, step_seconds, step_verdict
from slobench.pipeline import cpu_plan, new_run_dir, point_latest, resolve_target, start_stack
from slobench.settings import HarnessSettings
from stack import local


START_SHARE = 0.45   # without a declared first rate: this share of the probe's saturation, where a knee begins


def first_rate(target: str, spec: SloSpec, cpus: set[int] | None, log=print) -> float:
    """The search's first rate, from the saturation probe: below the knee on a fast and a slow machine alike,
    never under the SLO file's required rate."""
    profile = Profile.model_validate(step_profile(1, 10, Scenario().weights))
    saturation = probe.measure(target, profile, log, cpus)
    log(saturation.sentence())
    return max(spec.gate.required_rps or 0.0, round(START_SHARE * saturation.rps, 1))


def search(settings: HarnessSettings, spec: SloSpec, start_rps: float | None = None, factor: float = 1.6,
           max_rps: float = 20_000, step_s: float = 20, budget_s: float = 300, precision: float = 0.05,
           log=print) -> tuple[Path, dict]:
    spec = spec.model_copy(update={"gate": Gate()})  # every step is judged
    run_dir = new_run_dir(settings.results_dir, "capacity")
    point_latest(settings.results_dir, run_dir)
    cpus = cpu_plan(settings)
    started = time.time()
    tried: list[tuple[float, str]] = []
    steps = []
    judged_stages: dict[float, dict] = {}
    target, prom, _, stack_state = start_stack(settings, run_dir, cpus, log)
    try:
        judged = resolve_target(settings, spec, prom, stack_state, log)
        spec, interval = judged.spec, judged.interval
        start_rps = start_rps or first_rate(target, spec, cpus["locust"], log)
        step_s = step_seconds(start_rps, spec, step_s)
        log(f"capacity search from {start_rps:g} req/s, steps of {step_s:g} s")
        first = Profile.model_validate(step_profile(start_rps, step_s, Scenario().weights))
        scrape_fit.check(first, interval.seconds, interval.source)
        sample_fit.check(first, spec, log)
        seconds, rate = step_s, None
        while time.time() - started + seconds + 15 <= budget_s:
            if seconds == step_s:  # else: the inconclusive rate again, longer
                rate = next_rate(tried, start_rps, factor, max_rps, precision)
            if rate is None:
                break
            step_dir = run_dir / f"step-{len(steps) + 1:02d}-{rate:.0f}rps"
            step_dir.mkdir()
            profile_path = step_dir / "profile.yaml"
            profile_path.write_text(yaml.safe_dump(step_profile(rate, seconds, Scenario().weights)))
            locust_run.run_headless(profile_path, load_profile(str(profile_path)), target, step_dir,
                                    settings.generators(), cpus["locust"], on_line=lambda *_: None)
            report = judge(step_dir, spec, prom, scrape=interval, instances=judged.instances)
            stage = report["stages"][0] if report["stages"] else None
            if stage is not None:   # a longer retry of a rate replaces its first try
                judged_stages[rate] = {**stage, "name": step_dir.name}
            verdict = step_verdict(report)
            if verdict in ("inconclusive", "insufficient") and seconds == step_s and \
                    time.time() - started + 2 * step_s + 15 <= budget_s:
                seconds = 2 * step_s  # the same rate again, twice as long: more requests narrow the interval
            else:
                tried.append((rate, verdict))
                seconds = step_s
            broken = [o["name"] for o in (stage or {}).get("objectives", []) if o["status"] == "fail"]
            undecided = [o["name"] for o in (stage or {}).get("objectives", []) if o["status"] == "inconclusive"]
            step = {"offered_rps": rate, "seconds": (stage or {}).get("window", {}).get("seconds"),
                    "achieved_rps": stage and stage["server"]["rps_all_traffic"],
                    "samples": stage and stage["server"]["requests"], "verdict": verdict, "broken": broken,
                    "inconclusive": undecided,
                    "p99_ms": stage and (stage["server"]["quantiles"].get("0.99") or {}).get("ms"),
                    "client_p99_ms": stage and stage["client"].get("hdr_p99_ms"),
                    "dropped": stage and stage["client"].get("dropped"), "folder": step_dir.name}
            steps.append(step)
            log(f"[slobench] capacity step {len(steps)}: {rate:.0f} req/s offered -> {verdict}"
                + (f" ({', '.join(broken or undecided)})" if broken or undecided else "")
                + f", p99 {step['p99_ms']} ms, {step['samples']:.0f} samples"
                + (" (repeating it twice as long)" if seconds != step_s else ""))
    finally:
        if stack_state:
            local.down(run_dir / "stack", log=lambda *_: None)
    result = summarize(steps, precision, list(judged_stages.values()))
    result.update(service=spec.service, seconds=round(time.time() - started, 1), budget_s=budget_s, steps=steps)
    (run_dir / "capacity_report.json").write_text(json.dumps(result, indent=2) + "\n")
    best = next((s for s in steps if s["offered_rps"] == result["capacity_rps"] and s["verdict"] == "pass"), None)
    lowest_fail = next((s for s in steps if s["offered_rps"] == result["first_failing_rps"] and s["verdict"] in FAILS),
                       None)
    bound = result["generator_bound_rps"] and {"offered_rps": result["generator_bound_rps"]}
    low, high = result["interval_rps"]
    lines = [f"# Capacity of {spec.service}", "",
             f"Highest Poisson arrival rate meeting every objective with confidence: **{best['offered_rps']:.0f} req/s**"
             f"; the capacity lies in [{low:.0f}, " + (f"{high:.0f}] req/s" if high else "?] req/s (nothing failed)")
             + (f", resolved to {result['resolution']:.1%}" if result["resolution"] is not None else "")
             + (f" (narrowed from the bracket [{result['bracket_rps'][0]}, {result['bracket_rps'][1]}] by "
                f"{result['fit']['objective']}'s share fitted across {len(result['fit']['stages'])} steps)"
                if "fit" in result["decided_by"] else "")
             + (" (the requested resolution was reached)" if result["resolved"] else
                f" (the {precision:.0%} asked for was not reached within the budget)") if best else
             "No rate met every objective with confidence.",
             *([f"Inconclusive even twice as long: {', '.join(f'{r:.0f}' for r in result['inconclusive_rps'])} req/s "
                "(their intervals straddle an objective: nothing above them is called confident)"]
               if result["inconclusive_rps"] else []),
             f"Lowest rate that broke one: {lowest_fail['offered_rps']:.0f} req/s ({', '.join(lowest_fail['broken'])})"
             if lowest_fail else "No rate broke an objective within the search bounds.",
             *([f"At {bound['offered_rps']:.0f} req/s the load generator was saturated: that step measured the "
                "generator, not the API, and cannot be its capacity; add generator hosts (LOCUST_WORKERS) to go higher."]
               if bound else []), "",
             "| step | offered req/s | achieved req/s | samples | server p99 | client p99 (from intended start) | dropped | verdict |",
             "|---|---|---|---|---|---|---|---|"]
    for i, s in enumerate(steps, 1):
        lines.append(f"| {i} | {s['offered_rps']:.0f} | {s['achieved_rps']} | {s['samples']} | {s['p99_ms']} | "
                     f"{s['client_p99_ms']} | {s['dropped']} | {s['verdict']} |")
    (run_dir / "capacity_report.md").write_text("\n".join(lines) + "\n")
    return run_dir, result


def summarize(steps: list[dict], precision: float, stages: list[dict] = ()) -> dict:
    """The capacity interval from the steps taken, by a run's rule (slo.verdicts.objectives.capacity over every
    step's judged stage): [the highest confident pass below every confident failure, the lowest confident failure],
    narrowed by the curve fitted across every step where its interval lies inside; a rate tried twice counts as its
    last try; an undecided step between the ends moves neither. Resolution is the bracket's width over its low end
    (`width` the narrowed interval's)."""
    last = {s["offered_rps"]: s for s in steps}  # a longer retry of a rate replaces its first try
    final = list(last.values())
    fails = [s["offered_rps"] for s in final if s["verdict"] in FAILS]
    lowest_fail = min(fails, default=None)
    passed = [s["offered_rps"] for s in final if s["verdict"] == "pass" and (lowest_fail is None or s["offered_rps"] < lowest_fail)]
    bound = [s["offered_rps"] for s in final if s["verdict"] == "generator-bound"]
    best = max(passed, default=None)
    fit = knee.fitted_capacity(knee.share_knees([s for s in stages if not s.get("collapsed")], stage_rate, 0.95)) \
        if stages else None
    interval, decided = knee.narrowed([best, lowest_fail], fit)
    low, high = interval
    # Resolved is asked of the bracket, which assumes no curve: fitted intervals called resolved to 5 % held the
    # knee in none of the simulated searches that reached it.
    resolution = (lowest_fail - best) / best if best and lowest_fail is not None else None
    return {"capacity_rps": best, "first_failing_rps": lowest_fail, "interval_rps": interval,
            "bracket_rps": [best, lowest_fail], "decided_by": decided, "fit": fit,
            "width": round((high - low) / low, 4) if low and high is not None else None,
            "capacity_achieved_rps": last[best]["achieved_rps"] if best is not None else None,
            "resolution": None if resolution is None else round(resolution, 4),
            "resolved": resolution is not None and resolution <= precision,
            "inconclusive_rps": sorted(s["offered_rps"] for s in final if s["verdict"] in ("inconclusive", "insufficient")),
            "generator_bound_rps": min(bound, default=None),
            "bounded": low is not None and high is not None}
