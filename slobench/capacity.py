"""`make capacity`: step, then bisect, the Poisson arrival rate until the SLOs break, within a time bound.

Like MLPerf's Server scenario: the answer is the highest rate that met every objective, with the
evidence (every rate tried, its sample count and verdict). A step too short to place its p99 says
so ("insufficient") and counts as neither pass nor fail.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import yaml

from loadtests import run as locust_run
from loadtests.profile import Profile, Scenario, load_profile
from slo.spec import Gate, SloSpec
from slobench.judge import judge
from slobench import scrape_fit
from slobench.pipeline import cpu_plan, instances_of, learn_scrape, new_run_dir, point_latest, start_stack
from slobench.settings import HarnessSettings
from stack import local


def step_profile(rate: float, seconds: float, weights: dict) -> dict:
    return {"name": f"capacity-{rate:.0f}", "kind": "open", "arrival": "poisson", "max_concurrency": 2000,
            "scenario": {"weights": weights}, "settle_s": 2,
            "stages": [{"name": f"rate-{rate:.0f}", "rate_rps": rate, "duration_s": seconds}]}


def next_rate(tried: list[tuple[float, str]], start: float, factor: float, max_rps: float, precision: float) -> float | None:
    """Pure search policy: multiply until a failure, then bisect between the best pass and the lowest failure."""
    passed = [r for r, v in tried if v == "pass"]
    # A step whose generator was saturated measured the generator: no higher rate can be measured either.
    failed = [r for r, v in tried if v in ("fail", "generator-bound")]
    if not tried:
        return start
    if not failed:
        nxt = max(r for r, _ in tried) * factor
        return nxt if nxt <= max_rps else None
    low, high = max((r for r in passed if r < min(failed)), default=0.0), min(failed)
    if low == 0.0:
        nxt = high / factor
        return nxt if nxt >= start / factor ** 3 else None
    if (high - low) / high <= precision:
        return None
    return round((low + high) / 2, 1)


def search(settings: HarnessSettings, spec: SloSpec, start_rps: float = 500, factor: float = 1.6,
           max_rps: float = 20_000, step_s: float = 20, budget_s: float = 300, precision: float = 0.1,
           log=print) -> tuple[Path, dict]:
    spec = spec.model_copy(update={"gate": Gate()})  # every step is judged
    run_dir = new_run_dir(settings.results_dir, "capacity")
    point_latest(settings.results_dir, run_dir)
    cpus = cpu_plan(settings)
    started = time.time()
    tried: list[tuple[float, str]] = []
    steps = []
    target, prom, _, stack_state = start_stack(settings, run_dir, cpus, log)
    try:
        interval = learn_scrape(settings, spec, prom, stack_state, log)
        scrape_fit.check(Profile.model_validate(step_profile(start_rps, step_s, Scenario().weights)), interval.seconds,
                         interval.source)
        while time.time() - started + step_s + 15 <= budget_s:
            rate = next_rate(tried, start_rps, factor, max_rps, precision)
            if rate is None:
                break
            step_dir = run_dir / f"step-{len(steps) + 1:02d}-{rate:.0f}rps"
            step_dir.mkdir()
            profile_path = step_dir / "profile.yaml"
            profile_path.write_text(yaml.safe_dump(step_profile(rate, step_s, Scenario().weights)))
            locust_run.run_headless(profile_path, load_profile(str(profile_path)), target, step_dir,
                                    settings.generators(), cpus["locust"], on_line=lambda *_: None)
            report = judge(step_dir, spec, prom, scrape=interval, instances=instances_of(stack_state, settings))
            stage = report["stages"][0] if report["stages"] else None
            verdict = "pass" if report["verdict"]["exit_code"] == 0 else "fail" if report["verdict"]["exit_code"] == 1 else "insufficient"
            if stage and stage["client"].get("generator_bound") and verdict == "pass":
                verdict = "generator-bound"
            tried.append((rate, verdict))
            broken = [o["name"] for o in (stage or {}).get("objectives", []) if o["status"] == "fail"]
            step = {"offered_rps": rate, "achieved_rps": stage and stage["server"]["rps_all_traffic"],
                    "samples": stage and stage["server"]["requests"], "verdict": verdict, "broken": broken,
                    "p99_ms": stage and (stage["server"]["quantiles"].get("0.99") or {}).get("ms"),
                    "client_p99_ms": stage and stage["client"].get("hdr_p99_ms"),
                    "dropped": stage and stage["client"].get("dropped"), "folder": step_dir.name}
            steps.append(step)
            log(f"[slobench] capacity step {len(steps)}: {rate:.0f} req/s offered -> {verdict}"
                + (f" ({', '.join(broken)})" if broken else "") + f", p99 {step['p99_ms']} ms, {step['samples']:.0f} samples")
    finally:
        if stack_state:
            local.down(run_dir / "stack", log=lambda *_: None)
    best = max((s for s in steps if s["verdict"] == "pass"), key=lambda s: s["offered_rps"], default=None)
    lowest_fail = min((s for s in steps if s["verdict"] == "fail"), key=lambda s: s["offered_rps"], default=None)
    bound = min((s for s in steps if s["verdict"] == "generator-bound"), key=lambda s: s["offered_rps"], default=None)
    result = {"service": spec.service, "capacity_rps": best and best["offered_rps"],
              "capacity_achieved_rps": best and best["achieved_rps"],
              "first_failing_rps": lowest_fail and lowest_fail["offered_rps"],
              "seconds": round(time.time() - started, 1), "budget_s": budget_s, "steps": steps,
              "bounded": not lowest_fail or not best,
              "generator_bound_rps": bound and bound["offered_rps"]}
    (run_dir / "capacity_report.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [f"# Capacity of {spec.service}", "",
             f"Highest Poisson arrival rate meeting every objective: **{best['offered_rps']:.0f} req/s**" if best else
             "No rate met every objective.",
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
