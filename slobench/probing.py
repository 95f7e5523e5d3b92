"""The ladder placed from the saturation probe, with the probe watched: other work on the API's cores while the probe
runs lowers what it measures, and the ladder placed from it. A busy loop on the API's core during the probe read
35 req/s where the stages' prediction time then allowed 67: the ladder ran at half its rates, every knee stage far
under the knee, and the run's capacity stayed [27.5, 82.1] req/s. So where other work took more than OTHER_WORK of
those cores while it ran (the low end of its interval, as slo/verdicts/machine.py reads a stage's), the probe is
measured again, once, at its busiest concurrency (the figure open load near the knee meets), and the figure
measured with less other work is taken (the higher figure where both shared the cores alike); on a machine shared
through both, the stages will share it too, and the figure stands (the run then took one level longer: measuring
the whole probe again had left a run on a machine shared throughout 15 s less for its one refinement step)."""
from __future__ import annotations

import dataclasses
import time

from loadtests import probe
from loadtests.profile import Profile
from slo.file.model import SloSpec
from slo.verdicts import sample_fit
from slo.verdicts.machine import stage_machine
from stack.monitor import MachineMonitor

OTHER_WORK = 0.10   # of the API's cores, the low end of its interval
QUIETER = "the figure measured with less of it is taken"


def other_work(watch: MachineMonitor | None, start: float, end: float, level: float) -> dict | None:
    """What other work took of the API's cores between `start` and `end` (stage_machine's figures); None without a
    watch (an API this run did not start) or with under three of its seconds."""
    return stage_machine(watch.figures(), start, end, level) if watch is not None else None


def _taken(took: dict) -> str:
    return f"{took['taken_share']:.0%} [{took['low']:.0%}, {took['high']:.0%}]"


def watched(measure, measure_again, watch: MachineMonitor | None, level: float, log=print) -> probe.Saturation:
    """`measure()` (the probe), and `measure_again()` once where other work took more than OTHER_WORK of the API's
    cores while it ran; the figure _kept, its notes saying both."""
    start = time.time()
    first = measure()
    took = other_work(watch, start, time.time(), level)
    if took is None or took["low"] < OTHER_WORK:
        return first
    log(f"  probe: other work took {_taken(took)} of the API's core(s) while it ran; measuring it again")
    start = time.time()
    second = measure_again()
    again = other_work(watch, start, time.time(), level)
    kept, rule = _kept(first, took, second, again)
    shared = again is not None and again["low"] >= OTHER_WORK
    note = (f"other work took {_taken(took)} of the API's core(s) while it ran ({first.rps:.1f} req/s) and "
            + (f"{_taken(again)} when measured again ({second.rps:.1f})" if again else
               f"an unknown share when measured again ({second.rps:.1f})")
            + f": {rule}"
            + ("; the machine stayed shared, and the stages will share it too" if shared else ""))
    log(f"  probe: {note}")
    return dataclasses.replace(kept, notes=[*kept.notes, note])


def _kept(first: probe.Saturation, took: dict, second: probe.Saturation, again: dict | None
          ) -> tuple[probe.Saturation, str]:
    """Of the two probes, the one measured with less other work; where the two shares are the same within their
    intervals (a machine shared alike through both), the higher figure, since other work only lowers what a
    closed-loop client reads. A busy loop on the API's core all along took 47 % of it through both: 41.5 req/s,
    then 36.2, where the stages then saturated near 42 (the utilization law; 39.5 served when offered 43.5). Placed
    from 36.2, the ladder's top knee stage ran at 80 % of that saturation, under the knee, at 81 % of it."""
    if again is None:
        return first, QUIETER
    if again["low"] <= took["high"] and took["low"] <= again["high"]:
        return max(first, second, key=lambda s: s.rps), ("the same within noise both times: the higher figure is "
                                                          "taken, as other work only lowers it")
    return (second if again["taken_share"] < took["taken_share"] else first), QUIETER


def place(profile: Profile, spec: SloSpec, saturation_rps: float) -> Profile:
    """The profile's shares placed at `saturation_rps` and at the knee the SLO file's latency objectives predict
    there (an M/M/1 queue's)."""
    return profile.placed(saturation_rps, spec.queue_knee_rps(saturation_rps))


def place_ladder(target: str, profile: Profile, spec: SloSpec, cpus: set[int] | None, log=print,
                 watch: MachineMonitor | None = None) -> tuple[Profile, probe.Saturation]:
    """The target's saturation measured (watched), the profile's shares of it and of the knee the SLO file predicts
    there turned into rates (and their stages checked for size as any declared rate is), before any stage starts."""
    plan = profile.probe_plan
    if profile.needs_probe:
        place(profile, spec, 1.0)   # a share the SLO file cannot place is refused here, before the probe's load
    log(f"measuring what {target} serves of the profile's mix: closed-loop clients at concurrency "
        f"{', '.join(map(str, plan.concurrency))}, {plan.warm_s + plan.seconds:g} s each")
    busiest = profile.model_copy(update={"probe": plan.model_copy(update={"concurrency": [max(plan.concurrency)]})})
    saturation = watched(lambda: probe.measure(target, profile, log, cpus),
                         lambda: probe.measure(target, busiest, log, cpus), watch, spec.confidence_level, log)
    log(saturation.sentence())
    if not profile.needs_probe:
        return profile, saturation
    placed = place(profile, spec, saturation.rps)
    if placed.placement.knee_rps:
        log(f"  predicted knee: {placed.placement.knee_rps:g} req/s ({placed.placement.knee_rps / saturation.rps:.0%} "
            "of it), where an M/M/1 queue serving it would meet the SLO file's latency objectives exactly")
    for line in placed.outline():
        log(f"  {line}")
    sample_fit.check(placed, spec, log)
    return placed, saturation
