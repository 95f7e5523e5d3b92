"""The Markdown report and the colored terminal summary."""
from __future__ import annotations

from common.canary import describe
from slo.verdicts.report import (AnswersCheck, AtUsualSpeed, BaselineComparison, Capacity, KneeShare, ReplicaSummary,
                                 Report, Stage, RunManifest, StageLooks)
from slo.verdicts.wording import bracket
from slo.reports.cells import fmt, markdown_table
from slo.reports.tables import INTERVAL_LEGEND, all_tables, objective_text, stage_notes

STATUS_COLORS = {"pass": "32", "warn": "33", "fail": "31", "no_data": "35", "insufficient": "35", "n/a": "2",
                "inconclusive": "36", "untrusted": "35"}


def knee_evidence(cap: Capacity) -> str:
    """What decided each end of the capacity: the bracket between the stages, or the curve fitted across them (at the
    rates offered, or at each stage's utilization where the API times its predictions)."""
    if cap.speed:
        return speed_evidence(cap)
    bracket = cap.bracket_rps
    said = []
    if cap.highest_passing_stage:
        said.append(f"{cap.highest_passing_stage} met every objective with confidence")
    if cap.lowest_failing_stage:
        said.append(f"{cap.lowest_failing_stage} failed one with confidence")
    fit = cap.fit
    if fit and "fit" in cap.decided_by:
        tails, seen = len(fit.from_tail), len(fit.from_generator)
        read = f", {tails} read from their whole tails" if tails else ""
        read += f" ({seen} as the generator timed them)" if seen else ""
        said.append(f"{fitted_ends(cap.decided_by)} from {fit.objective}'s share fitted across "
                    f"{len(fit.stages)} stages{read} (crossing near {fit.estimate_rps:g} req/s), "
                    f"inside the bracket [{bracket[0] if bracket[0] is not None else '?'}, "
                    f"{bracket[1] if bracket[1] is not None else '?'}]")
    if cap.breaks_order:
        said.append(f"out of order (a higher rate did better than a lower one): {', '.join(cap.breaks_order)}")
    return "; ".join(said)


def fitted_ends(decided_by: list[str]) -> str:
    """The ends of the capacity the fitted curve decided: "the low end", "the high end" or "the low and high ends"."""
    ends = " and ".join(e for e, by in zip(("low", "high"), decided_by) if by == "fit")
    return f"the {ends} end{'s' if ' and ' in ends else ''}"


def speed_evidence(cap: Capacity) -> str:
    """What decided each end of a capacity placed at each stage's utilization, and the stages at the rates offered."""
    speed, share = cap.speed, cap.knee_share
    low, high = speed.bracket_pct
    said = [f"each stage placed at the share of its own saturation it offered, moved to the typical speed as a "
            f"queue's latency moves with it, stated at the run's typical "
            f"{speed.typical_demand_ms:.3g} ms of prediction a request"]
    if share and "fit" in speed.decided_by:
        said.append(f"{fitted_ends(speed.decided_by)} from {share.objective}'s share fitted across "
                    f"{len(share.stages)} stages (knee near {share.estimate_pct:.0f} % of saturation), inside "
                    f"the bracket {bracket(low, high)} %")
    else:
        said.append(f"between the best confident pass and the lowest confident failure there, {bracket(low, high)} %")
    if speed.decided_by[1] == "saturation":
        said.append("the high end at the saturation itself (a queue offered more grows without bound)")
    offered = [f"{cap.highest_passing_stage} met every objective with confidence at {cap.highest_passing_rps:g}"
               if cap.highest_passing_stage else "",
               f"{cap.lowest_failing_stage} failed one at {cap.bracket_rps[1]:g}"
               if cap.lowest_failing_stage else ""]
    if any(offered):
        said.append("at the rates offered, " + " and ".join(o for o in offered if o) + " req/s")
    if cap.breaks_order:
        said.append(f"out of order at the rates offered (a higher rate did better than a lower one): "
                    f"{', '.join(cap.breaks_order)}")
    return "; ".join(said)


def headline(report: Report) -> list[str]:
    v = report.verdict
    lines = [f"Verdict: {v.status.upper()} (exit {v.exit_code}): {v.reason}"]
    lines += capacity_lines(report.capacity, report.stages)
    lines += report.sentences
    if report.baseline:
        lines += comparison_lines(report.baseline)
    lines += replica_lines(report.replicas)
    served = report.serving.served
    if served and served.get("serving"):
        plan = served["serving"]
        where = (f"in {plan['threads']} thread(s)" + (f", batches of up to {plan['batch_max']}" if plan["batch_max"] > 1
                                                       else "") if plan["where"] == "thread" else "on the event loop")
        lines.append(f"Served: {served.get('model')} {served.get('model_version')}, predictions {where}, "
                     f"{served.get('workers')} worker process(es)")
    lines += machine_speed(report.manifest or RunManifest())
    scrape = report.run.scrape_interval
    if scrape:
        scope = ", ".join(f"{k}={v if isinstance(v, str) else '|'.join(v)}" for k, v in report.run.scope.items())
        lines.append(f"Prometheus scrape interval: {scrape['seconds']:g} s ({scrape['source']}); queries scoped to {scope}")
    clocks = report.clocks
    if clocks:
        lines.append("Clocks: " + ", ".join(f"{w} {c.offset_ms:+.1f} ms (±{c.uncertainty_ms:.1f})"
                                            for w, c in sorted(clocks.workers.items()))
                     + " against the master's, measured when each joined; every window placed on the master's clock")
    lines += answers_line(report.answers)
    if report.drift:
        lines.append(f"Drift: {report.drift.summary}")
    return lines


def capacity_lines(cap: Capacity, stages: list[Stage]) -> list[str]:
    """The capacity's interval and what decided it, the stages judged at looks and the refinement's steps, the stages
    that set no end (undecided, generator-bound) and the first stage to break an objective."""
    lines = []
    low, high = cap.interval_rps
    rates = {"offered": " offered", "at the typical speed": " at the run's typical speed"}.get(cap.rates, "")
    if low and high:
        lines.append(f"Capacity: in [{low:g}, {high:g}] req/s{rates} (width {cap.width:.0%} of its low end): "
                     + knee_evidence(cap))
    elif cap.speed and (low or high):
        lines.append(f"Capacity: in {bracket(low, high)} req/s{rates} (no stage "
                     f"{'failed' if low else 'passed'} with confidence): " + knee_evidence(cap))
    elif cap.highest_passing_stage:
        lines.append(f"Capacity: stage {cap.highest_passing_stage} met every objective with confidence at "
                     f"{low:g} req/s; capacity in [{low:g}, ?] req/s (no stage failed with confidence)")
    elif high:
        lines.append(f"Capacity: below {high:g} req/s ({cap.lowest_failing_stage} failed with confidence; "
                     "no stage passed with confidence)")
    lines += knee_share_lines(cap.knee_share) + usual_speed_lines(cap.usual_speed)
    at_looks = [s for s in stages if not s.refine and looked(s.looks)]
    if at_looks:
        lines.append("Judged at looks while they ran, each ended at the first that decided it: "
                     + ", ".join(f"{s.name} {s.status}{looked(s.looks)}" for s in at_looks))
    steps = [s for s in stages if s.refine]
    if steps:
        lines.append("Refined after the ladder, where the capacity was uncertain: "
                     + ", ".join(f"{s.name}{run_again_text(s, stages)} {s.status}{looked(s.looks)}" for s in steps))
    if cap.inconclusive_stages:
        lines.append(f"Inconclusive stages: {', '.join(cap.inconclusive_stages)}: their intervals straddle an "
                     "objective (see Confidence)")
    if cap.generator_bound_stages:
        lines.append(f"Generator-bound: {', '.join(cap.generator_bound_stages)}: a load generator was saturated, so "
                     "these stages measured the generator, not the API (they cannot be the capacity)")
        for name, need in cap.generators_needed.items():
            if need:
                lines.append(f"  {name}: {need['requests_per_cpu_s']:,} requests per CPU-second measured in each of "
                             f"{need['processes']} generator process(es); its rate takes about {need['needed']} at half "
                             f"a core each: LOCUST_PROCESSES={need['needed']} on a host with that many free cores, or "
                             "`make worker MASTER=...` on other hosts (docs/scaling-out.md)")
    if cap.first_failing_stage:
        broken = ", ".join(f"{b['objective']} {fmt(b['measured'], b['unit'])} vs {fmt(b['threshold'], b['unit'])}"
                           + (f" (x{b['ratio']:.2f})" if b["ratio"] is not None and b["unit"] == "ms" else "")
                           for b in cap.broken)
        lines.append(f"First stage to break an objective: {cap.first_failing_stage}: {broken}")
    return lines


def run_again_text(step, stages) -> str:
    """A step offered a rate a stage that measured the machine had offered: it ran that stage again."""
    again = next((s.name for s in stages if s.departed and not s.refine and s.offered_rps == step.offered_rps), None)
    return f" ({again} run again)" if again else ""


def looked(looks: StageLooks | None) -> str:
    """How a stage or step judged at looks ended: at which look, or at its longest; and the level its verdicts keep."""
    if not looks or not looks.several:
        return ""
    at, n = looks.ended_at_look, len(looks.shares)
    ended = f"decided at look {at} of {n}" if at else f"ran all {n} looks"
    return f" ({ended}, each at {looks.per_look_level:.1%})"


def knee_share_lines(share: KneeShare | None) -> list[str]:
    """The knee as a share of the saturation each stage measured: what carries to a machine of another speed."""
    if not share:
        return []
    low, high = (None if v is None else round(v) for v in share.interval_pct)
    return [f"Knee: at {share.estimate_pct:.0f} % {bracket(low, high)} of the saturation each stage measured "
            f"({share.objective}'s share fitted across {len(share.stages)} stages; a typical stage took "
            f"{share.typical_demand_ms:.1f} ms of prediction a request, {share.servers} process(es)): the "
            "capacity in req/s moves with the machine's speed, this share much less"]


def usual_speed_lines(usual: AtUsualSpeed | None) -> list[str]:
    """The capacity at the machine's usual speed across the runs like this one: what compares between them."""
    if not usual:
        return []
    ratio = usual.ratio - 1
    pace = "at it" if abs(ratio) < 0.005 else f"{abs(ratio):.0%} {'slower' if ratio > 0 else 'faster'}"
    moved = f", the knee's share moved {usual.shift_pct:+.1f} points as a queue's does" if usual.shift_pct else ""
    return [f"At the machine's usual speed: {bracket(*usual.interval_rps)} req/s, at {usual.usual_demand_ms:.3g} ms of "
            f"prediction a request, the median of {usual.runs} runs like this one ({usual.range_ms[0]:.3g} to "
            f"{usual.range_ms[1]:.3g} ms; this run {pace}{moved}): what this run says of the machine on a usual "
            "run, where its speed moves between runs"]


def replica_lines(reps: ReplicaSummary | None) -> list[str]:
    """With replicas: whether the balancer spread the load evenly, and which replica broke first."""
    if not reps:
        return []
    spread = "spread the load evenly" if reps.even else f"spread the load unevenly in {', '.join(reps.uneven_stages)}"
    lines = [f"Replicas: {len(reps.replicas)} behind the balancer, which {spread}"]
    first = reps.first_broken
    if first:
        lines.append(f"First replica to break: {first['replica']} in stage {first['stage']} ({first['what']})")
    return lines


def answers_line(answers: AnswersCheck | None) -> list[str]:
    """Every answer the generators received, checked against the served model: how many, how many wrong, and what
    share of wrong answers that supports."""
    if not answers:
        return []
    if answers.status != "checked":
        return [f"Answers: not checked: {answers.why}"]
    low, high = answers.interval or (0, 0)
    level = f"{answers.level:.0%}"
    if not answers.wrong:
        return [f"Answers: {answers.checked:,} received, each recomputed with {answers.model.version}: none "
                f"wrong (at most {100 * high:.2g} % wrong at {level}; checked in {answers.seconds:g} s)"]
    return [f"Answers: {answers.wrong:,} of {answers.checked:,} received differ from {answers.model.version}'s "
            f"own ({100 * answers.share:.3g} %, [{100 * low:.3g} %, {100 * high:.3g} %] at {level}); request ids "
            f"{', '.join(map(str, answers.examples))}"]


def machine_speed(manifest: RunManifest) -> list[str]:
    """What the machine measured before the load: the canaries' timings, and the saturation the ladder was
    placed from (compare runs' figures only with these beside them)."""
    lines = []
    canary, probe = manifest.canary, manifest.probe
    if canary:
        lines.append("Machine speed before the load: " + describe(canary))
    if probe:
        lines.append(f"Saturation probe: {probe['rps']:.1f} req/s [{probe['low']:.1f}, {probe['high']:.1f}] of the "
                     f"profile's mix ({probe['service_ms']:.1f} ms a request), measured closed-loop before the stages; "
                     "the stages declared as shares of saturation were placed from it"
                     + "".join(f"; {n}" for n in probe.get("notes") or []))
    return lines


def markdown(report: Report) -> str:
    out = [f"# SLO report: {report.service}, run {report.run.id}", "", *[f"- {l}" for l in headline(report)], ""]
    for table in all_tables(report):
        out += [*markdown_table(table), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def terminal(report: Report, color: bool = True) -> str:
    def paint(text: str, status: str) -> str:
        return f"\033[{STATUS_COLORS.get(status, '0')}m{text}\033[0m" if color else text

    names = [o["name"] for o in report.slo["objectives"]]
    width = max([5, *(len(s.name) for s in report.stages)])
    cell = max([13, *(len(objective_text(o)) for s in report.stages for o in s.objectives)])
    head = f"{'stage':<{width}}  gate  {'req/s':>7}  " + "  ".join(f"{n:>{cell}}" for n in names)
    lines = [head, "-" * len(head)]
    for s in report.stages:
        cells = "  ".join(paint(f"{objective_text(o):>{cell}}", o.status) for o in s.objectives)
        lines.append(f"{s.name:<{width}}  {'yes ' if s.gated else 'no  '}  "
                     f"{fmt(s.server.rps_all_traffic):>7}  {cells}")
    lines.append(INTERVAL_LEGEND.format(level=report.slo.get("confidence_level", 0.95)))
    notes = [f"{s.name}: {n}" for s in report.stages for n in stage_notes(s)]
    if notes:
        lines += ["", "Notes:", *notes]
    v = report.verdict
    lines += ["", *[paint(l, v.status) if i == 0 else l for i, l in enumerate(headline(report))]]
    return "\n".join(lines)


def comparison_lines(comparison: BaselineComparison) -> list[str]:
    """The comparison in two lines: the capacity's intervals, and which figures moved beyond noise, by direction."""
    out = []
    cap = comparison.capacity
    if cap:
        out.append(f"Against baseline {comparison.run}: capacity {bracket(*cap.baseline_rps)} -> "
                   f"{bracket(*cap.current_rps)} req/s: {cap.verdict}")
        share = cap.knee_share
        if share:
            out.append(f"  the knee as a share of the saturation each run measured: {bracket(*share.baseline_pct)} "
                       f"-> {bracket(*share.current_pct)} %: {share.verdict}; while the load ran a prediction "
                       f"took {share.current_demand_ms:g} ms here against {share.baseline_demand_ms:g} ms in "
                       f"the baseline (x{share.demand_ratio:.2f}): at the baseline's speed, the current capacity "
                       f"would be {bracket(*share.current_rps_at_baseline_speed)} req/s")
    machine = comparison.machine
    if machine and machine.differs:
        out.append(f"  the machines ran at different speeds: one prediction of the model's canary took "
                   f"{machine.current_ms:g} ms here against {machine.baseline_ms:g} ms in the baseline "
                   f"(x{machine.ratio:.2f}); at the baseline's speed, the current capacity would be "
                   f"{bracket(*machine.current_rps_at_baseline_speed)} req/s")
    for verdict, figures in comparison.moved().items():
        if figures:
            out.append(f"  {verdict} beyond noise: " + "; ".join(f"{n} in {len(st)} stage(s) ({', '.join(st)})"
                                                                for n, st in figures.items()))
    return out
