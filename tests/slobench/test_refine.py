"""A run's refinement: where its next step goes from the stages judged so far, when it stops, and how the judge
reads its steps with the profile's stages as one run."""
import json

import pytest

from loadtests.profile import Scenario
from slobench.budget import CLOSING_S, Budget, no_room
from slobench.refine import stage_name, step_seconds
from slobench.steering import NextStep, evidence, next_rate, next_step, settled
from slobench.run_folder import RunFolder
from slo.verdicts.report import AtTypicalSpeed
from tests.slo.fakes import capacity_of, judged_stages, knee_share_of, queue_stage, stage_of


def _stage(name, rate, status, slowed=False, bound=False, faster=False):
    return stage_of(name, offered_rps=rate, status=status, client={"generator_bound": bound},
                    machine={"slowed": slowed, "faster": faster})


_cap = capacity_of


@pytest.mark.parametrize("stages, cap, expected", [
    ([_stage("gate", 15, "pass"), _stage("a", 20, "pass"), _stage("b", 30, "inconclusive"), _stage("c", 48, "fail")],
     _cap(20, 48), 39.0),
    ([_stage("gate", 15, "pass"), _stage("a", 20, "pass"), _stage("b", 30, "pass"), _stage("c", 48, "fail")],
     _cap(30, 48), 39.0),
    ([_stage("gate", 15, "pass"), _stage("a", 20, "pass"), _stage("b", 30, "pass"), _stage("c", 48, "pass")],
     _cap(48, None), 60.0),
    ([_stage("gate", 15, "pass"), _stage("a", 40, "pass"), _stage("b", 42, "fail")], _cap(40, 42), None),
    ([_stage("gate", 15, "pass"), _stage("a", 20, "pass"), _stage("b", 30, "fail", slowed=True),
      _stage("c", 40, "fail")], _cap(20, 40), 30.0),
    ([_stage("gate", 15, "fail"), _stage("a", 20, "fail")], _cap(None, 15), 12.0),
    ([_stage("gate", 15, "inconclusive"), _stage("a", 16.5, "inconclusive"), _stage("b", 20.6, "inconclusive"),
      _stage("c", 24.7, "fail")], _cap(None, 24.7), 12.0),
    ([_stage("gate", 15, "inconclusive"), _stage("a", 23.7, "inconclusive"), _stage("b", 63.3, "fail")],
     _cap(None, 63.3), 19.0),
    ([_stage("gate", 15, "pass"), _stage("a", 21.2, "inconclusive"), _stage("b", 26.5, "pass"),
      _stage("c", 31.8, "fail", slowed=True), _stage("d", 37.1, "fail")], _cap(26.5, 37.1), 31.8),
    ([_stage("gate", 15, "pass"), _stage("a", 400, "pass", bound=True)], _cap(400, None), None),
    ([_stage("gate", 15, "pass"), _stage("a", 20, "pass"), _stage("r1", 30, "fail", slowed=True),
      _stage("r2", 30, "fail", slowed=True), _stage("c", 40, "fail")], _cap(20, 40), None),
], ids=["the widest gap between the best pass and the lowest failure is split, an undecided stage dividing it",
        "a knee between the last passes and the failure past saturation",
        "a ladder that broke nothing climbs a quarter past its top",
        "an interval already within the aim ends the refinement",
        "a stage on a slowed machine is no evidence: its rate is tried again",
        "under a failing gate a step a quarter lower says how much the API takes (a step is never gated)",
        "an undecided gate with every stage above it undecided or failing is stepped under (a machine slowed by other work)",
        "an undecided gate does not stop it: a step under the lowest undecided stage may pass",
        "a pass above an undecided stage is the interval's low end, as in the report (it was split under it)",
        "a ladder whose top stage measured the generator climbs no further",
        "a rate tried twice on a machine of another speed is not tried a third time (it was, six times)"])
def test_the_next_step_splits_where_the_capacity_is_uncertain(stages, cap, expected):
    got = next_rate(stages, cap, aim=0.10, floor=15)
    assert got == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize("saturation, expected", [
    (67.0, 80.4), (40.0, 51.2), (80.0, 82.0), (5000.0, 51.2), (None, 51.2),
], ids=["a ladder that broke nothing steps a fifth past the utilization law's saturation where that lies further",
        "a quarter past its top where the saturation lies nearer",
        "at most twice its top, whatever the saturation said",
        "a quarter past its top where that kept the predictor busy under half the time (a linear model's API)",
        "a quarter past its top where the API times nothing"])
def test_a_ladder_that_broke_nothing_climbs_to_where_the_api_saturates(saturation, expected):
    """A probe run while the machine was slowed placed the ladder at half its rates: its top (41 req/s) passed,
    and a quarter at a time the run's budget ended before any step failed."""
    stages = [_stage("gate", 15, "pass"), _stage("a", 20.5, "pass"), _stage("b", 34.2, "pass"),
              _stage("c", 41, "pass")]
    assert next_rate(stages, _cap(41, None), aim=0.10, floor=15, saturation_rps=saturation) == expected


def test_the_default_runs_step_splits_no_gap_under_a_stage_that_passed_with_confidence():
    """The bracket's walk up stops at an undecided stage, so a pass over it is not the report's low end (knee
    .bracket_stages). A search splits the gap under it (its many steps may decide that stage's neighbourhood); the
    default run's one or two steps do not: two quiet runs (2026-12-07) sent their first step to 49 req/s, under
    stages at 55 (undecided) and 62 (passed), the knee near 70, and the step told the fit nothing."""
    stages = [_stage("gate", 15, "pass"), _stage("a", 20, "pass"), _stage("b", 30, "inconclusive"),
              _stage("c", 38, "pass"), _stage("d", 48, "fail")]
    assert next_rate(stages, _cap(20, 48), aim=0.10, floor=15) == 25.0
    assert next_rate(stages, _cap(20, 48), aim=0.10, floor=15, few=True) == 43.0


def test_settled_asks_a_closed_interval_within_the_aim():
    assert settled(_cap(40, 43), 0.10) and not settled(_cap(40, 48), 0.10) and not settled(_cap(None, 40), 0.10)


def test_a_fit_at_the_rates_offered_neither_settles_the_run_nor_moves_a_searchs_split():
    """A fit narrowing [20, 48] to [40, 43] neither settles the run nor moves the split of a search: stopping on
    narrow fits picked the ones that were narrow by chance, and steps at the fit held the knee less often. Where the
    steps are few (the default run's), the next goes to the fit's middle."""
    stages = [_stage("gate", 15, "pass"), _stage("a", 20, "pass"), _stage("c", 48, "fail")]
    fitted = _cap(40, 43, bracket_rps=[20, 48], decided_by=["fit", "fit"])
    assert not settled(fitted, 0.10) and next_rate(stages, fitted, aim=0.10, floor=15) == 34.0
    assert next_rate(stages, fitted, aim=0.10, floor=15, few=True) == 41.5


def _at_typical_speed(low, high, decided_by):
    """The capacity stated at a typical 15 ms a prediction: each req/s is 1.5 % of one process's saturation."""
    return _cap(low, high, bracket_rps=[15, 76.5], speed=AtTypicalSpeed(
        typical_demand_ms=15.0, bracket_pct=[22.5, 114.8], interval_pct=[1.5 * low, 1.5 * high],
        decided_by=decided_by, interval_rps=[low, high]))


@pytest.mark.parametrize("cap, offered, expected", [
    (_at_typical_speed(37.0, 47.1, ["fit", "fit"]), [], 42.0),
    (_at_typical_speed(37.0, 47.1, ["fit", "fit"]), [42.0], 42.0),
    (_at_typical_speed(37.0, 47.1, ["fit", "fit"]), [42.0, 42.0], 20.2),
    (_at_typical_speed(30.0, 76.5, ["bracket", "bracket"]), [], 38.2),
], ids=["a step goes to the middle of the interval the knee's share fit decided at the typical speed",
        "the middle is stepped at again once: the first step there may have measured a slower machine",
        "a middle offered twice leaves the steps to the bracket",
        "an interval the bracket alone decided leaves the steps to the bracket"])
def test_the_fit_at_the_typical_speed_steers_the_next_step_and_the_bracket_stops_the_run(cap, offered, expected):
    stages = [_stage("gate", 15, "pass"), _stage("a", 25.5, "inconclusive"), _stage("b", 51, "inconclusive"),
              _stage("c", 76.5, "fail")] + [_stage(f"r{i}", rate, "inconclusive") for i, rate in enumerate(offered)]
    assert not settled(cap, 0.10)
    assert next_rate(stages, cap, aim=0.10, floor=15) == pytest.approx(expected)


def _timed(name, rate, status, demand_ms):
    """A stage whose requests took `demand_ms` of prediction time each (the utilization law's demand)."""
    return stage_of(name, offered_rps=rate, status=status, server={
        "quantiles": {}, "notes": [], "serving": {"busy_s_per_s": rate * demand_ms / 1000}, "rps_all_traffic": rate})


@pytest.mark.parametrize("demands, expected", [
    ((15.0, 15.0, 15.0, 15.0), 42.0),
    ((15.0, 15.0, 13.5, 13.5), 46.7),
    ((15.0, 13.5, 16.5, 18.0), 36.5),
], ids=["a machine at its typical speed throughout: the step at the fitted middle as the typical speed puts it",
        "the last stages ran a tenth faster: the step offers more, for the share of saturation it was chosen for",
        "the last two stages ran slower: the step offers less"])
def test_a_step_for_the_fit_is_placed_at_the_speed_of_the_last_stages(demands, expected):
    """The fitted middle is a rate at the run's typical prediction time (15 ms here); the step runs on the machine
    the last stages ran on."""
    rates = (15, 25.5, 51, 76.5)
    stages = [_timed(n, r, st, d) for n, r, st, d in zip(("gate", "a", "b", "c"), rates,
                                                           ("pass", "inconclusive", "inconclusive", "fail"), demands)]
    assert next_rate(stages, _at_typical_speed(37.0, 47.1, ["fit", "fit"]), aim=0.10, floor=15) == \
        pytest.approx(expected)


def _stated_at_typical_speed(bracket_pct):
    """The bracket offered [50, 56] req/s, the capacity stated by the stages' shares of saturation at a typical 15
    ms a prediction, its bracket there `bracket_pct` (None: not placed by speed)."""
    speed = bracket_pct and AtTypicalSpeed(typical_demand_ms=15.0, bracket_pct=bracket_pct, interval_pct=bracket_pct,
                                           decided_by=["bracket", "bracket"],
                                           interval_rps=[v * 10 / 15 for v in bracket_pct])
    return _cap(50, 56, speed=speed)


@pytest.mark.parametrize("bracket_pct, expected", [
    ([75.0, 99.7], 54.6), (None, None), ([75.0, 80.0], None),
], ids=["no gap over the aim offered, but the bracket the capacity is stated by has one: its middle, at the last "
        "stages' speed",
        "without a capacity placed by speed, nothing is left to split",
        "a stated bracket within the aim leaves nothing to split either"])
def test_a_step_splits_the_bracket_the_capacity_is_stated_by_where_the_one_offered_has_no_gap_left(bracket_pct,
                                                                                                   expected):
    """A quiet default run (2026-12-07): its stage at the knee ran while a prediction took 14.8 ms against a typical
    13.8 and failed, so the bracket offered was [57.6, 66.5] req/s with a step at 63 inside it, and the run ended 35 s
    inside its budget at [55.2, 71.1] req/s stated, 29 %. Here the failure at 56 req/s took 17.8 ms a prediction (99.7 %
    of saturation at the typical speed), the step at 53 req/s 15 ms (79.5 %)."""
    stages = [_timed("gate", 15, "pass", 15.0), _timed("s4", 50, "pass", 15.0), _timed("s5", 56, "fail", 17.8),
              _timed("r1", 53, "inconclusive", 15.0)]
    assert next_rate(stages, _stated_at_typical_speed(bracket_pct), aim=0.10, floor=15) == expected


MID_RUN_SLOWED = [_stage("gate", 15, "pass"), _stage("s2", 26.9, "pass"), _stage("s3", 33.6, "pass"),
                  _stage("s4", 40.4, "fail", slowed=True), _stage("s5", 47.1, "fail", slowed=True),
                  _stage("s6", 53.8, "fail", slowed=True), _stage("s7", 80.7, "fail")]


@pytest.mark.parametrize("stages, cap, expected", [
    (MID_RUN_SLOWED, _cap(33.6, 80.7), 53.8),
    (MID_RUN_SLOWED, _at_typical_speed(37.0, 47.1, ["fit", "bracket"]), 40.4),
    (MID_RUN_SLOWED + [_stage("r1", 53.8, "pass")], _cap(53.8, 80.7), 67.2),
    (MID_RUN_SLOWED[:3] + [_stage("s7", 80.7, "fail"), _stage("s8", 90.0, "fail", slowed=True)], _cap(33.6, 80.7),
     57.2),
], ids=["of the stages that measured the machine inside the bracket, the one nearest its middle runs again first "
        "(a busy loop on the API's core for a minute in the middle of a default run)",
        "where the fit decided an end, the one nearest the fitted knee's middle",
        "a stage run again once is not run a third time: the bracket is split",
        "one offered past the lowest confident failure is not run again"])
def test_a_stage_that_measured_the_machine_runs_again_where_it_tells_the_most(stages, cap, expected):
    assert next_rate(stages, cap, aim=0.10, floor=15) == pytest.approx(expected)


@pytest.mark.parametrize("cap, prior, expected", [
    (_cap(33.6, 80.7), 41.0, NextStep(40.4, False, "s4")),
    (_cap(33.6, 80.7), None, NextStep(53.8, False, "s6")),
    (_at_typical_speed(37.0, 47.1, ["fit", "bracket"]), 52.0, NextStep(40.4, False, "s4")),
], ids=["without a fit, the one nearest the knee the ladder was placed around (a minute's busy loop took s2 to s5 of "
        "a default run; s2, nearest the bracket's middle, ran again and passed, leaving [29.7, 59.1] req/s)",
        "without that knee either, the one nearest the bracket's middle",
        "a fit's middle comes before the ladder's knee"])
def test_the_stage_run_again_is_the_one_nearest_the_knee_the_ladder_was_placed_around(cap, prior, expected):
    assert next_step(MID_RUN_SLOWED, cap, 0.10, 15, prior_rps=prior) == expected


# A quiet default run (2026-12-08): s2 ran while a prediction took a fifth longer than in the run's typical stage.
SLOWED_UNDER_THE_KNEE = [_stage("gate", 15, "pass"), _stage("s2", 32.7, "pass", slowed=True),
                         _stage("s3", 43.6, "pass"), _stage("s4", 49.0, "inconclusive"),
                         _stage("s5", 54.5, "inconclusive"), _stage("s6", 60.0, "fail"), _stage("s7", 74.1, "fail")]


@pytest.mark.parametrize("cap, expected", [
    (_at_typical_speed(52.4, 65.0, ["fit", "fit"]), NextStep(32.7, True, "s2")),
    (_at_typical_speed(30.0, 65.0, ["fit", "fit"]), NextStep(32.7, False, "s2")),
], ids=["under the capacity's interval it runs again for the fit's share, a step's length: a decision there would "
        "move neither end",
        "inside the interval it runs long enough to decide"])
def test_a_stage_run_again_outside_the_capacitys_interval_is_a_step_for_the_fit(cap, expected):
    assert next_step(SLOWED_UNDER_THE_KNEE, cap, 0.10, 15) == expected


def test_the_stage_run_again_is_placed_by_a_fit_at_the_rates_offered_only_where_the_steps_are_few():
    fitted_at_offered = _cap(37.0, 47.1, decided_by=["fit", "bracket"], bracket_rps=[33.6, 80.7])
    assert next_rate(MID_RUN_SLOWED, fitted_at_offered, aim=0.10, floor=15) == 53.8
    assert next_rate(MID_RUN_SLOWED, fitted_at_offered, aim=0.10, floor=15, few=True) == 40.4


def test_the_stage_run_again_is_the_one_nearest_the_middle_the_step_would_take_under_the_saturation():
    """The fitted interval reaches past the utilization law's saturation (45 req/s): the next step's middle is taken
    under it (41 req/s), and so is the stage run again (40.4 req/s, not 47.1 near the uncapped 48.5)."""
    cap = _at_typical_speed(37.0, 60.0, ["fit", "bracket"])
    assert next_step(MID_RUN_SLOWED, cap, 0.10, 15, saturation_rps=45) == NextStep(40.4, False, "s4")


def _under_the_knee(statuses=("inconclusive",) * 5):
    """A default run with a busy loop on the API's core from start to end (30 ms a prediction, the knee near 24 req/s):
    the gate and five stages at 42 to 64 % of saturation whose p50 share rose to 40 %, none decided past the gate for
    lack of requests, then one past saturation that collapsed."""
    shares = (0.47, 0.42, 0.55, 0.58, 0.60, 0.64)
    rows = [queue_stage(name, round(u * 1000 / 30, 2), 30.0, 75.0, n=400, counted=True)
            for name, u in zip(("gate", "s2", "s3", "s4", "s5", "s6"), shares)]
    for row, status in zip(rows, ("pass", *statuses)):
        row["objectives"][0]["confidence"]["divisor"] = 6.0
        row["status"] = status
    return judged_stages(rows) + [_stage("s7", 38.3, "fail")]


def _open_at_typical_speed(low, high):
    return _cap(low, high, bracket_rps=[low, 38.3], speed=AtTypicalSpeed(
        typical_demand_ms=30.0, bracket_pct=[None, 110], interval_pct=[low and 3 * low, high and 3 * high],
        decided_by=["bracket", "saturation"], interval_rps=[low, high]))


@pytest.mark.parametrize("cap, expected", [
    (_open_at_typical_speed(None, 33.3), NextStep(28.6, True, None, True)),
    (_open_at_typical_speed(None, None), NextStep(24.0, True, None, True)),
    (_open_at_typical_speed(None, 20.0), NextStep(11.2, False, None)),
    (_cap(None, 38.3), NextStep(11.2, False, None)),
    (_open_at_typical_speed(None, 33.3).model_copy(update={"knee_share": knee_share_of(80.0)}),
     NextStep(11.2, False, None)),
], ids=["where the fit has its crossing past every stage but no interval, the step goes halfway from it to the "
        "saturation (the bracket's rule had put it under the ladder, at 10.2 req/s, where it did not fit the run's "
        "budget: [?, 33.3] req/s)",
        "with no high end to go halfway to, at the crossing",
        "a crossing past the capacity's interval at the typical speed is no step: the bracket's rule",
        "a capacity not placed by speed (the prediction is not what saturates) steps by the bracket",
        "a knee's share with an interval steers by its middle, not by a crossing without one"])
def test_a_fit_with_its_crossing_but_no_interval_steers_the_step_past_that_crossing(cap, expected):
    assert next_step(_under_the_knee(), cap, 0.10, 15) == expected


def test_a_fit_whose_interval_decided_no_end_steers_the_default_runs_step_to_its_crossing():
    """The knee's share with an interval wider than the bracket: the default run (few steps) steps at the fit's
    crossing, where the bracket's rule had no gap left to split; a search steps by the bracket."""
    cap = _open_at_typical_speed(None, 33.3).model_copy(update={"knee_share": knee_share_of(80.0, [60.0, 120.0])})
    crossing = next_step(_under_the_knee(), _open_at_typical_speed(None, None), 0.10, 15).rate
    assert next_step(_under_the_knee(), cap, 0.10, 15, few=True) == NextStep(crossing, True, None)
    assert next_step(_under_the_knee(), cap, 0.10, 15) == NextStep(11.2, False, None)
    fitted = cap.model_copy(update={"speed": cap.speed.model_copy(update={"decided_by": ["fit", "saturation"]})})
    assert next_step(_under_the_knee(), fitted, 0.10, 15, few=True).rate != crossing


def test_the_next_step_says_why_it_goes_there():
    """What the refinement's log says of a step, and whether it needs a decision of its own, come with its rate."""
    fitted = _at_typical_speed(37.0, 47.1, ["fit", "fit"])
    plain = [_stage("gate", 15, "pass"), _stage("a", 25.5, "inconclusive"), _stage("c", 76.5, "fail")]
    assert next_step(MID_RUN_SLOWED, _cap(33.6, 80.7), 0.10, 15) == NextStep(53.8, False, "s6")
    assert next_step(plain, fitted, 0.10, 15) == NextStep(42.0, True, None)
    assert next_step(plain, _cap(40, 43), 0.10, 15) == NextStep(None)


def test_evidence_leaves_out_stages_that_measured_the_machine_or_the_generator():
    stages = [_stage("a", 20, "pass"), _stage("b", 25, "fail", slowed=True), _stage("c", 30, "pass", faster=True),
              _stage("d", 35, "fail", bound=True)]
    assert [s.name for s in evidence(stages)] == ["a"]


@pytest.mark.parametrize("rate, weights, seconds", [
    (15, None, 36), (20, None, 28), (40, None, 20), (20, {"predict_user": 1, "health": 1}, 43),
    (20, {"predict_user": 1}, 23)],
    ids=["the required 15 req/s needs 36 s to reach p99's zero-count minimum (eight in ten requests to /predict)",
         "20 req/s, 28 s", "40 req/s, the declared 20 s are enough",
         "a profile sending half its requests to /health needs longer steps",
         "a profile sending every request to /predict needs shorter ones"])
def test_a_step_is_long_enough_to_decide_at_its_rate_with_the_profiles_mix(rate, weights, seconds):
    from loadtests.profile import Scenario
    from slo.file.load import load_slo
    scenario = Scenario() if weights is None else Scenario(weights=weights)
    assert step_seconds(rate, load_slo(), 20, scenario) == seconds


def _timeline(stages, start):
    return {"profile": "p", "kind": "open", "arrival": "poisson", "planned": [{"name": n} for n, _ in stages],
            "wall_start": start, "stopped_at": start + 10 * len(stages),
            "stages": [{"index": i, "name": n, "users": None, "offered_rps": r, "start": start + 10 * i,
                        "measure_from": start + 10 * i + 2, "end": start + 10 * (i + 1), "completed": True}
                       for i, (n, r) in enumerate(stages)]}


def test_the_judge_reads_refinement_steps_after_the_profiles_stages_as_one_run(tmp_path):
    (tmp_path / "stages.json").write_text(json.dumps(_timeline([("s1", 15), ("s2", 30)], 1000.0)))
    for n, rate in ((1, 22.5), (2, 26.2)):
        step = tmp_path / "refine" / f"{n:02d}-{rate:.0f}rps"
        step.mkdir(parents=True)
        (step / "stages.json").write_text(json.dumps(_timeline([(stage_name(n, rate), rate)], 1100.0 + 50 * n)))
    (tmp_path / "refine" / "03-30rps").mkdir()   # a step whose Locust never began: no timeline, not read
    tl = RunFolder(tmp_path).timeline
    assert [s["name"] for s in tl["stages"]] == ["s1", "s2", "r1-22rps", "r2-26rps"]
    assert [s["index"] for s in tl["stages"]] == [0, 1, 2, 3]
    assert [bool(s.get("refine")) for s in tl["stages"]] == [False, False, True, True]
    assert tl["stopped_at"] == 1210.0 and [p["name"] for p in tl["planned"]] == ["s1", "s2"]
    assert set(RunFolder(tmp_path).client_figures("/predict")) == {"s1", "s2", "r1-22rps", "r2-26rps"}


def test_a_refinement_step_and_a_share_placed_under_the_gate_are_gated_only_by_name():
    from slo.file.model import Gate
    from slo.verdicts.objectives import is_gated

    class Spec:
        gate = Gate(required_rps=15)
    assert is_gated(Spec, {"name": "s1", "offered_rps": 15}) and not is_gated(Spec, {"name": "r1", "offered_rps": 14,
                                                                                        "refine": True})
    assert not is_gated(Spec, {"name": "s2-40pct", "offered_rps": 12, "ungated": True})
    Spec.gate = Gate(stages=["r1"])
    assert is_gated(Spec, {"name": "r1", "offered_rps": 14, "refine": True})


def test_a_stage_held_is_not_gated_and_the_stage_that_ran_it_again_is():
    from slo.file.model import Gate
    from slo.verdicts.objectives import is_gated

    class Spec:
        gate = Gate(required_rps=15)
    held = {"name": "s1", "offered_rps": 15, "held_from": 1010.0, "again": "s1-again"}
    again = {"name": "s1-again", "offered_rps": 15, "again_of": "s1"}
    assert not is_gated(Spec, held) and is_gated(Spec, again)
    Spec.gate = Gate(stages=["s1"])
    assert not is_gated(Spec, held) and is_gated(Spec, again)


def _refinement(budget_s=55.0, looks=3, scrape_s=1.0):
    from pathlib import Path

    from loadtests.profile import Profile
    from slo.file.load import load_slo
    from slo.prometheus.scrape import ScrapeInterval
    from slobench.refine import Refinement
    from slobench.session import JudgedTarget
    profile = Profile.model_validate({"name": "p", "kind": "open", "stages": [{"name": "s1", "rate_rps": 15,
                                                                               "duration_s": 30}],
                                      "refine": {"budget_s": budget_s, "looks": looks}})
    return Refinement(Path("."), profile, "http://127.0.0.1:1", "http://127.0.0.1:2",
                      JudgedTarget(load_slo(), None, ScrapeInterval(scrape_s, "setting SCRAPE_INTERVAL")), None, None)


UNDECIDED = {"status": "inconclusive"}


@pytest.mark.parametrize("left_s, steps, scrape_s, shorten, longest, shares", [
    (100, [], 1.0, False, 20, (0.5, 0.75, 1.0)),
    (100, [UNDECIDED], 1.0, False, 40, (0.5, 0.75, 1.0)),
    (100, [], 2.0, False, 20, (0.666667, 0.833333, 1.0)),
    (30, [], 1.0, False, None, None),
    (30, [], 1.0, True, 20, (0.5, 0.75, 1.0)),
    (20, [], 1.0, True, 17, (0.5, 0.75, 1.0)),
    (40, [UNDECIDED], 1.0, True, 37, (0.5, 0.75, 1.0)),
    (18, [], 1.0, True, None, None),
], ids=["three looks from half the step's length", "twice as long after an undecided step, its looks spread alike",
        "no look before six scrapes", "a step that does not fit the refinement's own budget is not sent",
        "where the run's budget binds, a step needs only its start: its judging is the next plan's or the report's",
        "where the run's budget binds, a step that does not fit runs what is left, which still decides it",
        "where the run's budget binds, what is left after an undecided step where twice the length does not fit",
        "a step whose count objectives what is left cannot decide is not sent, whichever budget binds"])
def test_a_steps_looks_run_from_half_its_length_to_its_end(left_s, steps, scrape_s, shorten, longest, shares):
    plan = _refinement(scrape_s=scrape_s).step_plan(40, left_s, steps, shorten=shorten)
    if longest is None:
        assert plan is None
        return
    assert (plan.longest_s, plan.looks.shares) == (longest, shares)
    assert plan.looks.per_look_level > 0.95


def test_a_step_at_the_fitted_knee_lasts_step_s_where_deciding_p99_would_take_longer():
    """At 15 req/s deciding p99 with none counted takes 32 s of Poisson arrivals; a step there for the fit's sake
    lasts the profile's 20 s, as the simulations' steps do, so it fits a budget the longer one does not."""
    refinement = _refinement(looks=1)
    assert refinement.step_plan(15, 100, []).longest_s > 30
    assert refinement.step_plan(15, 100, [], for_fit=True).longest_s == 20
    assert refinement.step_plan(15, 37, []) is None and refinement.step_plan(15, 37, [], for_fit=True) is not None


def test_a_step_needs_more_requests_by_its_last_look_than_without_looks():
    """At 15 req/s the count objective's minimum decides the length: at the looks' stricter level it takes longer."""
    spec = _refinement().judged.spec
    assert _refinement().step_plan(15, 200, []).longest_s > step_seconds(15, spec, 20, Scenario())
    single = _refinement(looks=1).step_plan(15, 200, [])
    assert single.longest_s == step_seconds(15, spec, 20, Scenario()) and single.looks.per_look_level == 0.95


def test_the_judge_reads_a_steps_looks_and_a_step_ended_by_one_as_complete(tmp_path):
    (tmp_path / "stages.json").write_text(json.dumps(_timeline([("s1", 15)], 1000.0)))
    ended = {"stage": "r1-40rps", "shares": [0.5, 0.75, 1.0], "level": 0.95, "per_look_level": 0.975533,
             "looks": [{"look": 1, "at": 1100.0, "status": "pass"}], "ended_at_look": 1}
    for n, looks in ((1, ended), (2, {**ended, "stage": "r2-45rps", "ended_at_look": None})):
        step = tmp_path / "refine" / f"{n:02d}-{40 + 5 * (n - 1)}rps"
        step.mkdir(parents=True)
        tl = _timeline([(stage_name(n, 40 + 5 * (n - 1)), 40 + 5 * (n - 1))], 1100.0 + 50 * n)
        tl["stages"][0]["completed"] = False   # stopped by its look, or by Ctrl-C
        (step / "stages.json").write_text(json.dumps(tl))
        (step / "looks.json").write_text(json.dumps(looks))
    stages = RunFolder(tmp_path).timeline["stages"]
    assert [s.get("looks", {}).get("per_look_level") for s in stages] == [None, 0.975533, 0.975533]
    assert [s["completed"] for s in stages] == [True, True, False]


@pytest.mark.parametrize("left_s, said", [(22.4, "a step at 41.4 req/s does not fit the 22 s left of the refinement's "
                                                 "55 s budget"),
                                          (-15.2, "the refinement's 55 s budget is spent (15 s past it: the last step "
                                                  "and its drain took longer)")],
                         ids=["what is left is shorter than the step", "a drain that ran past the budget is said so, "
                                                                         "not as negative seconds left"])
def test_the_refinement_says_why_it_sends_no_further_step(left_s, said):
    assert no_room(41.4, left_s, "the refinement's 55 s budget") == said


@pytest.mark.parametrize("budget, few", [
    (Budget(150.0, 0.0, 285.0, -220.0), True),
    (Budget(150.0, 0.0), False),
    (Budget(300.0, 0.0), False),
], ids=["the default run after its ladder has room for one or two steps: few",
        "a refinement of 150 s with no run budget: a search",
        "make capacity's 300 s: a search"])
def test_the_steps_are_few_where_the_budget_holds_fewer_than_three(budget, few):
    assert budget.few_steps(0.0, 20.0) is few


@pytest.mark.parametrize("budget, now, left, bound", [
    (Budget(55, started=1000), 1030, 25, "the refinement's 55 s budget"),
    (Budget(90, started=1000, run_s=290, run_started=780), 1030, 290 - CLOSING_S - 250, "the run's 290 s budget"),
    (Budget(90, started=1000, run_s=290, run_started=900), 1030, 60, "the refinement's 90 s budget"),
    (Budget(90, started=1000, run_s=290), 1030, 60, "the refinement's 90 s budget"),
], ids=["the refinement's own budget, with no run budget",
        "a run whose stack, probe and ladder took long: the run's budget binds, its report's seconds kept",
        "a run with time to spare: the refinement's own budget binds",
        "a run budget without the run's start binds nothing"])
def test_what_is_left_for_the_steps(budget, now, left, bound):
    got = budget.left(now)
    assert got[0] == pytest.approx(left) and got[1].startswith(bound)
    assert budget.run_binds(now) == bound.startswith("the run's")


@pytest.mark.parametrize("left_s, said", [
    (60.0, ""), (5.0, "a step at 41.4 req/s does not fit the 5 s left of the refinement's 60 s budget"),
], ids=["a step that fits what is left now is planned", "none where the drain left too little of the budget"])
def test_a_step_is_planned_from_what_is_left_when_it_would_start(monkeypatch, left_s, said):
    """The budget is read when the step would start (after the queue the last stage left was served, which took up
    to 18 s after a collapse), not when the rate was chosen: a step planned before the drain could end past it."""
    import slobench.refine as refine
    monkeypatch.setattr(refine.time, "time", lambda: 1000.0 + 60.0 - left_s)
    step, why = _refinement(looks=1).planned(41.4, Budget(60.0, 1000.0), [], for_fit=False)
    assert (step is not None) == (not said) and why.startswith(said)


@pytest.mark.parametrize("cap, saturation, expected", [
    (_cap(50.0, 84.6), 70.0, 60.0),
    (_at_typical_speed(56.0, 85.3, ["fit", "fit"]), 69.0, 62.5),
    (_cap(50.0, 84.6), 5000.0, 67.3),
    (_cap(50.0, 84.6), None, 67.3),
], ids=["a bracket reaching past the utilization law's saturation is split under it",
        "so is an interval the knee's fit decided",
        "not where the prediction is not what saturates (a linear model's API)",
        "nor where the API times nothing"])
def test_the_next_step_stays_under_the_saturation_the_knee_lies_under(cap, saturation, expected):
    """Quiet default runs stepped at the middle of ends past the saturation, at 100 and 102 % of it, and the one step
    stayed undecided."""
    stages = [_stage("gate", 15, "pass"), _stage("a", 50.0, "pass"), _stage("c", 84.6, "fail")]
    assert next_rate(stages, cap, aim=0.10, floor=15, saturation_rps=saturation) == pytest.approx(expected)


def test_a_step_is_held_as_the_stages_are_and_the_runs_budget_grows_by_all_that_was_held(tmp_path):
    """A step runs with the profile's hold: section (unless looks judge it); the run's budget (run_budget_s) grows by
    the seconds held in the ladder and in every step so far."""
    from loadtests.holds import Hold
    from runfolder import files, names
    from slobench.budget import Budget
    from slobench.refine import step_profile
    assert step_profile(40, 20, {"predict_user": 1}, "r1-40rps", Hold())["hold"] == Hold().model_dump()
    assert "hold" not in step_profile(40, 20, {"predict_user": 1}, "r1-40rps")
    r = _refinement()
    r = r.__class__(**{**r.__dict__, "run_dir": tmp_path,
                       "profile": r.profile.model_copy(update={"refine": r.profile.refine.model_copy(
                           update={"run_budget_s": 300.0})})})
    said = []
    r.log = said.append
    budget = Budget(150.0, 0.0, 300.0, 0.0)
    assert r.with_holds(budget) == (budget, 0.0) and not said
    files.HOLDS.write(tmp_path, {"s3": {"from_s": 100.0, "until_s": 160.0}})
    step = tmp_path / names.REFINE_DIR / "01-50rps"
    step.mkdir(parents=True)
    files.HOLDS.write(step, {"r1-50rps": {"from_s": 5.0, "until_s": 17.5}})
    grown, held = r.with_holds(budget)
    assert r.held_s() == held == 72.5 and grown.run_s == 372.5 and len(said) == 1
    assert r.with_holds(grown, said=72.5) == (grown, 72.5) and len(said) == 1   # said once, not at every step


@pytest.mark.parametrize("measured_s, decided_at_look, stops", [
    (20.0, 1, True),
    (10.0, 2, False),
], ids=["a step decided well before its end is stopped there",
        "a step decided within seconds of its end runs to it: a stop then interrupted Locust writing its figures"])
def test_a_step_decided_at_a_look_stops_unless_its_end_is_near(tmp_path, monkeypatch, measured_s, decided_at_look,
                                                              stops):
    from runfolder import files
    from slo.stats.looks import Looks
    from slobench import step_looks
    r = _refinement(scrape_s=1.0)
    files.TIMELINE.write(tmp_path, {"wall_start": 1000.0, "stages": []})
    looks = step_looks.StepLooks(tmp_path, "r1-40rps", 40.0, Looks.spread(3, 0.6, 0.95), 2.0, measured_s, r.judged,
                                 "http://127.0.0.1:2", lambda line: None)
    statuses = iter(["inconclusive"] * (decided_at_look - 1) + ["pass"])
    monkeypatch.setattr(looks, "_judge", lambda start, end: next(statuses))
    clock = {"now": 1000.0}
    monkeypatch.setattr(step_looks.time, "time", lambda: clock["now"])
    said = []
    while clock["now"] < 1002.0 + measured_s and looks.ended_at is None:
        said.append(looks.due())
        clock["now"] += 0.5
    assert looks.ended_at == decided_at_look and said[-1] is stops
