"""The run's capacity across its stages: which stages speak for the API, the bracket between the best confident pass
and the lowest confident failure (slo/verdicts/knee.py), the knee's curves fitted across the stages that narrow it,
and the speed it is stated at (slo/verdicts/knee_speed.py). The report's model of it is report/capacity.py."""
from __future__ import annotations

import math
from collections.abc import Sequence

from slo.file.model import SloSpec
from slo.verdicts import knee
from slo.verdicts.report import Capacity, KneeFit, Report, Stage
from slo.verdicts.knee_speed import at_typical_speed, at_usual_speed, knee_reach_rps, knee_share

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


def capacity(stages: list[Stage], servers: int = 1, like: Sequence[Report] = (), spec: SloSpec | None = None
             ) -> Capacity:
    """The capacity as an interval: [the last stage whose every objective passed with confidence, walking up from the
    lowest until one did not, the last that failed one with confidence, walking down from the highest until one did
    not (knee.bracket_stages)], each at the rate it offered (achieved when none was declared). A stage whose
    generator was saturated measured the generator: it is neither (generator-bound); nor is one whose API ran on a
    machine of another speed than the rest of its run (slowed or faster: it measured the machine), or served the
    queue such a stage left (after). A stage in between that neither passed nor failed with confidence lies inside
    the interval: no pass above it moves the low end, no failure under it the high end.
    Beside it, the knee as a share of the saturation each stage measured (`servers` API processes): a slowed stage
    counts there, at the load it was on the machine it ran on. Where that share was fitted (the API times its
    predictions), the interval is found in shares of saturation and stated at the run's typical speed
    (knee_speed.at_typical_speed); `bracket_rps` keeps the rates offered. With the earlier runs `like` it (their
    reports), also at the machine's usual speed across them (knee_speed.at_usual_speed; the knee's share moved with
    the speed as an M/M/1 queue's under `spec`'s latency objectives)."""
    bound = [s.name for s in stages if s.client.generator_bound]
    judged = _judged(stages)
    best, lowest_fail = knee.bracket_stages(judged, lambda s: s.rate)
    # The bracket is the evidence; the curve fitted across every stage narrows it where its interval lies inside.
    level = _level(judged)
    knees = knee.share_knees([s for s in judged if not s.collapsed], lambda s: s.rate, level)
    crossing = knee.lowest_crossing(knees)
    broken = next((s for s in judged if knee.failed_with_confidence(s)), None)  # the first
    out = {**_stages_named(stages, judged, bound),
           "highest_passing_stage": best and best.name, "highest_passing_rps": best and best.rate,
           "lowest_failing_stage": lowest_fail and lowest_fail.name,
           "first_failing_stage": broken and broken.name, "broken": broken_objectives(broken) if broken else [],
           "bracket_rps": [best and best.rate, lowest_fail and lowest_fail.rate],
           "fit": KneeFit(**crossing) if crossing else None,
           "breaks_order": sorted({b for k in knees.values() for b in k["breaks_order"]})}
    out.update(_stated(out, stages, judged, servers, level, like, spec))
    low, high = out["interval_rps"]
    out.update(closed=bool(low and high), width=round((high - low) / low, 4) if low and high else None)
    return Capacity(**out)


def _stages_named(stages: list[Stage], judged: list[Stage], bound: list[str]) -> dict:
    """The stages the capacity names: set aside (generator-bound, on a machine of another speed, serving the queue
    one left, held while other work took the API's core) and, among those judged, the undecided, the collapsed and
    those whose client's tail broke an objective."""
    held = [s.name for s in stages if s.held_from is not None]
    return {**({"held_stages": held} if held else {}), "generator_bound_stages": bound,
            "slowed_stages": [s.name for s in stages if s.machine and s.machine.slowed],
            "faster_stages": [s.name for s in stages if s.machine and s.machine.faster],
            "after_slowed_stages": [s.name for s in stages if s.machine and s.machine.after],
            "inconclusive_stages": [s.name for s in judged if s.status == "inconclusive"],
            "collapsed_stages": [{"stage": s.name, "offered_rps": s.offered_rps,
                                  "achieved_rps": s.server.rps_all_traffic} for s in judged if s.collapsed],
            # Met on the server while the client's tail broke an objective: not a capacity users would accept.
            "client_tail_stages": [s.name for s in judged if s.client_breaks],
            "generators_needed": {s.name: generators_needed(s) for s in stages if s.name in bound}}


def _stated(out: dict, stages: list[Stage], judged: list[Stage], servers: int, level: float, like: Sequence[Report],
            spec: SloSpec | None) -> dict:
    """The interval, what decided each end and the rates it is stated at: where the API times its predictions, every
    stage placed at its own utilization moved to the run's typical speed, and the interval stated at that speed
    (knee_speed.at_typical_speed), and at the machine's usual one where earlier runs `like` it say what that is;
    elsewhere the bracket at the rates offered, narrowed by the fit there."""
    share = knee_share(_fitted(stages), servers, level, typical_from=judged)
    speed = at_typical_speed(judged, servers, share)
    if speed is None:
        interval, decided_by = knee.narrowed(list(out["bracket_rps"]), out["fit"] and out["fit"].interval_rps)
        return {"knee_share": share, "speed": None, "interval_rps": interval, "decided_by": decided_by,
                "rates": "offered" if all(s.offered_rps for s in judged) else "achieved where none was offered"}
    stated = {"knee_share": share, "speed": speed, "interval_rps": speed.interval_rps,
              "decided_by": speed.decided_by, "rates": "at the typical speed"}
    usual = at_usual_speed(speed, [r.capacity.speed.typical_demand_ms for r in like if r.capacity.speed], servers,
                           spec and spec.queue_knee_pct)
    if usual:  # set only where found: a report without it holds the same JSON as before
        stated["usual_speed"] = usual
    return stated


def _judged(stages: list[Stage]) -> list[Stage]:
    """The stages the capacity is judged on: neither generator-bound nor run on a machine of another speed."""
    return [s for s in stages if not s.client.generator_bound and not s.departed]


def _level(stages: list[Stage]) -> float:
    return next((o.confidence.level for s in stages for o in s.objectives if o.confidence.level), 0.95)


def _fitted(stages: list[Stage]) -> list[Stage]:
    """The stages the knee's share is fitted across: a slowed stage counts, at the load it was on the machine it ran
    on; not one whose generator could not keep up, a collapsed one, nor a held one (its window holds its arrivals
    before the hold and the queue served during it: no load it held)."""
    return [s for s in stages if not s.client.generator_bound and not s.collapsed and s.held_from is None]


def knee_reach(stages: list[Stage], servers: int = 1) -> float | None:
    """Where the knee's share fitted across the run's stages crosses its objective (knee_speed.knee_reach_rps), as
    the capacity fits it: the stages the capacity is judged on give the typical speed."""
    judged = _judged(stages)
    return knee_reach_rps(_fitted(stages), servers, _level(judged), typical_from=judged)


def broken_objectives(stage: Stage) -> list[dict]:
    """The objectives a stage failed, each with how far it was over its threshold."""
    out = []
    for o in stage.objectives:
        if o.status == "fail":
            by = (o.measured / o.threshold) if o.threshold else None
            out.append({"objective": o.name, "measured": o.measured, "threshold": o.threshold,
                        "unit": o.unit, "ratio": round(by, 3) if by is not None else None})
    return out
