"""Whether the machine changed speed during a stage, from what the harness sampled each second while the load ran
(machine.json): how much of the API's cores went to other work (another process, or the hypervisor's steal), and
the CPU time a fixed piece of work took on the API's core.

The run's reference is its typical stage (the median). A stage where other work took a tenth of the cores more (or
less) beyond noise, or a quarter more for a few seconds in a row, ran on a slower (or faster) machine than the rest
of the run: it measured the machine, not the API, and sets neither end of the capacity. Not where the cores were
never idle in any stage: other work that ran alongside the API all run long takes what the API leaves, so its share
falls as the API's load rises (a process pinned to the API's core for a whole run took 70 % of it beside the gate
and 48 % beside the stages past the knee, the core never idle), which is no change of machine. A machine shared alike
through the whole run is no departure: its stages agree with each other, and the run says what its figures are of.
The fixed work's time alone is not judged: it moved with the API's own load (0.75 ms a unit on a core the API
saturated, against 0.96 in the run's typical stage, and 0.75 to 1.5 ms from second to second on an idle one). What
other work's share cannot see (a host that changed speed under the machine: a quiet run whose predictions took 24 ms
a request through its first stages took 15.7 in its last, where the fixed work ran a third faster) shows in the
prediction time a request took (the service time), named where it departs by SERVICE_DEPARTURE from the run's
typical stage and the fixed work's interval lies beyond its own reference the same way: the API's own load moves
the service time too (a tenth less at saturation; more with batching), but not the fixed work."""
from __future__ import annotations

import statistics
from typing import NamedTuple

from common.sample import mean_interval
from slo.verdicts.report import Stage, StageMachine
from slo.verdicts.saturation import stage_demand_ms, stage_utilization, typical_demand_ms

DEPARTURE = 0.10   # of the API's cores, beyond noise, between a stage and the run's reference
IDLE = 0.05   # a stage whose API cores were idle less than this share of the time left them no room
# A slow spell inside a stage: SPELL_S consecutive seconds in which other work took SPELL of the API's cores more
# than in the run's typical stage. Its mean over the stage may stay within noise (a 60 s process on the API's core
# covered 5 of a stage's 22 s: 12 % taken, [0 %, 28 %]), while the queue it built is served inside the stage.
SPELL_S, SPELL = 5, 0.25
WAKE = 0.5   # of the requests in flight a slowed stage held, still in flight in the next: it serves that queue
# A queue left behind: at least this many seconds of the stage's own arrivals in flight at once. A stage that kept up
# holds far fewer (4 to 17 at 15 to 45 req/s on the forest API); one a process on its core slowed, hundreds.
QUEUE_LEFT_S = 1.0
# A backlog served: requests beyond the window's own arrivals (the generator's count of what it sent in it) by over
# this many seconds of them, past a scrape's worth (the counter's extrapolation to the window's edges). A stage that
# kept up serves within a few requests of what it was sent (-14 to +5 in a run's quiet stages at 15 to 50 req/s);
# the one after a minute of other work on the API's core served 144 more than its 1,224 arrivals, holding under
# half the requests in flight the stage before it did.
BACKLOG_S = 1.0
# Of the run's typical stage's service time: on quiet runs stages moved by up to 16 % (a tenth less at saturation),
# on a host that sped up mid-run by 32 %.
SERVICE_DEPARTURE = 0.25


class Second(NamedTuple):
    """What the API's cores did between two of the harness's samples (core-seconds), ending at `t`."""
    t: float
    other: float   # busy time beyond the API's own CPU time: other processes
    steal: float   # stolen by the hypervisor
    dt: float      # the seconds between the samples
    idle: float
    api: float     # the API's own CPU time


def seconds_of(samples: list[dict], start: float = float("-inf"), end: float = float("inf")) -> list[Second]:
    """Each pair of consecutive samples inside [start, end] with the API's CPU time, as a Second."""
    inside = [s for s in samples if start <= s["t"] <= end and s.get("api_cpu_s") is not None]
    out = []
    for a, b in zip(inside, inside[1:]):
        dt = b["t"] - a["t"]
        if dt <= 0:
            continue
        busy = sum(b["cores"][c][0] - a["cores"][c][0] for c in b["cores"])
        steal = sum(b["cores"][c][1] - a["cores"][c][1] for c in b["cores"])
        elapsed = sum(b["cores"][c][2] - a["cores"][c][2] for c in b["cores"])
        api = b["api_cpu_s"] - a["api_cpu_s"]
        out.append(Second(b["t"], max(0.0, busy - api), steal, dt, max(0.0, elapsed - busy - steal), api))
    return out


def _speed(machine: dict, start: float, end: float, level: float) -> dict | None:
    """The fixed work's mean CPU time over the window's seconds, with a t interval; None with under 3 of them."""
    units = [ms for t, ms in machine.get("speed") or [] if start <= t <= end]
    if len(units) < 3:
        return None
    mean, low, high = mean_interval(units, level)
    return {"unit_ms": round(mean, 4), "low": round(low, 4), "high": round(high, 4), "seconds": len(units)}


def stage_machine(machine: dict | None, start: float, end: float, level: float) -> dict | None:
    """The share of the API's cores other work took in the window (mean over its seconds, with a t interval over
    them), the hypervisor's steal among it, and the core's speed; None without samples. Whether the stage departs
    from the rest of its run is set by mark_departures."""
    if not machine or not machine.get("samples"):
        return None
    cores = max(1, len(machine.get("api_cpus") or []) or 1)
    deltas = seconds_of(machine["samples"], start, end)
    if len(deltas) < 3:
        return None
    shares = [(d.other + d.steal) / (cores * d.dt) for d in deltas]
    k = len(shares)
    mean, low, high = mean_interval(shares, level)
    steal = sum(d.steal for d in deltas) / sum(cores * d.dt for d in deltas)
    idle = sum(d.idle for d in deltas) / sum(cores * d.dt for d in deltas)
    spell = max((sum(shares[i:i + SPELL_S]) / SPELL_S for i in range(k - SPELL_S + 1)), default=mean)
    return {"taken_share": round(mean, 4), "low": round(max(0.0, low), 4), "high": round(high, 4),
            "worst_spell": round(spell, 4),
            "steal_share": round(steal, 4), "idle_share": round(idle, 4), "seconds": k, "slowed": False,
            "faster": False,
            "speed": _speed(machine, start, end, level),
            "method": f"each second, the API's cores' busy time less the API's own CPU time, plus steal; t interval "
                      f"over {k} seconds; a departure when its interval lies {DEPARTURE:.0%} of the cores beyond "
                      "the run's reference (the median stage's share)"}


def mark_departures(stages: list[Stage], servers: int = 1) -> tuple[list[Stage], float | None]:
    """The stages with each one's machine figures marked `slowed` (other work took more of the API's cores than in
    the run's typical stage by over DEPARTURE beyond noise, or by SPELL over SPELL_S seconds in a row) or `faster`
    (less, beyond noise), unless the cores were never idle in any stage (other work filled what the API left all run
    long), with the references (the fixed work's too, to show); and the taken share's reference, None without
    machine figures. A stage's marks need the whole run's, so they are made here, before the capacity reads them."""
    # model_dump gives fresh mappings: marking them leaves the frozen stages as they were.
    marks = {i: s.machine.model_dump(exclude_unset=True) for i, s in enumerate(stages) if s.machine}
    if not marks:
        return list(stages), None
    figures = list(marks.values())
    reference = statistics.median(m["taken_share"] for m in figures)
    full_throughout = all(m.get("idle_share", 1.0) < IDLE for m in figures)
    timed = [m["speed"] for m in figures if m.get("speed")]
    unit = statistics.median(t["unit_ms"] for t in timed) if timed else None
    for m in figures:
        if m.get("speed") and unit:
            m["speed"]["reference_ms"] = round(unit, 4)
        spell = m.get("worst_spell", m["taken_share"]) > reference + SPELL
        # On cores full in every stage, other work's share rises exactly as far as the API's own load falls: the
        # API wanted less, which is no slower machine (nor, the other way, a faster one).
        m.update(reference=round(reference, 4),
                 slowed=(m["low"] > reference + DEPARTURE or spell) and not full_throughout,
                 faster=m["high"] < reference - DEPARTURE and not spell and not full_throughout)
    _mark_service_departures(stages, marks)
    _mark_wakes(stages, marks, servers)
    return [s.model_copy(update={"machine": StageMachine.model_validate(marks[i])}) if i in marks else s
            for i, s in enumerate(stages)], reference


def _mark_service_departures(stages: list[Stage], marks: dict[int, dict]) -> None:
    """Set `service` in the marks of each stage with a service time (the prediction time a request took, and the
    run's typical stage's), and name it slowed or faster where that departs by SERVICE_DEPARTURE and the core's
    fixed work agrees beyond its own interval."""
    demands = {i: stage_demand_ms(s) for i, s in enumerate(stages) if i in marks}
    timed = [stages[i] for i, d in demands.items() if d is not None and not stages[i].collapsed]
    if len(timed) < 3:
        return
    # The typical stage as the capacity states it (saturation.typical_demand_ms: collapsed stages left out, their
    # prediction time moving with the queue), so a stage's departure and the capacity speak of one speed.
    typical = typical_demand_ms(timed)
    for i, demand in demands.items():
        if demand is None:
            continue
        m = marks[i]
        m["service"] = {"ms": round(demand, 3), "reference_ms": round(typical, 3)}
        speed = m.get("speed") or {}
        unit = speed.get("reference_ms")
        if unit is None or m["slowed"] or m["faster"]:
            continue
        if demand > typical * (1 + SERVICE_DEPARTURE) and speed["low"] > unit:
            m.update(slowed=True, by="service")
        elif demand < typical * (1 - SERVICE_DEPARTURE) and speed["high"] < unit:
            m.update(faster=True, by="service")


def _in_flight(stage: Stage) -> float | None:
    return (stage.server.serving or {}).get("in_flight_max")


def _served_backlog(stage: Stage) -> bool:
    """Whether the stage served more than the arrivals sent in its window by over BACKLOG_S of them past a scrape's
    worth: requests that arrived before it, a queue left behind."""
    sent, seconds, rps = stage.client.sent, stage.server.window_s, stage.server.rps_all_traffic
    if not (sent and seconds and rps and stage.offered_rps):
        return False
    scrape_s = seconds / stage.server.up_samples if stage.server.up_samples else 1.0
    return rps * seconds - sent > (BACKLOG_S + scrape_s) * stage.offered_rps


def _mark_wakes(stages: list[Stage], marks: dict[int, dict], servers: int) -> None:
    """Set `after` in the marks of a stage that served the queue a slower stage before it left: the stages follow
    one another without a pause, so the requests a slowed stage could not serve wait into the next, which then
    measures them (a process on the API's core for a minute left 497 requests in flight; the next stage, at 80 % of
    saturation, served 50 req/s against 48.8 offered, held up to 340 in flight and failed every objective). Still
    serving it, at a rate the API (`servers` processes) could serve (under its saturation, by the prediction time a
    request took in the stage): in flight up to at least half of what the stage before held, or served more than its
    own arrivals (_served_backlog: the stage after that one, holding 148 in flight against 363). A slowed
    stage that kept up left no queue (QUEUE_LEFT_S): on a rising ladder the next stage holds more in flight of its
    own arrivals, which named every stage after a slowed gate as serving its wake. Nor did a held one (the stage
    that runs it again starts once the API has served its queue: loadtests/holds.py)."""
    for i, (before, stage) in enumerate(zip(stages, stages[1:]), start=1):
        m, prior = marks.get(i), marks.get(i - 1) or {}
        if not m or m["slowed"] or m["faster"] or not (prior.get("slowed") or prior.get("after")):
            continue
        if stage.again_of:   # run again after a hold, which lasted until the API had served the queue
            continue
        held, left = _in_flight(stage), _in_flight(before)
        queue_left = held is not None and left and held >= WAKE * left and left >= QUEUE_LEFT_S * before.rate
        if not (queue_left or _served_backlog(stage)):
            continue
        # Offered past its saturation, a stage fails on its own arrivals, whatever queue it was left.
        utilization = stage_utilization(stage, servers)
        if utilization is None or utilization < 1:
            m["after"] = before.name if prior.get("slowed") else prior["after"]


def machine_sentences(stages: list[Stage], reference: float | None) -> list[str]:
    """The run's shared machine, if shared throughout, and one sentence per stage that departed from it or was held."""
    out = []
    if reference is not None and reference > DEPARTURE:
        out.append(f"Other work took {reference:.0%} of the API's core(s) in the run's typical stage: every figure "
                   "is of a machine shared with it (the canaries in the manifest say how fast it ran).")
    for s in stages:
        if s.held_from is not None:
            out.append(_held_sentence(s))
        m = s.machine
        if m is None:
            continue
        if m.by == "service":
            out.append(_service_sentence(s.name, m))
        elif m.slowed or m.faster:
            out.append(f"Stage {s.name} ran on a {'slower' if m.slowed else 'faster'} machine than the rest of "
                       f"the run: other work took {m.taken_share:.0%} [{m.low:.0%}, {m.high:.0%}] of the "
                       f"API's core(s) against {m.reference:.0%} in its typical stage"
                       + (f", {m.worst_spell:.0%} over its worst {SPELL_S} s" if (m.worst_spell or 0)
                          > m.reference + SPELL else "")
                       + (f" ({m.steal_share:.0%} stolen by the hypervisor)" if m.steal_share >= 0.01 else "")
                       + "; it measured the machine, not the API, and sets neither end of the capacity.")
        if m.after:
            out.append(f"Stage {s.name} served the queue {m.after} left on the slower machine (up to "
                       f"{_in_flight(s):g} requests in flight): it sets neither end of the capacity either.")
    return out


def _held_sentence(stage: Stage) -> str:
    into = stage.held_from - stage.window.start
    return (f"Stage {stage.name} was held {f'{into:.0f} s into its window' if into >= 0 else 'before its window began'}"
            f": other work took the API's core, so the arrivals stopped until the machine was back and the API had "
            f"served its queue, and it ran again as {stage.again}; it sets no end of the capacity.")


def _service_sentence(name: str, m: StageMachine) -> str:
    service, speed = m.service, m.speed
    return (f"Stage {name} ran on a {'slower' if m.slowed else 'faster'} machine than the rest of the run: a "
            f"prediction took {service['ms']:.1f} ms of the API's time a request against {service['reference_ms']:.1f} "
            f"ms in its typical stage, and the core's fixed work {speed['unit_ms']:.3g} ms [{speed['low']:.3g}, "
            f"{speed['high']:.3g}] against {speed['reference_ms']:.3g} ms, with no more other work on its core: the "
            "host itself changed speed; it measured the machine, not the API, and sets neither end of the capacity.")
