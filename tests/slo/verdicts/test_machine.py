"""A stage run on a machine slower (or faster) than the rest of its run is named from what the harness sampled of the
API's cores, and sets neither end of the capacity; a quiet machine, the API's own load however heavy, or a machine
shared alike through the whole run is not a departure."""
import statistics

import pytest

from slo.verdicts.machine import machine_sentences, mark_departures, stage_machine
from slo.verdicts.capacity import capacity
from slo.verdicts.report import RunManifest, ServerFigures, Stage, StageMachine
from tests.slo.fakes import stage_of


def _samples(seconds: int, api_busy: float, other: float, steal: float = 0.0, start: float = 1000.0) -> dict:
    """One core: each second the API uses api_busy of it, other work `other`, the hypervisor steals `steal`."""
    out, busy, stolen, api = [], 0.0, 0.0, 0.0
    for i in range(seconds + 1):
        out.append({"t": start + i, "cores": {"0": [busy, stolen, float(i)]}, "api_cpu_s": api})
        busy, stolen, api = busy + api_busy + other, stolen + steal, api + api_busy
    return {"period_s": 1.0, "api_cpus": [0], "api_pids": [1], "samples": out}


@pytest.mark.parametrize("api_busy, other, steal", [
    (0.95, 0.01, 0.0),
    (0.30, 0.02, 0.0),
    (0.50, 0.45, 0.0),
    (0.60, 0.0, 0.30),
], ids=["the API saturating its core alone", "a light stage on a quiet machine", "a process taking half the API's core",
        "the hypervisor stealing a third of it"])
def test_other_work_on_the_apis_core_is_measured(api_busy, other, steal):
    got = stage_machine(_samples(20, api_busy, other, steal), 1000.0, 1020.0, 0.95)
    assert got["taken_share"] == pytest.approx(other + steal, abs=1e-6)
    assert got["seconds"] == 20 and got["steal_share"] == pytest.approx(steal, abs=1e-6)


def _spell(seconds: int, other: float, spell_s: int, start: float) -> dict:
    """A quiet stage but for `spell_s` seconds in its middle in which other work took `other` of the core."""
    out, busy, api = [], 0.0, 0.0
    for i in range(seconds + 1):
        out.append({"t": start + i, "cores": {"0": [busy, 0.0, float(i)]}, "api_cpu_s": api})
        taken = other if 8 <= i < 8 + spell_s else 0.01
        busy, api = busy + 0.5 + taken, api + 0.5
    return {"period_s": 1.0, "api_cpus": [0], "api_pids": [1], "samples": out}


def _run(others: list, units: list[float] | None = None, apis: list[float] | None = None) -> list[Stage]:
    """One 20-s stage per share of the API's core other work took, the API busy for half of it (or `apis`' share;
    or, given as (share, seconds), a spell of that share that long in a quiet stage); with `units`, the fixed work's
    CPU time in each (ms, give or take a tenth from second to second)."""
    stages = []
    for i, o in enumerate(others):
        start = 1000.0 + 100 * i
        api = apis[i] if apis else 0.5
        machine = _spell(20, *o, start) if isinstance(o, tuple) else _samples(20, api, o, start=start)
        if units:
            machine["speed"] = [[start + k, units[i] * (1.1 if k % 2 else 0.9)] for k in range(21)]
        stages.append(stage_of(f"s{i + 1}", index=i, machine=stage_machine(machine, start, start + 20, 0.95)))
    return stages


@pytest.mark.parametrize("others, slowed, faster, shared", [
    ([0.01, 0.02, 0.01, 0.02, 0.01], [], [], False),
    ([0.01, 0.45, 0.45, 0.02, 0.01], ["s2", "s3"], [], False),
    ([0.45, 0.46, 0.45, 0.44, 0.45], [], [], True),
    ([0.45, 0.46, 0.02, 0.44, 0.45], [], ["s3"], True),
    ([0.01, 0.02, 0.01, 0.02, 0.07], [], [], False),
    ([0.01, 0.02, (0.48, 5), (0.48, 2), 0.01], ["s3"], [], False),
], ids=["a quiet run names nothing", "a slow spell in the middle names exactly its stages",
        "a machine shared through the whole run is said once, no stage departs",
        "a quiet spell in a shared run is a faster machine", "a departure within a tenth of a core is noise",
        "five seconds of half the core taken inside a stage name it, though its mean stays within noise; two do not"])
def test_stages_that_depart_from_the_runs_reference_are_named(others, slowed, faster, shared):
    stages = _run(others, [1.0] * len(others))
    stages, reference = mark_departures(stages)
    assert [s.name for s in stages if s.machine.slowed] == slowed
    assert [s.name for s in stages if s.machine.faster] == faster
    sentences = machine_sentences(stages, reference)
    assert len(sentences) == len(slowed) + len(faster) + shared
    assert bool([x for x in sentences if "in the run's typical stage: every figure" in x]) is shared


@pytest.mark.parametrize("apis, others, slowed, faster, shared", [
    ([0.30, 0.38, 0.36, 0.41, 0.52, 0.52], [0.70, 0.62, 0.64, 0.59, 0.48, 0.48], [], [], True),
    ([0.30, 0.45, 0.60, 0.40, 0.90, 0.95], [0.01, 0.01, 0.01, 0.55, 0.02, 0.01], ["s4"], [], False),
    ([0.30, 0.45, 0.60, 0.75, 0.90, 0.95], [0.01, 0.01, 0.01, 0.01, 0.05, 0.02], [], [], False),
], ids=["a process beside the API all run long takes what the API leaves of a full core: no stage departs",
        "a process arriving in the middle takes the core's idle time and the API's: its stage is named",
        "the API's own load rising to saturation names nothing"])
def test_other_work_is_a_departure_only_where_the_idle_time_moved_against_it(apis, others, slowed, faster, shared):
    """Measured: a process pinned to the API's core for a whole run took 70 % of it beside the gate and 48 %
    beside the stages past the knee, the core never idle; the stages past the knee were named as run on a faster
    machine, and the capacity lost its failing end."""
    stages = _run(others, apis=apis)
    stages, reference = mark_departures(stages)
    assert [s.name for s in stages if s.machine.slowed] == slowed
    assert [s.name for s in stages if s.machine.faster] == faster
    said = machine_sentences(stages, reference)
    assert bool([x for x in said if "in the run's typical stage: every figure" in x]) is shared


def test_the_cores_speed_is_shown_beside_each_stage_not_judged():
    """The fixed work read 0.75 ms a unit on a core the API saturated against 0.96 in the run's typical stage: it
    moves with the API's own load, so a stage is not named for it."""
    stages = _run([0.01] * 5, [1.0, 1.0, 1.4, 0.75, 1.0])
    stages, _ = mark_departures(stages)
    assert not any(s.machine.slowed or s.machine.faster for s in stages)
    assert [s.machine.speed["reference_ms"] for s in stages] == [pytest.approx(1.0, abs=0.02)] * 5


def test_no_samples_or_too_few_seconds_say_nothing():
    assert stage_machine(None, 0, 10, 0.95) is None
    assert stage_machine(_samples(2, 0.5, 0.5), 1000.0, 1002.0, 0.95) is None


def _stage(name, rate, status, slowed=False, faster=False):
    return stage_of(name, offered_rps=rate, status=status, machine={"slowed": slowed, "faster": faster})


def test_a_stage_on_a_machine_of_another_speed_sets_neither_end_of_the_capacity():
    """The typical stages bracket the knee at [20, 30]; a stage at 25 failed while the machine was slowed, and would
    otherwise have pulled the failing end down to it; one at 35 passed while it ran faster, and would have pushed the
    passing end above the failure."""
    stages = [_stage("a", 15, "pass"), _stage("b", 20, "pass"), _stage("c", 25, "fail", slowed=True),
              _stage("d", 30, "fail"), _stage("e", 35, "pass", faster=True)]
    cap = capacity(stages)
    assert cap.bracket_rps == [20, 30] and cap.slowed_stages == ["c"] and cap.faster_stages == ["e"]


def test_a_stage_held_sets_neither_end_of_the_capacity_and_the_stage_that_ran_it_again_does():
    """Held at 25 req/s while other work took the API's core (loadtests/holds.py), the stage failed on the queue it
    built; run again, it passed, and the bracket rises to it."""
    held = _stage("c", 25, "fail").model_copy(update={"held_from": 1010.0, "again": "c-again"})
    again = _stage("c-again", 25, "pass").model_copy(update={"again_of": "c"})
    cap = capacity([_stage("a", 15, "pass"), _stage("b", 20, "pass"), held, again, _stage("d", 30, "fail")])
    assert cap.bracket_rps == [25, 30] and cap.held_stages == ["c"] and held.departed and not again.departed
    early = held.model_copy(update={"held_from": 998.0})
    assert [line.split(":")[0] for line in machine_sentences([held, early], None)] == [
        "Stage c was held 10 s into its window", "Stage c was held before its window began"]
    assert "it ran again as c-again; it sets no end of the capacity" in machine_sentences([held], None)[0]
    assert "held_stages" not in capacity([_stage("a", 15, "pass")]).model_dump(exclude_unset=True)


def _manifest(ms, low, high, work="one single-row forest prediction (v1)"):
    return RunManifest(canary={"api": {"work": work, "ms": ms, "low": low, "high": high}})


@pytest.mark.parametrize("old, new, differs, scaled", [
    (_manifest(17.6, 17.1, 18.3), _manifest(26.5, 26.3, 26.8), True, [37.6, 45.2]),
    (_manifest(20.0, 18.0, 22.0), _manifest(21.0, 19.0, 23.0), False, [26.2, 31.5]),
], ids=["a machine half again as slow is said so, its capacity scaled to the baseline's speed",
        "canaries whose intervals overlap are the same speed"])
def test_two_runs_on_machines_of_different_speed_say_so(old, new, differs, scaled):
    from slo.verdicts.baseline import machine_change
    from slo.reports.text import comparison_lines
    from slo.verdicts.report import BaselineComparison
    got = machine_change(old, new, [25, 30])
    assert got["differs"] is differs and got["current_rps_at_baseline_speed"] == scaled
    lines = comparison_lines(BaselineComparison(run="base", machine=got))
    assert bool([line for line in lines if "different speeds" in line]) is differs


def test_canaries_of_different_work_are_not_compared():
    from slo.verdicts.baseline import machine_change
    assert machine_change(_manifest(17.6, 17, 18), _manifest(1.0, 0.9, 1.1, "one single-row linear prediction"),
                          [1, 2]) is None


def test_a_gated_stage_that_failed_on_a_slowed_machine_is_undecided_never_a_fail():
    from slo.verdicts.objectives import run_verdict
    from slo.verdicts.report import Stage
    from tests.slo.fakes import stage_row
    stage = Stage.model_validate(stage_row("gate", gated=True, status="fail", machine={
        "slowed": True, "taken_share": 0.45, "reference": 0.02}))
    verdict = run_verdict([stage], [])
    assert verdict.exit_code == 4 and "failed while other work took 45% of the API's core(s)" in verdict.reason
    quiet = stage.model_copy(update={"machine": StageMachine(slowed=False, taken_share=0.02)})
    assert run_verdict([quiet], []).exit_code == 1
    after = stage.model_copy(update={"machine": StageMachine(slowed=False, after="s0", taken_share=0.01,
                                                             reference=0.01)})
    verdict = run_verdict([after], [])
    assert verdict.exit_code == 4 and "failed while serving the queue s0 left on a slowed machine" in verdict.reason


def _queued(name: str, in_flight: float, utilization: float = 0.8, slowed: bool = False,
            backlog_s: float = 0.0) -> Stage:
    """A stage that offered `utilization` of its saturation (20 ms a prediction) with `in_flight` requests at most,
    over 22 one-second scrapes, serving `backlog_s` seconds of its arrivals more than were sent in its window."""
    rate = utilization / 0.020
    return stage_of(name, offered_rps=rate, client={"sent": round(22 * rate)}, server={
        "rps_all_traffic": rate * (1 + backlog_s / 22), "window_s": 22.0, "up_samples": 22.0, "serving": {
            "in_flight_max": in_flight, "busy_s_per_s": utilization}},
        machine={"slowed": slowed, "faster": False, "taken_share": 0.4 if slowed else 0.01, "low": 0.0,
                 "high": 0.0, "reference": 0.01, "steal_share": 0.0})


@pytest.mark.parametrize("left, after_slowed, expected", [
    (497, [_queued("s4", 340)], ["s3"]),
    (497, [_queued("s4", 4)], [None]),
    (497, [_queued("s4", 600, utilization=1.2)], [None]),
    (497, [_queued("s4", 340), _queued("s5", 200), _queued("s6", 20)], ["s3", "s3", None]),
    (5, [_queued("s4", 11), _queued("s5", 17)], [None, None]),
    (497, [_queued("s4", 340), _queued("s5", 148, backlog_s=2.6)], ["s3", "s3"]),
    (497, [_queued("s4", 4, backlog_s=1.5)], [None]),
    (497, [_queued("s4", 340, backlog_s=2.6).model_copy(update={"again_of": "s3"})], [None]),
], ids=["the stage after a slowed one still holding its queue served it",
        "a stage that found the queue served measured the API",
        "a stage offered past saturation fails on its own arrivals",
        "the queue's wake runs on while it is still in flight, then ends",
        "a slowed stage that kept up left no queue, whatever the stages above it hold of their own arrivals",
        "a stage holding under half that queue in flight but serving 2.6 s of arrivals more than it was sent served it",
        "serving a little more than was sent, within a second's queue and a scrape's extrapolation, is no backlog",
        "a stage run again after a hold started once the API had served the queue"])
def test_a_stage_that_served_the_queue_a_slowed_stage_left_sets_no_end_of_the_capacity(left, after_slowed, expected):
    """Measured: a process on the API's core for a minute left 497 requests in flight; the next stage, at 80 % of
    saturation, held up to 340 and failed every objective, and set the capacity's upper end. And a gate slowed at
    half its saturation left 5 in flight: the stages above it held 4 to 17 of their own and served no wake."""
    from slo.verdicts import machine
    stages = [_queued("s1", 4), _queued("s2", 5), _queued("s3", left, slowed=True)] + after_slowed
    marks = {i: s.machine.model_dump(exclude_unset=True) for i, s in enumerate(stages)}
    machine._mark_wakes(stages, marks, servers=1)
    stages = [s.model_copy(update={"machine": StageMachine.model_validate(marks[i])}) for i, s in enumerate(stages)]
    assert [s.machine.after for s in stages[3:]] == expected
    assert [s.departed for s in stages[3:]] == [e is not None for e in expected]
    said = machine.machine_sentences(stages, None)
    assert sum("served the queue s3 left" in x for x in said) == sum(e is not None for e in expected)


def _served(stages: list[Stage], demands_ms: list[float], rate: float = 30.0) -> list[Stage]:
    """Each stage serving `rate` req/s, a request taking demands_ms[i] of the API's prediction time."""
    return [s.model_copy(update={"server": ServerFigures(rps_all_traffic=rate, serving={"busy_s_per_s": rate * d / 1000})})
            for s, d in zip(stages, demands_ms)]


@pytest.mark.parametrize("demands, units, slowed, faster", [
    ([24.9, 26.4, 24.3, 24.3, 22.1, 18.1, 15.7, 15.7], [1.19, 1.10, 1.14, 1.18, 1.18, 1.00, 0.88, 0.78], [],
     ["s7", "s8"]),
    ([22.0, 22.5, 21.5, 14.0, 11.0, 10.5], [1.1, 1.1, 1.12, 1.09, 1.1, 1.11], [], []),
    ([22.0, 22.5, 31.0, 21.5, 22.4], [1.0, 1.02, 1.3, 0.99, 1.0], ["s3"], []),
    ([22.0, 22.5, 21.5, 22.4, 22.0], [1.0, 1.02, 1.4, 0.7, 1.0], [], []),
], ids=["a host that sped up in the last stages, other work unchanged: named faster by the service time",
        "the service time falling with the API's own load (batching at saturation), the fixed work steady: nothing",
        "a host slower for one stage: its service time and fixed work both up",
        "the fixed work moving alone: nothing"])
def test_a_host_that_changed_speed_is_named_from_the_service_time(demands, units, slowed, faster):
    stages = _served(_run([0.01] * len(demands), units), demands)
    stages, reference = mark_departures(stages)
    assert [s.name for s in stages if s.machine.slowed] == slowed
    assert [s.name for s in stages if s.machine.faster] == faster
    said = [x for x in machine_sentences(stages, reference) if "of the API's time a request" in x]
    assert len(said) == len(slowed) + len(faster)
    assert all(s.machine.service["reference_ms"] == pytest.approx(statistics.median(demands)) for s in stages)


def test_the_service_times_reference_is_the_typical_stage_the_capacity_states():
    """A collapsed stage's prediction time moves with its queue (52 ms beside 36 to 47 under a busy loop): the
    reference leaves it out, as saturation.typical_demand_ms does, so both lines speak of one speed."""
    from slo.verdicts.saturation import typical_demand_ms
    demands = [36.2, 33.3, 40.9, 41.9, 38.9, 52.0, 53.0]
    stages = _served(_run([0.01] * len(demands), [1.0] * len(demands)), demands)
    stages[-2:] = [s.model_copy(update={"collapsed": True}) for s in stages[-2:]]
    stages, _ = mark_departures(stages)
    assert [s.machine.service["reference_ms"] for s in stages] == [pytest.approx(38.9)] * len(stages)
    assert typical_demand_ms(stages) == pytest.approx(38.9)
