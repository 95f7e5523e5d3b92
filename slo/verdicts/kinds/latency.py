"""The latency objectives: a quantile (the share of requests over its threshold against 1 - q, from the histogram's
counts) and the mean (on the log scale, from the per-scrape blocks), each with the collapse of a queue that grew
through its window."""
from __future__ import annotations

import math

from slo.file.model import LatencyMean, LatencyQuantile
from slo.stats import blocks, confidence, intervals, latency_mean, queue_memory
from slo.stats.confidence import MIN_MEAN_BLOCKS, Blocks
from slo.stats.figures import quantile_entry
from slo.stats.intervals import Evidence
from slo.stats.latency_mean import MeanBasis
from slo.verdicts.kinds.base import Kind, StageFigures, status_of, undecided


class QuantileKind(Kind):
    models = (LatencyQuantile,)
    pooled = "share"
    rises_with_load = True

    def is_tail(self, row) -> bool:
        """p95 and above: what a mean within its objective can hide."""
        return row.quantile >= 0.95

    def row(self, o: LatencyQuantile, s: StageFigures) -> dict:
        q = quantile_entry(s.server["quantiles"], o.quantile)
        measured, c = q.get("ms"), self.interval(o, s.evidence)
        return {"bucket_ms": q.get("bucket_ms"), "quantile": o.quantile, "measured": measured,
                "threshold": o.threshold_ms, "warning": o.warning_ms, "unit": "ms", "confidence": c,
                "status": status_of(c, measured, o.warning_ms, s.enough)}

    def interval(self, o: LatencyQuantile, ev: Evidence) -> dict:
        """The share of requests slower than the threshold against 1 - q, from the histogram's counts."""
        allowed, t = 1 - o.quantile, o.threshold_ms / 1000
        lower, upper, exact = blocks.edges_around(set(ev.bucket_blocks) | set(ev.buckets), t)
        n, more, b_more = intervals.counts_over(ev, lower)   # slower than the lower edge: at least those over t
        _, fewer, b_fewer = intervals.counts_over(ev, upper)   # slower than the upper edge: at most those over t
        if n <= 0:
            return undecided(ev, "no requests in the window")
        run = ev.clustering.get(round(t, 6))
        memory = max(queue_memory.memory([ev.mean_blocks]), ev.clustering.get("memory", 0.0)) \
            if queue_memory.queue_reaches(ev.mean_blocks, t) else 0.0
        dep = max((confidence.dependence(b, ev.level, ev.declared_deff, run, memory) for b in (b_more, b_fewer)),
                  key=lambda d: d.divisor)
        deff = dep.deff
        low = confidence.share_interval(fewer, n, ev.level, dep)[0]
        high = confidence.share_interval(more, n, ev.level, dep)[1]
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
        collapsed = collapsed_share(ev, t, allowed, b_fewer, b_more) if out["decision"] == "inconclusive" else None
        if collapsed is not None:
            return {**out, **collapsed}
        if out["decision"] == "inconclusive":
            rate = n / ev.window_s if ev.window_s else None
            if more / n < allowed:
                intervals.add_needed(out, more / n, allowed, ev.level, dep.divisor, rate, n, high - more / n)
            elif fewer / n > allowed:
                intervals.add_needed(out, fewer / n, allowed, ev.level, dep.divisor, rate, n, fewer / n - low)
            else:
                out.update(requests_needed=None, seconds_needed=None)
        return out


class MeanKind(Kind):
    models = (LatencyMean,)
    pooled = "mean"
    averages = True

    def row(self, o: LatencyMean, s: StageFigures) -> dict:
        measured = s.server.get("mean_ms")
        c = self.interval(o, s.evidence, measured)
        return {"measured": measured, "threshold": o.threshold_ms, "warning": o.warning_ms, "unit": "ms",
                "confidence": c, "status": status_of(c, measured, o.warning_ms, s.enough)}

    def interval(self, o: LatencyMean, ev: Evidence, measured_ms: float | None) -> dict:
        n = ev.buckets.get(math.inf, 0.0)
        if measured_ms is None or n <= 0:
            return undecided(ev, "no requests in the window")
        grew = latency_mean.queue_grew(ev.mean_blocks, o.threshold_ms / 1000, ev.level)
        if grew is not None:
            return {"level": ev.level, "low": round(1000 * grew[0], 3), "high": round(1000 * grew[1], 3),
                    "limit": o.threshold_ms, "terms": "mean latency (ms)", "collapsed": True, "decision": "fail",
                    "method": (f"the queue grew through the window: every scrape block's mean was over the objective "
                               f"and rose with time (from {1000 * grew[0]:.1f} ms up to {1000 * grew[1]:.1f} ms), so "
                               "the mean is what it was, not a sample of a stationary one; the range is the blocks' "
                               "means")}
        bound = latency_mean.histogram_variance_bound(ev.buckets, measured_ms / 1000)
        low, high, basis, se = latency_mean.mean_interval(ev.mean_blocks, measured_ms / 1000, n, ev.level, bound,
                                                          ev.declared_deff, ev.clustering.get("mean_spread"))
        out = {"level": ev.level, "low": round(1000 * low, 3), "high": round(1000 * high, 3), "limit": o.threshold_ms,
               "terms": "mean latency (ms)", "method": mean_method(basis)}
        out["decision"] = confidence.decide(out["low"], out["high"], o.threshold_ms) if se is not None \
            else "inconclusive"
        if out["decision"] == "inconclusive" and se and measured_ms > 0:
            # on the log scale the interval is drawn on: the relative standard error against the relative gap
            gap = abs(math.log(measured_ms / o.threshold_ms))
            relative = se / (measured_ms / 1000)
            crit = math.log(high / (measured_ms / 1000)) / relative
            need = math.ceil(n * ((crit + float(confidence.normal_quantile(confidence.POWER))) * relative / gap) ** 2) \
                if gap > 0 else None
            out.update(requests_needed=need, seconds_needed=round(need / (n / ev.window_s), 1) if need else None)
        return out


def mean_method(b: MeanBasis) -> str:
    """How a mean's interval was drawn (latency_mean.mean_interval's basis), or why it has none, in words."""
    if b.none == "too_few_blocks":
        return (f"no interval: {b.blocks} scrape blocks cannot estimate the mean's variance; it needs "
                f"{MIN_MEAN_BLOCKS} (lengthen the stage or scrape more often)")
    if b.none == "no_source":
        return "no interval: neither per-scrape blocks nor a bounded histogram"
    if b.none == "swings":
        return (f"no interval: the window's blocks swing too much for one (a standard error of {b.relative_se:.0%} of "
                f"the mean, t with {b.df:.1f} df, spans more than a hundredfold either way)")
    if b.zero_mean:
        return "critical value × standard error over a zero mean"
    declared = f" x the declared design effect {b.declared:g}" if b.declared > 1 else ""
    parts = ([f"per-scrape blocks ({b.blocks}, lag-1 correlation taken as {b.r:.2f}, t with {b.df:.1f} df)"]
             if b.df is not None else []) + \
        ([f"the histogram's variance bound{declared}"] if b.from_bound else []) + \
        (["the relative spread the neighbouring windows measured"] if b.from_run_spread else [])
    return ("mean ×/÷ e^(critical value × standard error / mean), a positive and skewed figure on the log scale; "
            "the largest standard error of " + ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "")
            + parts[-1])


def collapsed_share(ev: Evidence, t: float, allowed: float, b_fewer: Blocks | None,
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
