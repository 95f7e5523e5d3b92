"""A stage and a run judged from their objectives' rows (each judged in slo/verdicts/kinds.py): the gate, a stage's
status, capacity, what the mean hides, completeness, the run's verdict and the advice for what stayed undecided."""
from __future__ import annotations

import math

from common.exit_codes import Verdict, verdict
from slo.verdicts import knee, wording
from slo.verdicts.kinds import KIND_NAMED, kind_of
from slo.verdicts.saturation import at_typical_speed, at_usual_speed, knee_share
from slo.file.model import SloSpec
from slo.verdicts.report import Capacity, Completeness, KneeFit, ObjectiveResult, Stage, WorkerClocks

JUDGED = ("pass", "warn", "fail", "inconclusive")
DECIDED = ("pass", "warn", "fail")   # the stage statuses that decide it: every objective met, or one broken
MAX_REPEATS = 50   # the most runs `--repeat` makes a set of


def is_gated(spec: SloSpec, stage: dict) -> bool:
    """Named by the gate; else at or below its required rate; else every stage. A refinement's step and a share of
    saturation placed under a declared rate (both placed by the run to find the knee) are gated only by name."""
    g = spec.gate
    if g.stages is not None:
        return stage["name"] in g.stages
    if stage.get("refine") or stage.get("ungated"):
        return False
    if g.required_rps is not None:
        return stage.get("offered_rps") is None or stage["offered_rps"] <= g.required_rps
    return True


def stage_status(objectives: list[dict]) -> str:
    statuses = {o["status"] for o in objectives}
    for s in ("fail", "no_data", "insufficient", "inconclusive", "warn"):
        if s in statuses:
            return s
    return "pass"


def mean_hides_tail(stage_name: str, objectives: list[ObjectiveResult]) -> list[str]:
    """One plain sentence, with the intervals that decided it, when the mean passes where p95 or p99 fails."""
    means = [o for o in objectives if kind_of(o).averages and o.status in ("pass", "warn")]
    tails = [o for o in objectives if kind_of(o).is_tail(o) and o.status == "fail"]
    out = []
    for mean in means:
        for tail in tails:
            mc, tc = mean.confidence, tail.confidence
            level = f" at {mc.level:.0%}" if mc.level else ""
            out.append(f"In stage {stage_name}, the mean hides the tail: the mean was {mean.measured:.1f} ms "
                       f"({wording.short(mc) or 'exact'}{level}), within its {mean.threshold:g} ms objective, "
                       f"while {tail.name} was {tail.measured:.1f} ms, over its {tail.threshold:g} ms "
                       f"threshold ({wording.short(tc) or 'exactly'} of requests over it, against "
                       f"{wording.limit_text(tc)} allowed).")
    return out


def collapsed(stage: dict) -> bool:
    """A stage the API could not keep up with: its throughput objective failed with confidence (what it served fell
    short of what was offered, so a queue grew through the window)."""
    return any(KIND_NAMED[o["kind"]].keeps_up and o["status"] == "fail" for o in stage["objectives"])


# A generator process kept at half a core stays clear of the lag that saturation brings (docs/scaling-out.md).
GENERATOR_CORE_BUDGET = 0.5


def generators_needed(stage: Stage) -> dict | None:
    """For a generator-bound stage: the requests each generator process sent per CPU-second, measured, and how many
    processes at half a core each the offered rate would take; None when the CPU was not measured."""
    workers = [w for w in stage.client.workers.values() if w.get("cpu_cores")]
    seconds = stage.window.seconds
    cpu_s = sum(w["cpu_cores"] * seconds for w in workers)
    sent = sum(w.get("requests") or 0 for w in workers)
    rate = stage.offered_rps or stage.server.rps_all_traffic
    if not workers or cpu_s <= 0 or sent <= 0 or not rate:
        return None
    per_cpu_s = sent / cpu_s
    return {"requests_per_cpu_s": round(per_cpu_s), "processes": len(workers),
            "needed": max(len(workers) + 1, math.ceil(rate / (per_cpu_s * GENERATOR_CORE_BUDGET)))}


def capacity(stages: list[Stage], servers: int = 1, like: list = (), spec: SloSpec | None = None) -> Capacity:
    """The capacity as an interval: [the last stage whose every objective passed with confidence, walking up from the
    lowest until one did not (knee.bracket_stages), the lowest stage that failed one with confidence], each at the
    rate it offered (achieved when none was declared). A stage whose generator was saturated measured the
    generator: it is neither (generator-bound); nor is one whose API ran on a machine of another speed than the
    rest of its run (slowed or faster: it measured the machine), or served the queue such a stage left (after). A
    stage in between that neither passed nor failed with confidence lies inside the interval, and no pass above it
    moves the low end.
    Beside it, the knee as a share of the saturation each stage measured (`servers` API processes): a slowed stage
    counts there, at the load it was on the machine it ran on. Where that share was fitted (the API times its
    predictions), the interval is found in shares of saturation and stated at the run's typical speed
    (saturation.at_typical_speed); `bracket_rps` keeps the rates offered. With the earlier runs `like` it (their
    reports), also at the machine's usual speed across them (saturation.at_usual_speed; the knee's share moved with
    the speed as an M/M/1 queue's under `spec`'s latency objectives)."""
    bound = [s.name for s in stages if s.client.generator_bound]
    slowed = [s.name for s in stages if s.machine and s.machine.slowed]
    faster = [s.name for s in stages if s.machine and s.machine.faster]
    after = [s.name for s in stages if s.machine and s.machine.after]
    judged = [s for s in stages if s.name not in bound and not s.departed]
    best, lowest_fail = knee.bracket_stages(judged, lambda s: s.rate)
    broken = next((s for s in judged if s.status == "fail" and s.completed), None)  # the first
    out = {"highest_passing_stage": None, "highest_passing_rps": None, "first_failing_stage": None, "broken": [],
           "generator_bound_stages": bound, "slowed_stages": slowed,
           "faster_stages": faster, "after_slowed_stages": after,
           "lowest_failing_stage": lowest_fail and lowest_fail.name,
           "interval_rps": [None, lowest_fail and lowest_fail.rate],
           "rates": "offered" if all(s.offered_rps for s in judged) else "achieved where none was offered",
           "inconclusive_stages": [s.name for s in judged if s.status == "inconclusive"],
           "collapsed_stages": [{"stage": s.name, "offered_rps": s.offered_rps,
                                 "achieved_rps": s.server.rps_all_traffic} for s in judged if s.collapsed],
           # Met on the server while the client's tail broke an objective: not a capacity users would accept.
           "client_tail_stages": [s.name for s in judged if s.client_breaks], "closed": False, "width": None,
           "generators_needed": {s.name: generators_needed(s) for s in stages if s.name in bound}}
    if best:
        out.update(highest_passing_stage=best.name, highest_passing_rps=best.rate)
        out["interval_rps"][0] = out["highest_passing_rps"]
    # The bracket is the evidence; the curve fitted across every stage narrows it where its interval lies inside.
    level = next((o.confidence.level for s in judged for o in s.objectives if o.confidence.level), 0.95)
    knees = knee.share_knees([s for s in judged if not s.collapsed], lambda s: s.rate, level)
    crossing = knee.lowest_crossing(knees)
    fit = KneeFit(**crossing) if crossing else None
    out.update(bracket_rps=list(out["interval_rps"]), fit=fit,
               breaks_order=sorted({b for k in knees.values() for b in k["breaks_order"]}))
    # Where the API times its predictions, every stage is placed at its own utilization and the interval stated at
    # the run's typical speed (saturation.at_typical_speed); elsewhere at the rates offered.
    out["knee_share"] = knee_share([s for s in stages if s.name not in bound and not s.collapsed],
                                   servers, level, typical_from=judged)
    out["speed"] = at_typical_speed(judged, servers, out["knee_share"])
    if out["speed"]:
        out.update(interval_rps=out["speed"].interval_rps, decided_by=out["speed"].decided_by,
                   rates="at the typical speed")
        usual = at_usual_speed(out["speed"], [r.capacity.speed.typical_demand_ms for r in like if r.capacity.speed],
                               servers, spec and spec.queue_knee_pct)
        if usual:  # set only where found: a report without it holds the same JSON as before
            out["usual_speed"] = usual
    else:
        out["interval_rps"], out["decided_by"] = knee.narrowed(out["bracket_rps"], fit and fit.interval_rps)
    low, high = out["interval_rps"]
    if low and high:
        out.update(closed=True, width=round((high - low) / low, 4))
    if broken:
        out.update(first_failing_stage=broken.name, broken=broken_objectives(broken))
    return Capacity(**out)


def broken_objectives(stage: Stage) -> list[dict]:
    """The objectives a stage failed, each with how far it was over its threshold."""
    out = []
    for o in stage.objectives:
        if o.status == "fail":
            by = (o.measured / o.threshold) if o.threshold else None
            out.append({"objective": o.name, "measured": o.measured, "threshold": o.threshold,
                        "unit": o.unit, "ratio": round(by, 3) if by is not None else None})
    return out


def advice(stage: Stage, objective: ObjectiveResult) -> str:
    """What would decide an inconclusive objective: `p99 in s4: [0.62 %, 1.41 %] at 95 % against 1 %: lengthen
    s4 to about 80 s measured, or repeat the run 4 times (--repeat 4, pooled)`."""
    c = objective.confidence
    head = f"{objective.name} in {stage.name}: {wording.interval_text(c)} against {wording.limit_text(c)}"
    fam = c.family
    if fam and not fam.kept:
        return (f"{head}: confidently over alone (p = {fam.p_value:.2g}), but not at the level a family of "
                f"{fam.tests} tests asks of it ({fam.level_used:.2g}, Holm)")
    seconds = c.seconds_needed
    if seconds:
        return f"{head}: lengthen {stage.name} to about {seconds:.0f} s measured, or {_repeats(stage, seconds)}"
    if c.bracketed:
        return f"{head}: the threshold lies between bucket edges; put it on an edge, or add one at it"
    return f"{head}: it sits on the objective; no stage length decides it (repeat the run to see its spread)"


def _repeats(stage: Stage, seconds: float) -> str:
    """How many runs, pooled, hold the requests `seconds` of the stage would: at least two, and at least as many as
    its measured windows fit in them (a pooled repeat set also spreads the machine's changes between runs)."""
    window = stage.window.seconds
    if not window:
        return "repeat it"
    runs = max(2, math.ceil(seconds / window))
    if runs > MAX_REPEATS:
        return f"repeat the run about {runs} times (more than a repeat set holds: lengthen it)"
    return f"repeat the run {runs} times (--repeat {runs}, pooled)"


def completeness(tl: dict, spec: SloSpec, run_end: dict | None) -> Completeness:
    """Whether the run ran to its end: gated stages not reached or cut short, Locust's exit code, an interrupt,
    generator workers that sent no final figures."""
    run_end = run_end or {}
    reached = {s["name"] for s in tl["stages"]}
    planned = tl.get("planned") or [{"name": s["name"], "offered_rps": s.get("offered_rps")} for s in tl["stages"]]
    not_reached = [p["name"] for p in planned if p["name"] not in reached and is_gated(spec, p)]
    cut = [s["name"] for s in tl["stages"] if not s["completed"] and is_gated(spec, s)]
    problems = ([f"gated stage(s) not reached: {', '.join(not_reached)}"] if not_reached else []) + \
               ([f"gated stage(s) cut short: {', '.join(cut)}"] if cut else [])
    code = run_end.get("locust_exit_code")
    if code not in (None, 0):
        problems.append(f"Locust exited with code {code}" + (" (killed by a signal)" if code < 0 else ""))
    if run_end.get("interrupted"):
        problems.append("the run was interrupted")
    finals = run_end.get("finals") or {}
    if finals and finals.get("received", 0) < finals.get("expected", 0):
        problems.append(f"only {finals['received']} of {finals['expected']} generator workers sent their final "
                        "figures (a worker was lost mid-run)")
    return Completeness(complete=not problems, not_reached=not_reached, cut_short=cut, problems=problems,
                        locust_exit_code=code)


def worker_clocks(measured: dict | None, stages: list[Stage]) -> WorkerClocks | None:
    """Each remote worker's clock against the master's, measured when it joined and corrected for (its windows are
    placed on the master's clock); an offset known less precisely than a tenth of the shortest measured window
    (50 ms at most) makes the windows untrustworthy."""
    if not measured:
        return None
    shortest = min((s.window.seconds for s in stages), default=0.0)
    bound_ms = min(50.0, 100.0 * shortest) if shortest else 50.0
    problems = [f"worker {w}'s clock offset ({c['offset_ms']:+.1f} ms) is known only to ±{c['uncertainty_ms']:.1f} ms, "
                f"more than the {bound_ms:g} ms its windows allow" for w, c in sorted(measured.items())
                if c["uncertainty_ms"] > bound_ms]
    return WorkerClocks(workers=measured, bound_ms=bound_ms, corrected=True, problems=problems)


def run_verdict(stages: list[Stage], baseline_failures: list[str], complete: Completeness | None = None,
                baseline_untested: list[str] = (), distrust: list[str] = ()) -> Verdict:
    """fail (exit 1), cannot judge (2), incomplete (5: a gated stage not reached or cut short, Locust or a worker
    lost; what ran is still judged), inconclusive (4: no gated objective failed, some interval straddles its
    objective), pass (0)."""
    gated = [s for s in stages if s.gated]
    # A stage cut short by the generator stopping holds partial figures: reported, but no failure of the API's; nor
    # is a failure while other work took more of the API's core than in the rest of the run (a slowed machine):
    # undecided, to run again.
    slowed = [s for s in gated if s.status == "fail" and s.machine and (s.machine.slowed or s.machine.after)]
    failed = [s.name for s in gated if s.status == "fail" and s.completed and s not in slowed]
    unjudged = [s.name for s in gated if s.status in ("no_data", "insufficient")]
    problems = complete.problems if complete else []
    if failed or baseline_failures:
        reasons = [f"gated stage {n} failed an objective" for n in failed] + baseline_failures
        return verdict("fail", "; ".join(reasons + [f"also incomplete: {p}" for p in problems]))
    if problems:
        return verdict("incomplete", "the run did not run to its end: " + "; ".join(problems)
                       + (f"; judged what ran: {', '.join(s.name for s in stages)}" if stages else ""))
    if not stages or not gated:
        return verdict("no_data", "no gated stage was measured: nothing to judge")
    if unjudged:
        return verdict("no_data", f"not enough data to judge gated stage(s) {', '.join(unjudged)}")
    unreconciled = [s.name for s in gated if not s.reconciliation.ok]
    if unreconciled or distrust:
        reasons = ([f"counts do not reconcile in gated stage(s) {', '.join(unreconciled)}"] if unreconciled else []) \
            + list(distrust)
        return verdict("untrusted", "; ".join(reasons) + ": the figures cannot be trusted")
    undecided = [advice(s, o) for s in gated for o in s.objectives if o.status == "inconclusive"]
    undecided += [f"gated stage {s.name} failed while serving the queue {s.machine.after} left on a slowed "
                  "machine: run it again" if s.machine.after else
                  f"gated stage {s.name} failed while other work took {s.machine.taken_share:.0%} of the "
                  f"API's core(s), against {s.machine.reference or 0:.0%} in the run's typical stage (a slowed "
                  "machine): run it again" for s in slowed]
    undecided += list(baseline_untested)
    if undecided:
        return verdict("inconclusive", "no objective failed, but the data cannot decide " + "; ".join(undecided),
                       undecided=undecided)
    warned = [s.name for s in gated if s.status == "warn"]
    reason = "every objective of every gated stage met" + (f" (warnings in {', '.join(warned)})" if warned else "")
    return verdict("pass", reason)
