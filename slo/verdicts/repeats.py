"""A repeat set: the same profile run N times, summarized per stage as medians with their spread, and one
verdict from each objective's counts pooled over the runs (runs as clusters). Its report is a typed model
(slo/verdicts/report/repeat_set.py), written by slo/reports/repeat_set.py."""
from __future__ import annotations

import math
import statistics

from common.exit_codes import OF_STATUS, Exit, Verdict, verdict
from common.sample import mean_interval
from slo.stats import confidence
from slo.verdicts.baseline import compare
from slo.verdicts.baseline_figures import GETTERS
from slo.verdicts.kinds import kind_of
from slo.verdicts.objectives import JUDGED
from slo.verdicts.report import ObjectiveResult, Report
from slo.verdicts.report.repeat_set import (Pooled, PooledObjective, RepeatCapacity, RepeatSet, RepeatStage,
                                            Spread)

FIGURES = ("rps", "mean", "p50", "p95", "p99", "client_p99", "error_ratio")


def spread(values: list[float], level: float) -> Spread:
    """Median, min-max, the t interval of the mean across runs, and the coefficient of variation."""
    n = len(values)
    out = {"n": n, "median": statistics.median(values), "min": min(values), "max": max(values)}
    if n >= 2:
        mean, low, high = mean_interval(values, level)
        out.update(mean=mean, low=low, high=high, cv=statistics.stdev(values) / abs(mean) if mean else None)
    return Spread(**{k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()})


def _counts(o: ObjectiveResult) -> tuple[float, float, float, float] | None:
    """(requests, counted at least, counted at most, design effect) of a share objective's confidence: a threshold
    between bucket edges brackets the count, and each end of the interval takes its own side of the bracket."""
    c = o.confidence
    if c.requests is None or c.counted is None:
        return None
    fewer, more = c.counted_range
    return float(c.requests), float(fewer), float(more), float(c.design_effect or 1.0)


def _between_runs(groups: list[list], spread) -> tuple[float | None, int]:
    """(a spread between runs pooled over groups of them, its degrees of freedom): each group of two runs or more
    (the set's runs; the earlier runs like them) measured about its own centre by `spread`, weighted by its runs - 1,
    which are summed; None without such a group. Each group about its own centre: the set may differ from its
    history (a change under test) without that counting as spread."""
    groups = [g for g in groups if len(g) >= 2]
    df = sum(len(g) - 1 for g in groups)
    return (sum((len(g) - 1) * spread(g) for g in groups) / df if df else None), df


def _design_effect(counts: list[tuple]) -> float:
    """The design effect between runs of their counts (each a cluster), at the count over the threshold's more."""
    return confidence.design_effect(confidence.Blocks(tuple(c[0] for c in counts), tuple(c[2] for c in counts)))


def _pooled_share(rows: list[ObjectiveResult], level: float, earlier: list[ObjectiveResult] = ()) -> Pooled | None:
    """The runs' counts summed, each run a cluster. Their spread is the spread between runs, at its own degrees of
    freedom (runs - 1, plus the earlier runs' where the history holds runs like these: slobench/history.like_runs),
    never below the largest design effect within a run. Taking the blocks' df instead wherever a run's own spread
    was the larger, sets of 2 runs on machines whose speed moved between them (each run's share off the typical
    one by 60 % in log terms, the typical on the limit) passed falsely 6.38 % of the time (10,000 draws,
    tests/slo/verdicts/test_repeats_coverage.py): two runs that happen to agree say nothing of how far a third
    would stray. Runs that disagree are also reported as a
    calibration warning. A threshold between bucket edges keeps its bracket: the low end from the fewer, the high
    end from the more."""
    counts = [_counts(o) for o in rows]
    if any(c is None for c in counts) or rows[0].confidence.limit is None:
        return None
    history = [c for c in map(_counts, earlier) if c is not None]
    n, fewer, more = (tuple(c[i] for c in counts) for i in range(3))
    between, df = _between_runs([counts, history], _design_effect)
    between = 1.0 if between is None else between
    within = max(c[3] for c in counts)
    dep = confidence.Dependence(max(between, within), 1.0, df + 1, confidence.df_factor(df + 1, level))
    low = confidence.share_interval(sum(fewer), sum(n), level, dep)[0]
    high = confidence.share_interval(sum(more), sum(n), level, dep)[1]
    counted = round(sum(more)) if fewer == more else [round(sum(fewer)), round(sum(more))]
    return Pooled(low=round(low, 6), high=round(high, 6), requests=round(sum(n)), counted=counted,
                  design_effect=round(dep.deff, 3), decision=confidence.decide(low, high, rows[0].confidence.limit),
                  method=f"Clopper-Pearson on the {len(rows)} runs' counts summed, at the effective size "
                         f"n/{dep.divisor:.2f} (runs as clusters; " + _spread_source(len(rows), len(history), df)
                         + ("; the spread within a run, larger, as its floor)" if within > between else ")"))


def _spread_source(runs: int, earlier: int, df: int) -> str:
    """Where the spread between runs came from, in words."""
    return (f"the spread between runs, t with {df} df"
            + (f" ({runs - 1} from these runs, {earlier - 1} from the {earlier} earlier runs like them)"
               if earlier >= 2 else ""))


def _pooled_mean(rows: list[ObjectiveResult], level: float, earlier: list[ObjectiveResult] = ()) -> Pooled | None:
    """The runs' means averaged. The standard error is the larger of the spread between runs and the runs' own
    intervals combined (each half-width over z: never smaller than its standard error), at the between-run
    spread's degrees of freedom as a share's are: runs - 1, plus the earlier runs' where the history holds runs like
    these (their relative spread, pooled with the set's)."""
    if any(o.measured is None or o.confidence.low is None for o in rows):
        return None
    means, r = [o.measured for o in rows], len(rows)
    z = confidence.normal_quantile(1 - (1 - level) / 2)
    within = math.sqrt(sum(((o.confidence.high - o.confidence.low) / (2 * z)) ** 2 for o in rows)) / r
    pooled = statistics.fmean(means)
    history = [o.measured for o in earlier if o.measured]
    variance, df = _between_runs([means, history], lambda g: statistics.variance([math.log(v) for v in g]))
    between = pooled * math.sqrt(variance) / math.sqrt(r)
    crit = confidence.t_quantile(1 - (1 - level) / 2, df)
    se = max(within, between)
    low, high = pooled - crit * se, pooled + crit * se
    return Pooled(low=round(float(low), 3), high=round(float(high), 3), measured=round(pooled, 3),
                  decision=confidence.decide(low, high, rows[0].threshold),
                  method=f"the {r} runs' means averaged; the larger standard error of the spread between runs and "
                         f"the runs' own intervals, {_spread_source(r, len(history), df)}")


def _pooled(rows: list[ObjectiveResult], level: float, earlier: list[ObjectiveResult] = ()) -> PooledObjective:
    """One objective of one stage across the repeats: its counts pooled where it has them (runs as clusters),
    else each run's verdict, a failure in any run failing it; confident verdicts that disagree are a warning."""
    statuses = [o.status for o in rows]
    plain = {("pass" if s == "warn" else s) for s in statuses}
    for missing in ("no_data", "insufficient"):
        if missing in plain:
            return PooledObjective(per_run=statuses, status=missing)
    pooled, pooling = None, kind_of(rows[0]).pooled
    if pooling and len(rows) > 1 and plain <= set(JUDGED):
        pooled = (_pooled_mean if pooling == "mean" else _pooled_share)(rows, level, earlier)
    out = {"status": pooled.decision, "pooled": pooled} if pooled is not None else \
        {"status": "fail" if "fail" in plain else plain.pop() if len(plain) == 1 else "inconclusive"}
    if {"pass", "fail"} <= plain:
        out["calibration"] = ("confident verdicts disagree between runs (" + ", ".join(statuses) + "): the runs "
                              "differ more than their intervals allow; the pooled verdict counts runs as clusters")
    return PooledObjective(per_run=statuses, **out)


def summarize(reports: list[Report], level: float = 0.95, history: list[Report] = ()) -> RepeatSet:
    """The repeat set's figures and verdict from its runs' SLO reports (in run order); `history`, earlier runs of the
    same profile, SLO file and target (slobench/history.like_runs), whose spread between runs joins the set's where
    their stage offered the set's rate."""
    names = [s.name for s in reports[0].stages if all(r.stage(s.name) for r in reports)]
    stages = []
    for name in names:
        runs = [r.stage(name) for r in reports]
        figures = {}
        for figure in FIGURES:
            values = [v for v in (GETTERS[figure](s) for s in runs) if v is not None]
            if values:
                figures[figure] = spread(values, level)
        # A stage a run judged at looks (and may have ended at one) is stated at the looks' stricter level: pooled,
        # it must not be surer than that run was allowed to be.
        at = max([level, *(s.looks.per_look_level if s.looks else level for s in runs)])
        earlier = _like_stages(history, runs)
        objectives = {o.name: _pooled([s.objective(o.name) for s in runs], at,
                                      [e.objective(o.name) for e in earlier if e.objective(o.name)])
                      for o in runs[0].objectives}
        stages.append(RepeatStage(name=name, gated=runs[0].gated, figures=figures, objectives=objectives,
                                  **({"level": at} if at != level else {})))
    return RepeatSet(runs=[r.run.id for r in reports], profile=reports[0].run.profile,
                     service=reports[0].service, level=level, stages=stages,
                     capacity=_capacities(reports, level), verdict=_verdict(reports, stages))


SAME_RATE = 0.05   # an earlier run's stage offered the set's rate when within 5 % of it (a ladder of shares moves)


def _like_stages(history: list[Report], runs: list) -> list:
    """The earlier runs' stages of the set's stage name that declared its rate (the rate declared, not the arrivals
    counted, which stray from it by chance): a stage placed as a share of the measured saturation offered another
    rate on a machine of another speed, and its spread is not this one's."""
    rate = statistics.median(s.declared_rate for s in runs)
    stages = [r.stage(runs[0].name) for r in history]
    return [s for s in stages if s is not None and abs(s.declared_rate - rate) <= SAME_RATE * rate]


def _capacities(reports: list[Report], level: float) -> RepeatCapacity:
    """Each run's capacity interval, and across the runs the spread of the knee's share of saturation and of the
    prediction time a request took: whether the knee moved with the machine or the API (None where fewer than two
    runs measured them)."""
    caps = [r.capacity for r in reports]
    shares = [c.knee_share for c in caps if c.knee_share]
    return RepeatCapacity(
        interval_rps=[c.interval_rps for c in caps],
        knee_share_pct=spread([k.estimate_pct for k in shares], level) if len(shares) >= 2 else None,
        demand_ms=spread([k.typical_demand_ms for k in shares], level) if len(shares) >= 2 else None)


def _verdict(reports: list[Report], stages: list[RepeatStage]) -> Verdict:
    """The set's verdict from the pooled objectives of its gated stages; a run that could not be judged or did not
    run to its end says so first, and a confident failure of any run is never hidden behind a pooled pass."""
    codes = [r.verdict.exit_code for r in reports]
    ids = [r.run.id for r in reports]
    for status, what in (("no_data", "could not be judged"), ("incomplete", "did not run to their end")):
        code = OF_STATUS[status]
        if code in codes:
            return _set_verdict(status, "repeat(s) " + ", ".join(i for i, c in zip(ids, codes) if c == code)
                                + f" {what}")
    gated = [(s.name, name, o) for s in stages if s.gated for name, o in s.objectives.items()]
    warnings = [f"{name} in {stage}: {o.calibration}" for stage, name, o in gated if o.calibration]
    failed = [f"{name} in {stage}" for stage, name, o in gated if o.status == "fail"]
    hidden = [f"{name} in {stage} failed in run(s) " + ", ".join(i for i, st in zip(ids, o.per_run) if st == "fail")
              for stage, name, o in gated if o.status != "fail" and "fail" in o.per_run]
    undecided = [f"{name} in {stage} ({', '.join(o.per_run)})" for stage, name, o in gated
                 if o.status == "inconclusive" and "fail" not in o.per_run]
    if failed:
        return _set_verdict("fail", f"pooled over {len(ids)} repeats, failed: " + "; ".join(failed),
                            warnings=warnings)
    if hidden or undecided:
        return _set_verdict("inconclusive", "the repeats cannot decide " + "; ".join(undecided + hidden),
                            warnings=warnings)
    return _set_verdict("pass", f"pooled over all {len(ids)} repeats, every gated objective met", warnings=warnings)


def against_baseline(summary: RepeatSet, reports: list[Report], baseline: list[Report], spec) -> RepeatSet:
    """The set compared with a baseline (a run or a repeat set) as a set: with runs on both sides each figure is one
    point a run (Welch's t, slo/stats/noise.welch_runs), else the runs' per-scrape figures pooled. A regression
    fails the set; a criterion that cannot tell leaves a passing set inconclusive."""
    comparison, failures = compare(reports, baseline, spec)
    v = summary.verdict
    if failures and v.exit_code in (Exit.PASS, Exit.INCONCLUSIVE):
        v = _set_verdict("fail", "against the baseline: " + "; ".join(failures), warnings=v.warnings)
    elif comparison.untested and v.exit_code == Exit.PASS:
        v = _set_verdict("inconclusive", "against the baseline: " + "; ".join(comparison.untested),
                         warnings=v.warnings)
    return summary.model_copy(update={"baseline": comparison, "verdict": v})


def _set_verdict(status: str, reason: str, **more) -> Verdict:
    """A verdict as the repeat set's report keeps it (common/exit_codes.py: Verdict, its exit code its status's)."""
    return verdict(status, reason, **more)

