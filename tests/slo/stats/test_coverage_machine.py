"""The run's capacity keeps its promise when the machine's speed changes under part of the run: stages that ran on a
machine twice as slow (other work on the API's core) are named, set no end of the capacity, and are run again where
they tell the most (slobench.steering.run_again). Simulated as test_coverage.py simulates the default run."""
import math

import numpy as np
import pytest

from loadtests.profile import load_profile
from slo.verdicts.capacity import capacity
from slobench.refine import STEP_IN_FLIGHT
from slobench.steering import next_rate
from tests.slo.fakes import judged_stages
from tests.slo.stats import simulate as sim
from tests.slo.stats.test_coverage import (DEFAULT_SECONDS, FULL, P50, Held, default_like_rates, ladder_then_one_step,
                                           stage_of, timed)

DRAIN_S = 60   # a step starts once the target served the queue the stages before it left (slobench.refine.drain)
# The default run's generator drops arrivals that find this many requests in flight: the queue the slowed stages
# leave is at most this many requests' work. Unbounded, a queue of up to 70 s of work outlasted the refinement's
# 60 s drain and its first step measured it: a confident failure under the knee.
IN_FLIGHT = load_profile("default").max_concurrency


def slowed_in_the_middle_then_steps(rng, steps: int, prior_rng=None, under: bool = False) -> tuple[dict, float]:
    """A default run against an M/M/1 target whose prediction costs 12 to 30 ms, each stage up to 15 % faster or
    slower than that, two or three consecutive knee stages from the second on a machine twice as slow (marked slowed,
    as slo/verdicts/machine.py marks them; the stage after them marked as serving their queue where it started with
    one), the p50 knee drawn between 70 and 90 % of saturation; then up to `steps` steps where the steering puts them
    (18 s measured), given the knee the ladder was placed around as the refinement is (its M/M/1 prediction from the
    measured saturation), off by up to a fifth either way (`prior_rng`: drawn apart, so that with or without it the
    runs are the same). `under`: one stage under the knee instead, the gate or the 60 % stage, as default runs had
    (2026-12-08). The capacity, and the knee at the speed it is stated at (the run's typical prediction time)."""
    service_s, share = rng.uniform(0.012, 0.030), rng.uniform(0.70, 0.90)
    prior = share / service_s * prior_rng.uniform(0.8, 1.2) if prior_rng is not None else None
    run = sim.Ladder(rng, share / service_s, min(15, 0.3 / service_s), service_s, p50=True, in_flight=IN_FLIGHT)
    rates = default_like_rates(min(15, 0.3 / service_s), rng.uniform(1.0, 1.2) / service_s, run.threshold)
    speeds = list(service_s * rng.uniform(0.85, 1.15, len(rates) + steps))
    if under:
        slow = {int(rng.integers(0, 2))}
    else:
        first = int(rng.integers(2, 5))
        slow = set(range(first, min(first + int(rng.integers(2, 4)), 6)))
    stages = []
    for w, (rate, seconds) in enumerate(zip(rates, DEFAULT_SECONDS)):
        speeds[w] *= 2 if w in slow else 1
        run.queue.service_s = speeds[w]
        # bool(): `stages and ...` would be the list itself, which the append below makes true (the gate was marked).
        wake = w not in slow and bool(stages) and bool(stages[-1].get("machine")) and run.queue.backlog > 0.5
        run.stage(rate, seconds)
        stages.append(stage_of(run.run, w, f"s{w + 1}", rate, seconds, run.threshold, P50))
        if w in slow or (wake and rate * speeds[w] < 1):
            stages[-1]["machine"] = {"slowed": True} if w in slow else {"after": f"s{w}"}
    timed(stages, speeds)
    run.in_flight = STEP_IN_FLIGHT
    for n in range(1, steps + 1):
        typed = judged_stages(stages)
        rate = next_rate(typed, capacity(typed), 0.10, rates[0], prior_rps=prior)
        if rate is None:
            break
        run.queue.service_s = speeds[len(stages)]
        run.stage(rate, 18, 2, idle_s=DRAIN_S)
        stages.append({**stage_of(run.run, len(stages), f"r{n}", rate, 18, run.threshold, P50), "refine": True})
        timed(stages[-1:], speeds[len(stages) - 1:len(stages)])
    got = capacity(judged_stages(stages))
    typical_ms = got.speed and got.speed.typical_demand_ms
    typical_s = typical_ms / 1000 if typical_ms else float(np.median([s for w, s in enumerate(speeds) if w not in slow]))
    return got, 1 / typical_s - math.log(2) / run.threshold


@pytest.mark.coverage
@pytest.mark.parametrize("steps, widest", [(1, 0.6), (3, 0.3)],
                         ids=["the default run's one step", "three steps (a larger budget)"])
def test_the_runs_capacity_holds_the_knee_when_stages_in_the_middle_ran_slowed(steps, widest, record_property):
    """Held at least 95 % of the time, within two standard errors of the simulation (the promise's rule for every
    case here). With the ladder around the predicted knee (2,000 draws): 96.6 % after one step, median width 66 % of
    its low end; 94.35 % and 25 % after three (74 % and 94.6 % with 35 % while the fit stopped at stages 75 % over
    p50's threshold; seeds 81 and 82 then: 94.9 and 95.6 %; 95.0 % over the 6,000 draws): the
    slowed stages now lie close around the knee, where the steps then run them again. With the ladder at 40 to 80 %
    of the saturation: 99.85 % and 111 %, 97.9 % and 41 %; where the steps split the bracket instead of running the
    slowed stages again, 99.85 % and 115 %, 98.25 % and 49 %. Two or three lost knee stages cost more than one step
    wins back (a one-minute busy loop in the middle of a default run left [34, 82.5] req/s): the power floor is the
    width `widest`, as measured. Measured again on 2026-12-05, once the gated stage was no longer marked as serving a
    queue (`wake` was the stage list itself, made true by the append): 96.25 % after one step (seed 72), median width
    66.5 %, and 94.15 % after three (seed 74), 24.7 %; over 10,000 draws of the three-step case (seeds 11 to 14 and
    74) 94.46 %, just under the 94.56 % that many draws allow, the interval wholly under the knee 3.7 % of the time:
    the queue the slowed stages left (up to 70 s of work, unbounded) outlasted the refinement's 60 s drain, and the
    first step measured it. The generator bounds it (IN_FLIGHT): then 99.1 % after one step (under, over: 0.4, 0.5
    %), median width 66 %, and 96.5 % after three (1.65, 1.85 %), 25.4 %, each side within the level. On 2026-12-06,
    with the stage run again nearest the knee the ladder was placed around where no fit decided an end (its M/M/1
    prediction, off by up to a fifth): 99.25 % after one step (0.45, 0.3 %), median width 72.5 %, and 97.4 % after
    three (1.7, 0.9 %), 26.7 %; the same draws without it, 99.3 % and 72.5 %, 97.75 % and 26.9 %: here the lost stages'
    width came from the bracket's high end, the stage past saturation, which one step that passes does not move. With
    the high end at the saturation at most (knee_speed.capped_at_saturation): 99.3 % after one step (0.45, 0.25 %),
    median width 51.8 %, and 97.6 % after three (1.95, 0.45 %), 24.5 %."""
    rng, prior_rng = np.random.default_rng(71 + steps), np.random.default_rng(171 + steps)
    tally, width = held_in(lambda: slowed_in_the_middle_then_steps(rng, steps, prior_rng), record_property)
    assert tally.rate >= 0.95 - 2 * math.sqrt(0.95 * 0.05 / FULL), tally.rate
    assert tally.each_side_within_the_level(), tally.sides()
    assert width <= widest


@pytest.mark.coverage
def test_the_runs_capacity_holds_the_knee_when_a_stage_under_it_ran_slowed(record_property):
    """The gate or the 60 % stage on a machine twice as slow, then the default run's one step, as 3 of 8 default runs
    had it (2026-12-08; each ran that stage again, under the capacity's interval). 10,000 draws (seed 93): held
    99.23 % (under, over: 0.45, 0.32 %), median width 22.1 %. Running again only stages inside the capacity's
    interval, the step going to the fitted knee instead: 99.33 % (0.45, 0.22 %) and 22.7 %; the lower stage's
    share, measured again, tells the fit as much. So it still runs again, for a step's length where it lies outside
    the interval (slobench.steering.NextStep.fit: every step here lasts 18 s)."""
    rng, prior_rng = np.random.default_rng(93), np.random.default_rng(193)
    tally, width = held_in(lambda: slowed_in_the_middle_then_steps(rng, 1, prior_rng, under=True), record_property)
    assert tally.rate >= 0.95 - 2 * math.sqrt(0.95 * 0.05 / FULL), tally.rate
    assert tally.each_side_within_the_level(), tally.sides()
    assert width <= 0.3


def slowed_all_along_then_a_step(rng) -> tuple[dict, float]:
    """A default run on a machine slowed for the whole of it (a busy loop on the API's core: the forest at 25 to 35
    ms a request, its M/M/1-like knee at 70 to 78 % of saturation), the probe reading 95 to 120 % of the saturation
    (a busy loop's share moves with the API's load: read twice alike shared, the probe keeps the higher figure,
    slobench.probing._kept, and three runs here read 99, 102 and 117 % of what the stages' prediction time then
    put it at; taking the quieter of two reads it had read 86 % and 94 %, so the ladder could lie wholly under the
    knee), the gate at 15 req/s; each stage up to 5 % faster or slower; then the one step the run has room for (15
    s measured, shortened to fit the run's budget) where the steering puts it (test_coverage.ladder_then_one_step).
    The capacity, and the knee at the median stage's speed."""
    service_s, share = rng.uniform(0.025, 0.035), rng.uniform(0.70, 0.78)
    _, stages, knee = ladder_then_one_step(rng, service_s, share, 15, probe_over=(0.95, 1.2), gate_share=0.45,
                                           spread=0.05)
    return capacity(judged_stages(stages)), knee


def held_in(draw, record_property) -> tuple[Held, float]:
    """FULL draws of (capacity, knee) from `draw()`: how often the capacity held the knee, and its median width, both
    recorded."""
    tally, widths = Held(), []
    for _ in range(FULL):
        got, knee = draw()
        tally.add(got.interval_rps, knee)
        widths.append(got.width if got.width is not None else math.inf)
    tally.record(record_property)
    record_property("median width", f"{float(np.median(widths)):.3f}")
    return tally, float(np.median(widths))


@pytest.mark.coverage
def test_the_runs_capacity_holds_the_knee_on_a_machine_slowed_all_along(record_property):
    """Held at least 95 % of the time, each side within the level, and narrow enough to use (the power floor: a
    median width of at most 45 % of the low end; a machine slowed all along holds half the requests a stage, and its
    queue's share rises half as steeply). With the probe reading 95 to 120 % of the saturation (since 2026-12-07):
    99.06 % of 10,000 draws (0.62 % under, 0.32 % over), median width 24.1 %. With it reading 85 to 95 %, as the
    quieter of two reads did: 98.97 % (0.85, 0.18 %) and 33.0 % with stages just past saturation in the fit where
    those under it left no interval, 98.68 % (1.04, 0.28 %) and 32.7 % before. Where the ladder's stages all lie
    under the knee, the fit has its crossing but no interval and the step goes halfway from it to the saturation
    (slobench.steering.past_the_crossing). Drawn in another order, 98.71 % (1.05, 0.24 %)
    and 33.0 %, and the same draws with the step by the bracket's rule (before 2026-12-06) 98.84 % (0.81, 0.35 %)
    and 34.8 %. In a simulation like this one (2,000 draws),
    where the ladder left no share (479 draws): 98.75 % and 44 %; the step at the crossing itself, 98.9 % and 51 %;
    by the bracket's rule, 98.9 % and 52 % (where its step fit: a real run had no room for it)."""
    rng = np.random.default_rng(9)
    tally, width = held_in(lambda: slowed_all_along_then_a_step(rng), record_property)
    assert tally.rate >= 0.95 - 2 * math.sqrt(0.95 * 0.05 / FULL), tally.rate
    assert tally.each_side_within_the_level(), tally.sides()
    assert width <= 0.45, width
