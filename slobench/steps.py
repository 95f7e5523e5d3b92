"""A search step: what it sends (one stage of Poisson arrivals at a rate), how long it must be to decide, how it is
judged, and where the next one goes. Shared by the capacity search (slobench/capacity.py) and a run's refinement
(slobench/refine.py)."""
from __future__ import annotations

from loadtests.profile import Scenario
from slo.file.model import SloSpec
from slobench import sample_fit


# Each step starts from a queue its judging drained; SETTLE_S at the step's rate before measuring.
SETTLE_S = 2


def step_profile(rate: float, seconds: float, weights: dict, stage: str | None = None) -> dict:
    return {"name": f"capacity-{rate:.0f}", "kind": "open", "arrival": "poisson", "max_concurrency": 2000,
            "scenario": {"weights": weights}, "settle_s": SETTLE_S,
            "stages": [{"name": stage or f"rate-{rate:.0f}", "rate_rps": rate, "duration_s": seconds}]}


# Verdicts that stop the climb: a confident failure (on the server, or at the client), a saturated generator
# (no higher rate can be measured either) and a step still undecided after its longer repeat (nothing measured
# above it can be trusted as confident). Only the failures bound the capacity from above, as in a run's report.
FAILS = ("fail", "client-tail")
STOPS_CLIMB = (*FAILS, "generator-bound", "inconclusive")


def next_rate(tried: list[tuple[float, str]], start: float, factor: float, max_rps: float, precision: float) -> float | None:
    """Pure search policy: multiply until a step stops the climb, then split the widest gap between the rates
    tried from the best confident pass up to the lowest confident failure (or the step that stopped the climb),
    until the capacity interval is within `precision` of its low end. Never a rate already tried."""
    if not tried:
        return start
    stops = [r for r, v in tried if v in STOPS_CLIMB]
    if not stops:
        nxt = max(r for r, _ in tried) * factor
        return nxt if nxt <= max_rps else None
    ceiling = min(stops)
    low = max((r for r, v in tried if v == "pass" and r < ceiling), default=None)
    if low is None:
        nxt = ceiling / factor
        return nxt if nxt >= start / factor ** 3 and nxt not in {r for r, _ in tried} else None
    high = min((r for r, v in tried if v in FAILS), default=None)
    if high is not None and (high - low) / low <= precision:
        return None
    top = high if high is not None else ceiling
    points = sorted({low, top} | {r for r, _ in tried if low < r < top})
    a, b = max(zip(points, points[1:]), key=lambda gap: (gap[1] - gap[0]) / gap[0])
    return round((a + b) / 2, 1) if (b - a) / a > precision else None


def step_verdict(report: dict) -> str:
    """pass, fail, inconclusive, insufficient, generator-bound (whatever the objectives said), or client-tail."""
    stage = report["stages"][0] if report["stages"] else None
    if stage and stage["client"].get("generator_bound"):
        return "generator-bound"
    status = stage["status"] if stage else "no_data"
    if status in ("pass", "warn") and stage.get("client_breaks"):
        return "client-tail"  # met on the server, broken at the client: users saw more than the server shows
    return {"warn": "pass", "no_data": "insufficient"}.get(status, status)


def step_seconds(rate: float, spec: SloSpec, at_least: float) -> float:
    """A step long enough to decide every count objective at `rate` with none counted (MLPerf's minimum, reached
    with 95 % probability by Poisson arrivals), besides its settling."""
    share = Scenario().share_of(spec.metrics.selector.get("endpoint", "/predict"))
    needed = sample_fit.seconds_needed(spec, rate * share, poisson=True)
    return at_least if needed is None else max(at_least, needed + SETTLE_S)
