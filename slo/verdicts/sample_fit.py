"""Before any load: a stage too short to decide a gated objective, even with nothing over its limit, is refused
(gated) or named (ungated), with the duration it needs: MLPerf's minimum query count, for every count objective.
The plan checked is a load profile (loadtests.profile.Profile, read through PlannedProfile): how many requests
decide an objective is the evaluator's to say, whoever plans the load (the run, the web UI's start form)."""
from __future__ import annotations

import math

from scipy.special import gammaincinv

from common.specfile import SpecError
from slo.stats.confidence import zero_count_requests
from slo.file.model import SloSpec
from slo.verdicts.objectives import is_gated
from slo.verdicts.scrape_fit import PlannedProfile

# A Poisson stage's count is random: it must reach the minimum with this probability, not merely on average.
REACH_PROBABILITY = 0.95


class ProfileTooSmall(SpecError):
    """A gated stage cannot send enough requests to decide a declared objective."""


def minimums(spec: SloSpec) -> list[tuple[str, int, str]]:
    """(objective, the fewest requests that decide it with none counted, what none means) for each objective
    judged on a count: the latency quantiles and the error ratio."""
    out = []
    for o in spec.objectives:
        counted = o.zero_count()
        if counted is not None:
            share, what = counted
            out.append((o.name, zero_count_requests(share, spec.confidence_level), what))
    return out


def expected_needed(needed: int, poisson: bool) -> float:
    """The expected count that reaches `needed` requests: with Poisson arrivals, with REACH_PROBABILITY
    (P(N >= k) = P(Gamma(k) <= lambda)); with a steady rate, the count itself."""
    return float(gammaincinv(needed, REACH_PROBABILITY)) if poisson else float(needed)


def seconds_needed(spec: SloSpec, endpoint_rps: float, poisson: bool) -> int | None:
    """How long a window at `endpoint_rps` to the judged endpoint must be measured to decide the hardest count
    objective with none counted (None: the file has no count objective)."""
    found = minimums(spec)
    if not found:
        return None
    return math.ceil(expected_needed(max(n for _, n, _ in found), poisson) / endpoint_rps)


def shortfalls(profile: PlannedProfile, spec: SloSpec) -> list[tuple[bool, str]]:
    """(gated, sentence) for each stage whose requests to the judged endpoint are too few for its hardest
    count objective; a stage with no declared rate is named as unchecked."""
    found = minimums(spec)
    if not found:
        return []
    name, needed, none = max(found, key=lambda f: f[1])
    endpoint = spec.metrics.selector.get("endpoint", "/predict")
    share = profile.scenario.share_of(endpoint)
    poisson = profile.poisson_arrivals
    out = []
    for w in profile.windows():
        gated = is_gated(spec, {"name": w.name, "offered_rps": w.offered_rps, "ungated": w.ungated})
        rate = (w.offered_rps or 0) * share
        if not rate and profile.stages[w.index].placed_from_probe:
            continue  # a share of the saturation the probe measures: checked once placed
        if not rate:
            out.append((False, f"stage {w.name}: no declared rate, so its requests cannot be counted before the load"))
            continue
        expected, enough = rate * w.measured_s, expected_needed(needed, poisson)
        if expected < enough:
            seconds = seconds_needed(spec, rate, poisson)
            reach = (f", which a Poisson stage reaches with {REACH_PROBABILITY:.0%} probability only from about "
                     f"{math.ceil(enough):,} expected" if poisson else "")
            out.append((gated, f"stage {w.name}: about {expected:,.0f} requests to {endpoint} expected in its "
                               f"{w.measured_s:g} s measured window; deciding {name} at {spec.confidence_level:.0%} takes "
                               f"at least {needed:,} even with {none}{reach}: measure it for {seconds} s or more "
                               f"(duration_s {w.end_s - w.start_s:g} -> "
                               f"{math.ceil(w.end_s - w.start_s + seconds - w.measured_s)})"))
    return out


def check(profile: PlannedProfile, spec: SloSpec, log=print) -> None:
    """Raise ProfileTooSmall for gated stages that cannot decide; log a warning for ungated ones."""
    found = shortfalls(profile, spec)
    for gated, sentence in found:
        if not gated:
            log(f"warning: {sentence} (not gated: it may be reported inconclusive)")
    refused = [sentence for gated, sentence in found if gated]
    if refused:
        raise ProfileTooSmall(f"profile {profile.name} cannot decide its gated objectives; no load was sent:\n  "
                              + "\n  ".join(refused))
