"""A stage and a run judged from their objectives' rows (each judged in slo/verdicts/kinds/): the gate, a stage's
status, what the mean hides, completeness, the run's verdict and the advice for what stayed undecided (the capacity
across the stages: slo/verdicts/capacity.py)."""
from __future__ import annotations

from common.exit_codes import Verdict, verdict
from slo.stats import confidence
from slo.verdicts import wording
from slo.verdicts.kinds import KIND_NAMED, kind_of
from slo.file.model import SloSpec
from slo.verdicts.report import Completeness, ObjectiveResult, Stage, WorkerClocks

JUDGED = ("pass", "warn", "fail", "inconclusive")
DECIDED = ("pass", "warn", "fail")   # the stage statuses that decide it: every objective met, or one broken
MAX_REPEATS = 50   # the most runs `--repeat` makes a set of
# The fewest runs advised: a set pools its runs as clusters, with t at runs - 1 df plus those of the earlier runs like
# them in results/ (slo/verdicts/repeats.py), so two runs alone (t = 12.7 at 95 %) decide next to nothing. With the
# runs' shares off the machine's typical one by 30 % (log scale), a set at half the limit passed 0 % of the time with
# two runs alone, 1.8 % with three, 40 % with five and 93 % with ten; three with eight earlier runs 40 % (1,000 draws,
# tests/slo/verdicts/test_repeats_coverage.py).
MIN_REPEATS = 3


def is_gated(spec: SloSpec, stage: dict) -> bool:
    """Named by the gate (or the stage it ran again); else at or below its required rate; else every stage. A
    refinement's step and a share of saturation placed under a declared rate (both placed by the run to find the
    knee) are gated only by name; a stage held is not gated: the stage that ran it again is."""
    g = spec.gate
    if stage.get("held_from") is not None:   # held (loadtests/holds.py): it runs again, and that stage is gated
        return False
    if g.stages is not None:
        return stage["name"] in g.stages or stage.get("again_of") in g.stages
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


def hidden_tails(objectives: list[ObjectiveResult]) -> list[tuple[ObjectiveResult, ObjectiveResult]]:
    """(mean, tail) for each mean that passes where a tail quantile (p95, p99) fails in the same stage."""
    means = [o for o in objectives if kind_of(o).averages and o.status in ("pass", "warn")]
    tails = [o for o in objectives if kind_of(o).is_tail(o) and o.status == "fail"]
    return [(mean, tail) for mean in means for tail in tails]


def mean_hides_tail(stage_name: str, objectives: list[ObjectiveResult]) -> list[str]:
    """One plain sentence, with the intervals that decided it, when the mean passes where p95 or p99 fails."""
    out = []
    for mean, tail in hidden_tails(objectives):
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


def advice(stage: Stage, objective: ObjectiveResult) -> str:
    """What would decide an inconclusive objective: `p99 in s4: [0.62 %, 1.41 %] at 95 % against 1 %: lengthen
    s4 to about 80 s measured, or repeat the run 6 times (--repeat 6, pooled)`."""
    c = objective.confidence
    head = f"{objective.name} in {stage.name}: {wording.interval_text(c)} against {wording.limit_text(c)}"
    fam = c.family
    if fam and not fam.kept:
        return (f"{head}: confidently over alone (p = {fam.p_value:.2g}), but not at the level a family of "
                f"{fam.tests} tests asks of it ({fam.level_used:.2g}, Holm)")
    seconds = c.seconds_needed
    if seconds:
        return (f"{head}: lengthen {stage.name} to about {seconds:.0f} s measured, "
                f"or {_repeats(stage, seconds, c.level)}")
    if c.bracketed:
        return f"{head}: the threshold lies between bucket edges; put it on an edge, or add one at it"
    return f"{head}: it sits on the objective; no stage length decides it (repeat the run to see its spread)"


def _repeats(stage: Stage, seconds: float, level: float) -> str:
    """How many runs, pooled, hold the requests `seconds` of the stage would: at least MIN_REPEATS, and enough that
    their measured windows, at the effective size the spread between runs leaves them (t at runs - 1 df:
    slo/verdicts/repeats.py), fit in them. A pooled repeat set also spreads the machine's changes between runs;
    earlier runs like it in results/ add their degrees of freedom, so fewer may do."""
    window = stage.window.seconds
    if not window:
        return "repeat it"
    runs = next((r for r in range(MIN_REPEATS, MAX_REPEATS + 1)
                 if r * window * confidence.df_factor(r, level) >= seconds), None)
    if runs is None:
        return f"repeat the run over {MAX_REPEATS} times (more than a repeat set holds: lengthen it)"
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
