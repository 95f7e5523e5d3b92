"""Each objective's confidence in one stage: its interval in the objective's own terms, the method, and the
decision that interval supports (pass, fail or inconclusive)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from scipy import stats

from slo.stats import blocks, confidence, latency_mean
from slo.stats.confidence import Blocks
from slo.stats.figures import bucket_counts
from slo.file.model import Answers, Availability, ErrorRatio, LatencyMean, LatencyQuantile, Throughput


@dataclass(frozen=True)
class Evidence:
    """What one stage window gives the intervals: counts over the window, and per-scrape blocks when the
    counters' raw samples were collected."""
    level: float
    window_s: float
    scrape_s: float
    buckets: dict[float, float]                      # cumulative requests per edge (seconds), increase()
    bucket_blocks: dict[float, dict] = field(default_factory=dict)
    error_blocks: Blocks | None = None
    mean_blocks: Blocks | None = None
    poisson_arrivals: bool = False
    declared_deff: float = 1.0                       # the SLO file's design_effect
    # Measured around the window (slo/stats/clustering.of_run): design effects by latency threshold in seconds and
    # "errors", and "memory", the mean latency's lag-1 correlation; "mean_spread", its relative spread.
    clustering: dict = field(default_factory=dict)


def with_level(ev: Evidence, level: float) -> Evidence:
    """The same evidence judged at another level (the family policy asks each test at its own)."""
    return replace(ev, level=level)


def evidence_of(entry: dict, status_label: str, level: float, scrape_s: float, start: float, end: float,
                poisson_arrivals: bool = False, declared_deff: float = 1.0) -> Evidence:
    a = entry["answers"]
    buckets = bucket_counts(a)
    by_edge = blocks.bucket_increments(a.get("latency_bucket_samples"), start, end)
    return Evidence(level, entry["window_s"], scrape_s, buckets, by_edge,
                    blocks.of_statuses(a.get("requests_samples"), start, end, status_label),
                    blocks.of_sums(a.get("latency_sum_samples"), by_edge, start, end), poisson_arrivals,
                    declared_deff)


def undecided(ev: Evidence, why: str) -> dict:
    """No interval, and no decision: the objective is no_data."""
    return {"level": ev.level, "low": None, "high": None, "method": why, "decision": None}


def add_needed(out: dict, share: float, allowed: float, level: float, divisor: float, rate: float | None,
               n: float | None = None, half: float | None = None) -> None:
    """requests_needed and the stage duration that means, for an inconclusive share objective: the count that
    decides it with 80 % power at the interval's effective-size divisor (design effect over the df factor), never
    fewer than the interval actually printed implies (it narrows as one over the square root of the requests:
    n x (its half-width / the gap to the limit)^2), so the advice never asks for fewer requests than it had; and
    beside it MLPerf's optimistic minimum, the count that would decide it were none counted."""
    need = confidence.requests_needed(share, allowed, level, divisor)
    out["requests_minimum"] = math.ceil(divisor * confidence.zero_count_requests(allowed, level))
    gap = abs(share - allowed)
    if need is not None and share > 0 and gap > 0 and n and half is not None:  # none counted: 368 is exact
        need = max(need, math.ceil(n * (half / gap) ** 2))
    out["requests_needed"] = need
    out["seconds_needed"] = round(need / rate, 1) if need and rate else None


def _counts(ev: Evidence, edge: float) -> tuple[float, float, Blocks | None]:
    """(requests, requests slower than edge, blocks) from the raw samples, else from the window's increase.
    Edge 0 counts every request, +Inf none."""
    b = blocks.over(ev.bucket_blocks, edge) if 0 < edge < math.inf else \
        blocks.over(ev.bucket_blocks, math.inf)
    if b is not None:
        counted = b.n if edge <= 0 else (0.0,) * len(b.n) if math.isinf(edge) else b.x
        b = Blocks(b.n, counted)
        return b.total, b.counted, b
    n = round(ev.buckets.get(math.inf, 0.0))
    at = 0.0 if edge <= 0 else n if math.isinf(edge) else round(ev.buckets.get(edge, 0.0))
    return n, max(0, n - at), None


def quantile(o: LatencyQuantile, ev: Evidence) -> dict:
    """The share of requests slower than the threshold against 1 - q, from the histogram's counts."""
    allowed, t = 1 - o.quantile, o.threshold_ms / 1000
    lower, upper, exact = blocks.edges_around(set(ev.bucket_blocks) | set(ev.buckets), t)
    n, more, b_more = _counts(ev, lower)      # requests slower than the lower edge: at least those over t
    _, fewer, b_fewer = _counts(ev, upper)    # slower than the upper edge: at most those over t
    if n <= 0:
        return undecided(ev, "no requests in the window")
    run = ev.clustering.get(round(t, 6))
    memory = max(confidence.memory([ev.mean_blocks]), ev.clustering.get("memory", 0.0)) \
        if confidence.queue_reaches(ev.mean_blocks, t) else 0.0
    dep = max((confidence.dependence(b, ev.level, ev.declared_deff, run, memory) for b in (b_more, b_fewer)),
              key=lambda d: d.divisor)
    deff = dep.deff
    low, high = confidence.share_interval(fewer, n, ev.level, dep)[0], confidence.share_interval(more, n, ev.level, dep)[1]
    plain = confidence.clopper_pearson(fewer, n, ev.level)[0], confidence.clopper_pearson(more, n, ev.level)[1]
    source = "exact counts between the window's first and last scrape" if b_more is not None else \
        "counts from increase() over the window (extrapolated to its edges; no per-scrape samples)"
    where = (f"over {o.threshold_ms:g} ms, a bucket edge" if exact is not None else
             f"over {o.threshold_ms:g} ms, bracketed by the bucket edges {1000 * lower:g} and "
             + ("+Inf" if math.isinf(upper) else f"{1000 * upper:g}") + " ms")
    out = {"level": ev.level, "low": round(low, 6), "high": round(high, 6), "limit": round(allowed, 6),
           "terms": f"share of requests {where}", "requests": round(n), "counted": round(more) if exact is not None
           else [round(fewer), round(more)], "bracketed": exact is None,
           "method": f"Clopper-Pearson on {source}, at the effective size n/{dep.divisor:.2f}",
           "assumes": dep.assumes(), "design_effect": round(deff, 3), "blocks": dep.blocks,
           "effective_blocks": round(dep.effective_blocks, 1), "design_effect_from": dep.decided_by(),
           "divisor": round(dep.divisor, 4),
           "widened_by": round((high - low) / (plain[1] - plain[0]), 3)
           if plain[1] > plain[0] else 1.0}
    out["decision"] = confidence.decide(low, high, allowed)
    collapsed = _collapsed_share(ev, t, allowed, b_fewer, b_more) if out["decision"] == "inconclusive" else None
    if collapsed is not None:
        return {**out, **collapsed}
    if out["decision"] == "inconclusive":
        rate = n / ev.window_s if ev.window_s else None
        if more / n < allowed:
            add_needed(out, more / n, allowed, ev.level, dep.divisor, rate, n, high - more / n)
        elif fewer / n > allowed:
            add_needed(out, fewer / n, allowed, ev.level, dep.divisor, rate, n, fewer / n - low)
        else:
            out.update(requests_needed=None, seconds_needed=None)
    return out


def _collapsed_share(ev: Evidence, t: float, allowed: float, b_fewer: Blocks | None,
                     b_more: Blocks | None) -> dict | None:
    """A window the queue grew through (latency_mean.queue_grew: every block's mean latency over the threshold and
    rising) with more than the allowed share over the threshold in every block fails, its range the blocks' own
    shares: there is no stationary share to sample, and a queue that grows does not come back under. Its interval
    then cannot reach 0, as one taken from a window's few effective blocks did (p50 in a collapsed stage, every
    answer at 2,000 ms or more: [31.1 %, 100 %]). Against stationary M/M/1 queues at utilization 0.94 this fires in
    0.3 % of windows on p50's knee and never on p95's (2,000 draws); on queues offered 2 %, 10 % and 20 % over
    their saturation, in 18, 74 and 99 %. The fields that then replace the interval's; None otherwise."""
    grew = latency_mean.queue_grew(ev.mean_blocks, t, ev.level)
    over = confidence.every_block_over(b_fewer, allowed) if grew else None
    if over is None:
        return None
    high = confidence.every_block_over(b_more, allowed) or over
    return {"low": round(over[0], 6), "high": round(high[1], 6), "decision": "fail", "collapsed": True,
            "method": (f"the queue grew through the window: every scrape block's mean latency was over {1000 * t:g} ms "
                       f"and rose with time, and every block had more than {allowed:.2%} of its requests over it "
                       f"(from {over[0]:.1%} to {high[1]:.1%}), so the share is what it was, not a sample of a "
                       "stationary one; the range is the blocks' shares")}


def mean(o: LatencyMean, ev: Evidence, measured_ms: float | None) -> dict:
    n = ev.buckets.get(math.inf, 0.0)
    if measured_ms is None or n <= 0:
        return undecided(ev, "no requests in the window")
    grew = latency_mean.queue_grew(ev.mean_blocks, o.threshold_ms / 1000, ev.level)
    if grew is not None:
        return {"level": ev.level, "low": round(1000 * grew[0], 3), "high": round(1000 * grew[1], 3),
                "limit": o.threshold_ms, "terms": "mean latency (ms)", "collapsed": True, "decision": "fail",
                "method": (f"the queue grew through the window: every scrape block's mean was over the objective and "
                           f"rose with time (from {1000 * grew[0]:.1f} ms up to {1000 * grew[1]:.1f} ms), so the "
                           "mean is what it was, not a sample of a stationary one; the range is the blocks' means")}
    bound = latency_mean.histogram_variance_bound(ev.buckets, measured_ms / 1000)
    low, high, method, se = latency_mean.mean_interval(ev.mean_blocks, measured_ms / 1000, n, ev.level, bound,
                                                       ev.declared_deff, ev.clustering.get("mean_spread"))
    out = {"level": ev.level, "low": round(1000 * low, 3), "high": round(1000 * high, 3), "limit": o.threshold_ms,
           "terms": "mean latency (ms)", "method": method}
    out["decision"] = confidence.decide(out["low"], out["high"], o.threshold_ms) if se is not None else "inconclusive"
    if out["decision"] == "inconclusive" and se and measured_ms > 0:
        # on the log scale the interval is drawn on: the relative standard error against the relative gap
        gap = abs(math.log(measured_ms / o.threshold_ms))
        relative = se / (measured_ms / 1000)
        crit = math.log(high / (measured_ms / 1000)) / relative
        need = math.ceil(n * ((crit + float(stats.norm.ppf(confidence.POWER))) * relative / gap) ** 2) \
            if gap > 0 else None
        out.update(requests_needed=need, seconds_needed=round(need / (n / ev.window_s), 1) if need else None)
    return out


def error_ratio(o: ErrorRatio, ev: Evidence, server: dict) -> dict:
    b = ev.error_blocks
    n, x = (b.total, b.counted) if b else (round(server.get("requests") or 0), round(server.get("errors_5xx") or 0))
    if n <= 0:
        return undecided(ev, "no requests in the window")
    base = {"level": ev.level, "terms": "share of 5xx answers", "limit": o.max_ratio, "requests": round(n),
            "counted": round(x)}
    if o.max_ratio == 0:
        return {**base, "low": x / n, "high": x / n, "method": "exact: no error is allowed, and every one is counted",
                "decision": "pass" if x == 0 else "fail", "observed": True}
    dep = confidence.dependence(b, ev.level, ev.declared_deff, ev.clustering.get("errors"))
    low, high = confidence.share_interval(x, n, ev.level, dep)
    out = {**base, "low": round(low, 6), "high": round(high, 6), "design_effect": round(dep.deff, 3),
           "blocks": dep.blocks, "effective_blocks": round(dep.effective_blocks, 1),
           "design_effect_from": dep.decided_by(), "divisor": round(dep.divisor, 4), "assumes": dep.assumes(),
           "method": "Clopper-Pearson on " + ("exact per-scrape counts of the request counter" if b else
                                              "counts from increase() over the window")
           + f", at the effective size n/{dep.divisor:.2f}",
           "decision": confidence.decide(low, high, o.max_ratio)}
    if out["decision"] == "inconclusive":
        share = x / n
        add_needed(out, share, o.max_ratio, ev.level, dep.divisor, n / ev.window_s if ev.window_s else None, n,
                   high - share if share < o.max_ratio else share - low)
    return out


def availability(o: Availability, ev: Evidence, measured: float | None, scrapes: float | None) -> dict:
    if measured is None or not scrapes:
        return undecided(ev, "no up samples")
    k = round(scrapes)
    if measured >= o.min_up:
        low = confidence.clopper_pearson(k, k, ev.level)[0]
        method = (f"every one of the window's {k} scrapes found the target up: a census of scrapes, so the verdict is "
                  f"observed; the interval is the share of time up that {k} scrapes support (a downtime shorter than "
                  "a scrape can go unseen)")
        return {"level": ev.level, "low": round(low, 6), "high": 1.0, "terms": "share of time up", "method": method,
                "decision": "pass", "observed": True}
    return {"level": ev.level, "low": measured, "high": measured, "terms": "lowest share of instances up",
            "method": "a scrape found it below the objective: observed, not sampled", "decision": "fail",
            "observed": True}


def throughput(o: Throughput, ev: Evidence, achieved_rps: float | None, offered_rps: float | None,
               measured: float | None, arrivals: float = 0) -> dict:
    """The served share of the offered load: exact against counted arrivals (open model) or a deterministic
    schedule; against the nominal rate of a Poisson schedule whose arrivals were not counted, Garwood's interval."""
    if measured is None or not offered_rps or achieved_rps is None:
        return undecided(ev, "no offered rate to compare with")
    if arrivals:
        low = high = measured
        method = f"exact counts: answers against the {arrivals:,.0f} arrivals the generator scheduled in the window"
    elif ev.poisson_arrivals:
        offered = offered_rps * ev.window_s
        lo, hi = confidence.poisson_interval(achieved_rps * ev.window_s, ev.level)
        low, high = lo / offered, hi / offered
        method = ("Garwood's Poisson interval on the achieved count against the nominal rate (the arrivals were "
                  "not counted)")
    else:
        low = high = measured
        method = "exact count against a deterministic schedule (no arrival noise)"
    out = {"level": ev.level, "low": round(low, 4), "high": round(high, 4), "limit": o.min_share,
           "terms": "achieved share of the offered load", "method": method, "observed": low == high,
           "decision": confidence.decide(low, high, o.min_share, higher_is_worse=False)}
    if out["decision"] == "inconclusive":
        add_needed(out, 1 - measured, 1 - o.min_share, ev.level, 1.0, offered_rps)
    return out


def answers(o: Answers, ev: Evidence, checked: int, wrong: int) -> dict:
    """Every answer was recomputed: the count of wrong ones is a census; the interval is what it supports about the
    share of wrong answers the API gives at this load (exact binomial, answers taken as independent)."""
    low, high = confidence.clopper_pearson(wrong, checked, ev.level)
    base = {"level": ev.level, "low": round(low, 6), "high": round(high, 6), "terms": "share of wrong answers",
            "limit": o.max_wrong_share, "requests": checked, "counted": wrong}
    if o.max_wrong_share == 0:
        return {**base, "observed": True, "decision": "pass" if wrong == 0 else "fail",
                "method": f"a census of the stage's {checked} answers, each recomputed with the served model: none "
                          "may be wrong; the interval is the wrong share they support (Clopper-Pearson)"}
    return {**base, "method": f"Clopper-Pearson on the stage's {checked} answers, each recomputed with the served model",
            "assumes": "answers wrong independently of each other",
            "decision": confidence.decide(low, high, o.max_wrong_share)}
