"""Queue and compute apart, per stage, where the utilization law puts the API's saturation, each stage's share of it,
and what both say at the knee (slo/verdicts/knee_speed.py places the knee by those shares)."""
from __future__ import annotations

import math
import statistics

from slo.stats.figures import quantile_ms
from slo.verdicts.report import Capacity, Stage


def _scalar(answers: dict, name: str) -> float | None:
    answer = answers.get(name)
    if not answer or not answer["result"]:
        return None
    value = float(answer["result"][0]["value"][1])
    return None if math.isnan(value) else value


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000 * seconds, 3)


def stage_serving(entry: dict, server: dict) -> dict | None:
    """How long requests waited before their prediction, how long predictions took, how many shared a call and how
    busy the predictor was, from the API's own histograms; None when the target does not export them."""
    a, w = entry["answers"], entry["window_s"]
    calls, compute = _scalar(a, "compute_count"), _scalar(a, "compute_sum")
    waited, wait_sum = _scalar(a, "wait_count"), _scalar(a, "wait_sum")
    if not calls or not waited or compute is None or wait_sum is None or w <= 0:
        return None
    wait_mean = wait_sum / waited
    wait_p99 = _scalar(a, "wait_p99")
    p99 = quantile_ms(server["quantiles"], 0.99)
    mean = server.get("mean_ms")
    return {
        "predictions": round(waited, 1),
        "wait_mean_ms": _ms(wait_mean), "wait_p50_ms": _ms(_scalar(a, "wait_p50")),
        "wait_p95_ms": _ms(_scalar(a, "wait_p95")), "wait_p99_ms": _ms(wait_p99),
        "compute_mean_ms": _ms(compute / calls),
        "batch_mean": round((_scalar(a, "batch_sum") or calls) / calls, 3),
        "busy_s_per_s": round(compute / w, 4),  # seconds of prediction per second: the predictor's utilization
        "in_flight_max": _scalar(a, "in_flight_max"),  # at a scrape, the scrape's own request included
        # The share of the users' typical and tail latency that was waiting, not predicting (histogram p99s: an
        # approximation of the tail's share, exact for the mean).
        "wait_share_mean": round(min(1.0, 1000 * wait_mean / mean), 3) if mean else None,
        "wait_share_p99": round(min(1.0, 1000 * wait_p99 / p99), 3) if wait_p99 is not None and p99 else None,
    }


def predicted_saturation(stages: list[Stage], servers: int) -> dict | None:
    """The utilization law (U = X x D): with D the seconds of prediction per request of the whole traffic, measured
    over the stages that kept up, `servers` processes saturate at servers / D req/s of this mix. What else the API
    does per request (parsing, answering) is not in D, so the true ceiling is somewhat lower."""
    kept_up = [s for s in stages if s.server.serving and not s.collapsed]
    requests = sum((s.server.rps_all_traffic or 0) * s.window.seconds for s in kept_up)
    busy = sum(s.server.serving["busy_s_per_s"] * s.window.seconds for s in kept_up)
    if not kept_up or requests <= 0 or busy <= 0:
        return None
    demand = busy / requests
    return {"servers": servers, "demand_ms": round(1000 * demand, 3), "saturation_rps": round(servers / demand, 1),
            "from_stages": [s.name for s in kept_up]}


def stage_demand_ms(stage: Stage) -> float | None:
    """The prediction time one request of the stage's traffic took in that stage (busy seconds per request served);
    None where the target does not export it."""
    serving, served = stage.server.serving, stage.server.rps_all_traffic
    if not serving or not served or not serving.get("busy_s_per_s"):
        return None
    return 1000 * serving["busy_s_per_s"] / served


def stage_utilization(stage: Stage, servers: int) -> float | None:
    """The share of its own saturation a stage offered, by the utilization law (U = X D / servers): its offered rate
    times the prediction time a request took in that very stage. The predictor's busy time is wall-clock time, so a
    stage run while the machine was slower, or while other work took the API's core, counts as the higher load it
    was: stages of one run stay in order through a slow spell, and runs on machines of other speeds compare."""
    demand = stage_demand_ms(stage)
    return None if demand is None else stage.rate * demand / 1000 / servers


def rate_at_share(pct: float, servers: int, demand_ms: float) -> float:
    """The rate, in req/s, that offers `pct` % of the saturation of `servers` API processes at `demand_ms` of
    prediction a request: the utilization law (stage_utilization) read the other way, unrounded."""
    return pct / 100 * servers * 1000 / demand_ms


def utilization_at(stage: Stage, servers: int, typical_ms: float) -> float | None:
    """The utilization at which a stage run at the typical speed (`typical_ms` of prediction a request) would hold the
    same queue as this one did at its own: 1 - (1 - U) x typical / its own prediction time. A queue's latency counts
    in service times (an M/M/1 queue's P(T > t) = exp(-(1 - U) t / s), the model the ladder is placed by), so a
    stage run while the machine was 10 % faster, at the same utilization, shows a lower share over a fixed threshold.
    Placed at their own utilization, the stages of quiet default runs (15.3 to 18.6 ms a prediction within one)
    scattered up to 2.3 times more than their intervals allow around the knee's fit; placed this way, up to 1.6
    times, and the fit's interval narrowed from 37.5 to 18.4 % of its low end in that run (from 12.7 to 9.5 % and
    92 to 51 % in two others; over 15 default runs of 2026-12-05 and 06 re-read, the median width stayed 16.7 %
    against 16.8 %)."""
    utilization, demand = stage_utilization(stage, servers), stage_demand_ms(stage)
    return None if utilization is None else 1 - (1 - utilization) * typical_ms / demand


PREDICTOR_BOUND = 0.5   # the knee at half the predictor's saturation or more: the prediction is what saturates
# Without a fitted knee: a stage that kept the predictor busy this share of the time says the same (the forest API's
# collapsed stages measured 97 to 98 %).
PREDICTOR_BUSY = 0.9


def typical_demand_ms(stages: list[Stage]) -> float | None:
    """The prediction time a request took in the run's typical stage (the median over the stages that kept up and
    carry it); None where none does."""
    demands = [stage_demand_ms(s) for s in stages if not s.collapsed]
    demands = [d for d in demands if d is not None]
    return statistics.median(demands) if demands else None


def knee_sentences(stages: list[Stage], cap: Capacity, predicted: dict | None) -> list[str]:
    """At the first stage that failed with confidence: how much of the tail was waiting rather than predicting, and
    how much of the users' p99 the server's histogram did not see; then each collapsed stage."""
    out = []
    knee = next((s for s in stages if s.name == cap.first_failing_stage), None)
    serving = knee and knee.server.serving
    if serving and serving.get("wait_share_p99") is not None:
        first = next((s for s in stages if s.server.serving), None)
        calm = first and first.server.serving
        out.append(f"At the knee ({knee.name}), waiting before the prediction was {serving['wait_share_p99']:.0%} of "
                   f"the server's p99 (wait p99 {serving['wait_p99_ms']:.1f} ms, prediction {serving['compute_mean_ms']:.1f} "
                   f"ms on average, predictor busy {serving['busy_s_per_s']:.0%} of the time)"
                   + (f", against {calm['wait_share_p99']:.0%} in {first.name}" if calm and calm is not serving
                      and calm.get("wait_share_p99") is not None else "") + ".")
    gap = knee and knee.gap
    client_p99 = knee and knee.client.tail_p99_ms
    if gap and gap.p99_gap_ms is not None and client_p99:
        hidden = max(0.0, gap.p99_gap_ms)
        out.append(f"At the knee ({knee.name}), the users' p99 was {client_p99:.1f} ms: {hidden:.1f} ms of it "
                   f"({hidden / client_p99:.0%}) was outside the server's histogram (time in the socket before the "
                   f"API's clock starts, and the client's own; {gap.cause}).")
    for c in cap.collapsed_stages:
        out.append(f"Stage {c['stage']} collapsed: {c['offered_rps']:g} req/s offered, {c['achieved_rps']:g} served "
                   "(its throughput objective failed with confidence: a queue grew through the window)"
                   + (f"; the utilization law puts saturation near {predicted['saturation_rps']:g} req/s "
                      f"({predicted['demand_ms']:g} ms of prediction a request, {predicted['servers']} process(es))"
                      if predicted else "") + ".")
    return out


def saturation_check(predicted: dict | None, stages: list[Stage], interval: list) -> list[str]:
    """Sentences when the measured capacity is far from what the compute time allows: a collapse well below the
    predicted saturation (something else took the API's CPU), or a confident pass above it (a measurement
    problem)."""
    if not predicted:
        return []
    ceiling, out = predicted["saturation_rps"], []
    collapsed = [s for s in stages if s.collapsed]
    low = min(collapsed, key=lambda s: s.rate, default=None)
    if low is not None and low.rate < 0.75 * ceiling:
        out.append(f"Stage {low.name} collapsed at {low.declared_rate:g} req/s offered, well below the "
                   f"{ceiling:g} req/s its measured prediction time allows ({predicted['demand_ms']:g} ms a request, "
                   f"{predicted['servers']} process(es)): something else took the API's CPU (the generator or the "
                   "machine), not the model's cost.")
    if interval and interval[0] is not None and interval[0] > 1.1 * ceiling:
        out.append(f"A stage passed at {interval[0]:g} req/s, above the {ceiling:g} req/s the utilization law allows: "
                   "the prediction time or the rates were mismeasured.")
    return out
