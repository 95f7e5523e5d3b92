"""The knee placed by the machine's speed: each stage at the share of its own saturation it offered (the
utilization law), the knee's share fitted across them, and the capacity stated at the run's typical speed and at
the machine's usual one."""
from __future__ import annotations

import statistics
from typing import Callable

from slo.verdicts import knee
from slo.verdicts.report import AtTypicalSpeed, AtUsualSpeed, KneeShare, Stage
from slo.verdicts.saturation import (PREDICTOR_BOUND, PREDICTOR_BUSY, rate_at_share, stage_demand_ms,
                                     stage_utilization, typical_demand_ms, utilization_at)


def knee_share(stages: list[Stage], servers: int, level: float, typical_from: list[Stage] | None = None
               ) -> KneeShare | None:
    """Where the knee lies as a share of the saturation each stage measured (%), fitted across the stages as the
    capacity is (knee.share_knees, the lowest crossing over the objectives), with the prediction time of the run's
    typical stage; None without the API's prediction histograms or a crossing with an interval. The capacity in
    req/s moves with the machine's speed (three runs in a row on one machine: 17.7, 23.2 and 19.8 ms a request and
    fitted knees of 51, 36 and 43 req/s); this share stayed put (85, 82 and 81 %). The typical stage is among
    `typical_from` where given (the stages the capacity is judged on: at_typical_speed states it at that speed)."""
    fitted = _share_fits(stages, servers, level, typical_from)
    fit = fitted and knee.lowest_crossing(fitted[0], unit="pct")
    if fit is None:
        return None
    typical = fitted[1]
    return KneeShare(**fit, servers=servers, typical_demand_ms=round(typical, 3),
                     method="each stage placed at its offered rate times the prediction time a request took in it, "
                            "per process (the utilization law), moved to the run's typical prediction time as a "
                            "queue's latency moves with it; the share over each latency threshold fitted across "
                            "them")


# A stage measured at most this far past its saturation whose queue did not grow through its window (not collapsed):
# its utilization is a measurement, and the fit may lean on it where the stages under saturation leave no interval.
NEAR_SATURATION = 1.05


def _share_fits(stages: list[Stage], servers: int, level: float, typical_from: list[Stage] | None
                ) -> tuple[dict, float] | None:
    """(knee.share_knees across the stages placed at their utilization moved to the typical speed, that prediction
    time); None under knee.MIN_FIT_POINTS stages the API's histograms time under saturation. Where those leave the
    lowest crossing no interval, the fit across them and the stages measured just past saturation that did not
    collapse (NEAR_SATURATION), where there are such."""
    # A stage that kept the predictor busy all the time has no stationary queue to fit: its share is wherever the
    # queue had grown to when its window ended (default-like ladders with such stages in the fit held the knee 95.2 %
    # of the time where the machine's speed moved by 15 % between stages; without them 96.7 %).
    timed = [s for s in stages if stage_demand_ms(s) is not None and stage_utilization(s, servers) < 1]
    if len(timed) < knee.MIN_FIT_POINTS:
        return None
    typical = typical_demand_ms(typical_from or []) or typical_demand_ms(timed)
    def place(s: Stage) -> float:
        return 100 * utilization_at(s, servers, typical)

    fits = knee.share_knees(timed, place, level, unit="pct")
    if knee.lowest_crossing(fits, unit="pct") is not None:
        return fits, typical
    # A quiet default run whose machine ran 10 to 15 % slower in its stages than in its probe measured its top knee
    # stages at 101 % of saturation, throughput held: without them the fit had no interval and the capacity stayed
    # the bracket's [57.6, 74.2] req/s (29 %); with them, [63.8, 71.2] (12 %), inside the other four runs' overlap.
    # Simulated (10,000 draws), the knee held as often, as wide: the machine's speed moving 15 % between stages,
    # 98.18 % and 19.7 % (98.02 % and 19.6 % without); slowed all along, 98.97 % and 33.0 % (98.68 % and 32.7 %).
    reach = [s for s in stages if stage_demand_ms(s) is not None and (
        stage_utilization(s, servers) < 1 or (not s.collapsed and stage_utilization(s, servers) < NEAR_SATURATION))]
    return (fits if len(reach) == len(timed) else knee.share_knees(reach, place, level, unit="pct")), typical


def knee_reach_rps(stages: list[Stage], servers: int, level: float, typical_from: list[Stage] | None = None
                   ) -> float | None:
    """Where the knee's share fitted across the stages crosses its objective, the lowest such crossing, in req/s at
    the run's typical speed, whether or not the fit gave it an interval; None where no fit rises. With every stage
    on one side of the knee the fit has its crossing but no interval (the slope is not known well enough for the
    band to cross the limit on both sides): a step past it gives the line a point on the knee's other side
    (slobench.steering.past_the_crossing). A busy loop on the API's core for a whole default run put the stages at
    42 to 64 % of saturation, p50's share rising from 19 to 40 % over its threshold, the crossing at 74 % with no
    interval."""
    fitted = _share_fits(stages, servers, level, typical_from)
    if fitted is None:
        return None
    knees, typical = fitted
    crossings = [k["fit"]["estimate_pct"] for k in knees.values() if k["fit"]]
    return round(rate_at_share(min(crossings), servers, typical), 1) if crossings else None


def prediction_bound(stages: list[Stage], servers: int, share: KneeShare | None) -> bool:
    """Whether the prediction is what saturates: the knee's share fitted at PREDICTOR_BOUND of the predictor's
    saturation or more; without a fit, some stage kept the predictor busy PREDICTOR_BUSY of the time. A linear
    model's knee lies lower, where the API's own handling of a request saturates with its predictor mostly idle."""
    if share is not None:
        return share.estimate_pct >= 100 * PREDICTOR_BOUND
    return any(((s.server.serving or {}).get("busy_s_per_s") or 0.0) / servers >= PREDICTOR_BUSY
               for s in stages)



def at_typical_speed(stages: list[Stage], servers: int, share: KneeShare | None) -> AtTypicalSpeed | None:
    """The capacity with every stage placed at the share of its own saturation it offered, moved to the typical speed
    (utilization_at): the bracket between the best confident pass and the lowest confident failure there, narrowed by
    the knee's share fitted across the stages (knee_share) and capped at the saturation (capped_at_saturation), then
    put in req/s at the prediction time of the run's typical stage.
    On a machine whose speed moves within a run (a prediction took 18 to 24 ms between the stages of one quiet run)
    the stages stay in order this way, where in req/s a stage run while the machine was faster passed above the
    rate where the typical stage's knee lies, and the curve fitted across them scattered twice as much as their
    own intervals allow. `stages` leaves out those named as run on a machine of another speed (machine.py), as the
    bracket in req/s does: placing by utilization absorbs the jitter under that. Without a fitted share, the
    bracket alone, so two runs on one machine whose speed moved by 13 % ([42.3, 45.8] and [48.4, 72.6] req/s offered,
    apart) are stated at their own typical speeds. None unless every stage carries the API's prediction histogram
    and the prediction is what saturates (prediction_bound): where something else saturates first (the API's own
    handling of a request, as a linear model's), the prediction's time does not measure the speed the queue moved
    with."""
    if not stages or any(stage_demand_ms(s) is None for s in stages) or all(s.collapsed for s in stages) \
            or not prediction_bound(stages, servers, share):
        return None
    demand = typical_demand_ms(stages)
    def place(s: Stage) -> float:
        return utilization_at(s, servers, demand)

    best, lowest_fail = knee.bracket_stages(stages, place)
    bracket = [None if s is None else round(100 * place(s), 1) for s in (best, lowest_fail)]
    interval, decided = capped_at_saturation(*knee.narrowed(bracket, share and share.interval_pct))
    rps = [None if v is None else round(rate_at_share(v, servers, demand), 1) for v in interval]
    return AtTypicalSpeed(typical_demand_ms=round(demand, 3), bracket_pct=bracket, interval_pct=interval,
                          decided_by=decided, interval_rps=rps)


SATURATION_PCT = 100.0   # a stage's utilization (offered rate x its prediction time a request) at the saturation


def capped_at_saturation(interval: list, decided: list[str]) -> tuple[list, list[str]]:
    """The interval in shares of saturation with its high end at most the saturation itself ("saturation" decided
    it): a queue offered more than it serves grows without bound, so the knee lies under it whatever the stages
    showed. A one-minute busy loop on the API's core took the default run's stages from 60 to 110 % of the predicted
    knee (named slowed, or serving the queue they left): the lowest confident failure left was the stage at 124 % of
    saturation, and the interval [45, 75.5] req/s, where the saturation put its high end at 61. Left as it is where
    its low end lies at the saturation or over it (a measurement problem: saturation_check says so)."""
    low, high = interval
    if (high is None or high > SATURATION_PCT) and (low is None or low < SATURATION_PCT):
        return [low, SATURATION_PCT], [decided[0], "saturation"]
    return interval, decided


MIN_USUAL_RUNS = 3  # this run and two earlier like it: a median that one run on an odd day does not move


def at_usual_speed(speed: AtTypicalSpeed | None, earlier: list[float], servers: int,
                   queue_knee_pct: Callable[[float], float | None] | None = None) -> AtUsualSpeed | None:
    """The capacity found in shares of saturation (at_typical_speed) put in req/s at the machine's usual prediction
    time: the median of this run's typical one and those of the earlier runs like it (`earlier`, their
    typical_demand_ms); None under MIN_USUAL_RUNS runs or without a capacity placed by speed. Five quiet default runs
    in a row here took 15.8 to 18.5 ms a prediction and stated [53.0, 57.7] and [43.1, 49.2] req/s at their own
    speeds, apart, while their knees as shares of saturation overlapped (84.5 to 87.6 %): the share is what one
    machine keeps from run to run. It still moves a little with the speed, as the queue's latency is counted in
    prediction times against fixed thresholds: by `queue_knee_pct` (the knee's share an M/M/1 queue has at a
    prediction time, the model the ladder is placed by: 85 % at 15 ms and 73 % at 27 ms under the shipped SLO
    file, 87 to 91 % and 73 to 75 % measured), the interval is moved by the difference between the two speeds.
    The median moves as runs are added: two runs' figures compare at the same reference only."""
    if speed is None or len(earlier) + 1 < MIN_USUAL_RUNS:
        return None
    demands = [*earlier, speed.typical_demand_ms]
    usual = statistics.median(demands)
    shift = 0.0
    if queue_knee_pct is not None:
        at_run, at_usual = queue_knee_pct(speed.typical_demand_ms), queue_knee_pct(usual)
        shift = at_usual - at_run if at_run is not None and at_usual is not None else 0.0
    return AtUsualSpeed(runs=len(demands), usual_demand_ms=round(usual, 3),
                        range_ms=[round(min(demands), 3), round(max(demands), 3)],
                        ratio=round(speed.typical_demand_ms / usual, 3), shift_pct=round(shift, 2),
                        interval_rps=[None if v is None else round(rate_at_share(v + shift, servers, usual), 1)
                                      for v in speed.interval_pct])
