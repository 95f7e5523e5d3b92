"""Before any load: a stage too short to decide the declared percentiles, even with no request over their
thresholds, is refused (gated) or named (ungated), with the duration it needs: MLPerf's minimum query count."""
from __future__ import annotations

from loadtests.profile import Profile
from slo.confidence import zero_count_requests
from slo.spec import LatencyQuantile, SloSpec
from slo.verdict import is_gated
from stack.procs import StackError


class ProfileTooSmall(StackError):
    """A gated stage cannot send enough requests to decide a declared percentile."""


def shortfalls(profile: Profile, spec: SloSpec) -> list[tuple[bool, str]]:
    """(gated, sentence) for each stage whose expected requests to the judged endpoint are too few."""
    quantiles = [o for o in spec.objectives if isinstance(o, LatencyQuantile)]
    if not quantiles:
        return []
    share = profile.scenario.share_of(spec.metrics.selector.get("endpoint", "/predict"))
    worst = max(quantiles, key=lambda o: o.quantile)
    needed = zero_count_requests(1 - worst.quantile, spec.confidence_level)
    out = []
    for w in profile.windows():
        rate = (w.offered_rps or 0) * share
        expected = rate * w.measured_s
        if rate and expected < needed:
            seconds = needed / rate
            gated = is_gated(spec, {"name": w.name, "offered_rps": w.offered_rps})
            out.append((gated, f"stage {w.name}: about {expected:,.0f} requests to {spec.metrics.selector.get('endpoint')}"
                               f" in its {w.measured_s:g} s measured window; deciding {worst.name} at "
                               f"{spec.confidence_level:.0%} takes at least {needed:,} even with none over "
                               f"{worst.threshold_ms:g} ms: measure it for {seconds:.0f} s or more "
                               f"(duration_s {w.end_s - w.start_s:g} -> {w.end_s - w.start_s + seconds - w.measured_s:.0f})"))
    return out


def check(profile: Profile, spec: SloSpec, log=print) -> None:
    """Raise ProfileTooSmall for gated stages that cannot decide; log a warning for ungated ones."""
    found = shortfalls(profile, spec)
    for gated, sentence in found:
        if not gated:
            log(f"warning: {sentence} (not gated: it will be reported inconclusive)")
    refused = [sentence for gated, sentence in found if gated]
    if refused:
        raise ProfileTooSmall(f"profile {profile.name} cannot decide its gated percentiles; no load was sent:\n  "
                              + "\n  ".join(refused))
