"""Compare a run with a baseline run, stage by stage, figure by figure, each in its own direction."""
from __future__ import annotations

from slo.stats import family
from slo.stats.blocks import FROM_HISTOGRAM, FROM_RECORDING
from slo.stats.noise import judge_counts, judge_windows, welch_runs
from slo.file.baseline_criteria import BASELINE_FIGURES
from slo.file.model import SloSpec
from slo.verdicts.baseline_figures import GETTERS, SAMPLED, per_run, run_buckets, samples, scrape_buckets
from slo.verdicts.change_call import call, worse_made_positive
from slo.verdicts.report import BaselineComparison, Capacity, Report, RunManifest, Stage
from slo.verdicts.wording import relative_interval


MODELS_NOTE = ("The two runs used different load models. The closed model's users wait for each answer, so when "
               "the API slows down fewer requests are sent and the slow period is under-sampled (coordinated "
               "omission); the open model starts requests on schedule and times them from their intended start. "
               "At the same offered load, trust the open model's client tail: it is the one users live.")


def regression(name: str, old: float | None, new: float | None) -> float | None:
    """How much worse `new` is than `old`, relatively, in the figure's own direction (< 0: better)."""
    if old is None or new is None:
        return None
    worse = new - old if BASELINE_FIGURES[name] == "higher is worse" else old - new
    if old == 0:
        return 0.0 if worse <= 0 else float("inf")  # from nothing to something: any amount is a regression
    return round(worse / abs(old), 4)


def relative_change(old: float | None, new: float | None) -> float | None:
    """`new` against `old`, relatively, whatever the figure's direction (its `regression` is this made
    worse-positive): every figure's `change`, and the `relative` shift of one observed without a test; None without
    a scale (a baseline of 0) or a side."""
    return round((new - old) / old, 4) if new is not None and old else None


QUANTILE_FIGURES = ("p50", "p95", "p99")
INTERPOLATED = ("interpolated in the histogram's buckets, per scrape: a change inside one bucket reads other than it "
                "is (of a true +10 %, tight runs read p99 +7.9 % and p95 +13.5 %)")
BOUNDED = ", so the interval is bounded by the buckets; the API's recording, where a run has it, gives them exact"
UNBOUNDED = ("; not bounded by the buckets: a report kept none beside these figures (one written before version 8: "
             "judge it again; or a stage without per-scrape figures)")


def _quantiles_from(baseline: list[Report], current: list[Report], stage_name: str, bounded: bool) -> str:
    """What the per-scrape quantiles compared were read from on each side, as the method says it: exact from the
    API's recording (per block of consecutive requests, as many as the scrapes), or interpolated, and then whether
    the buckets bound the interval."""
    def source(reports: list[Report]) -> set[str]:
        return {st.server.per_scrape.get("quantiles_from", FROM_HISTOGRAM) for r in reports for st in r.stages
                if st.name == stage_name}
    sides = source(baseline) | source(current)
    if sides == {FROM_RECORDING}:
        return "; quantiles exact from the API's recording of each block of requests"
    said = INTERPOLATED + (BOUNDED if bounded else UNBOUNDED)
    if sides == {FROM_HISTOGRAM}:
        return f"; quantiles {said}"
    return f"; quantiles exact on one side only, on the other {said}"


def _bounding(old: list | None, new: list | None) -> tuple | None:
    """Both sides' buckets where they bound something: each side has them, and one side interpolated."""
    if old is None or new is None:
        return None
    return (old, new) if any(low != high for low, high in old + new) else None


ENOUGH_REPEATS = 10  # a spread measured over fewer runs is too rough to replace a larger declared one


def run_spread(baseline: list[Report], current: list[Report], stage_name: str, figure: str,
               spec: SloSpec, history: list[Report] = ()) -> tuple[float, str, int | None]:
    """The relative spread of a figure between identical runs and its degrees of freedom (None: declared, taken as
    known): measured across the repeats of either side, or across the history's earlier runs of the same profile,
    target and SLO file (the largest coefficient of variation), never below the SLO file's baseline.run_to_run
    unless at least ENOUGH_REPEATS runs measured it."""
    declared = spec.baseline.run_to_run.get(figure, 0.0)
    measured = []
    for side, where in ((baseline, "repeats"), (current, "repeats"), (history, "earlier runs like it in the history")):
        values = [v for v in per_run(side, stage_name, figure) if v is not None]
        if len(values) >= 2 and sum(values):
            mean = sum(values) / len(values)
            sd = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5
            measured.append((sd / abs(mean), len(values), where))
    if not measured:
        return declared, "assumed: baseline.run_to_run; measure it with --repeat", None
    cv, runs, where = max(measured)
    if runs < ENOUGH_REPEATS and cv < declared:
        return declared, f"declared; the {cv:.0%} measured across {runs} {where} is too rough to go below it", None
    return cv, f"measured across {runs} {where} (t with {runs - 1} df)", runs - 1


def _error_deff(reports: list[Report], stage_name: str) -> float:
    """The largest effective-size divisor the error-ratio objective used in this stage of these runs: its design
    effect with the degrees-of-freedom factor of its blocks (1 without one). With the design effect alone, errors in
    runs of 20 were called regressed against an identical baseline 12 to 18 % of the time."""
    found = [o.confidence.divisor or o.confidence.design_effect or 1.0 for r in reports
             for st in r.stages if st.name == stage_name for o in st.objectives if o.kind == "error_ratio"]
    return max(found, default=1.0)


def _counts(reports: list[Report], stage_name: str) -> tuple[float, float]:
    stages = [s for r in reports for s in r.stages if s.name == stage_name]
    return sum(s.server.errors_5xx for s in stages), sum(s.server.requests for s in stages)


def _judge(name: str, s: Stage, b: Stage, current: list[Report], baseline: list[Report], spec: SloSpec,
           level: float, history: list[Report] = ()) -> tuple[dict, object]:
    """One figure of one stage against the baseline: its test, and the test as a function of the level (for the
    family policy), or None where nothing is sampled."""
    limit = spec.baseline.max_regression.get(name)
    higher_is_worse = BASELINE_FIGURES[name] == "higher is worse"
    runs = [per_run(side, s.name, name) for side in (baseline, current)]
    quantile = name in QUANTILE_FIGURES
    def called(test: dict) -> dict:
        return call(test, limit, higher_is_worse)
    if name in SAMPLED and all(len(v) >= 2 and all(x is not None and x > 0 for x in v) for v in runs):
        buckets = _bounding(*(run_buckets(side, s.name, name) for side in (baseline, current))) if quantile else None
        return called(welch_runs(*runs, level, buckets)), lambda lv: called(welch_runs(*runs, lv, buckets))
    if name in SAMPLED:
        spread, source, df = run_spread(baseline, current, s.name, name, spec, history)
        points = (samples(baseline, s.name, name), samples(current, s.name, name))
        buckets = _bounding(*(scrape_buckets(side, s.name, name) for side in (baseline, current))) \
            if quantile else None
        said = _quantiles_from(baseline, current, s.name, buckets is not None) if quantile else ""
        def at(lv: float) -> dict:
            got = judge_windows(*points, lv, spread, source, df, buckets)
            return called({**got, "method": got["method"] + said})
        return at(level), at
    if name == "error_ratio":
        counts = (_counts(baseline, s.name), _counts(current, s.name))
        spread = run_spread(baseline, current, s.name, name, spec, history)[0]
        deffs = (_error_deff(baseline, s.name), _error_deff(current, s.name))
        return (called(judge_counts(*counts, level, spread, deffs)),
                lambda lv: called(judge_counts(*counts, lv, spread, deffs)))
    old, new = GETTERS[name](b), GETTERS[name](s)   # availability: observed over every scrape
    worse = regression(name, old, new)
    return {"verdict": "regressed" if worse and worse > (limit or 0.0) else "no regression",
            "relative": {"shift": relative_change(old, new)}, "p_value": 0.0,
            "method": "observed: the lowest share up over every scrape of the window"}, None


def _failure(stage: str, name: str, test: dict, limit: float) -> str:
    rel = test.get("relative") or {}
    if rel.get("shift") is None:
        how = "from none"
    else:   # an end past any bound (a bucket's edge) leaves the shift alone, worse made positive as the interval is
        low, high, shift = worse_made_positive(rel, BASELINE_FIGURES[name] == "higher is worse")
        bounded = rel.get("low") is not None and rel.get("high") is not None
        how = f"by {shift:.1%}" + (f" [{low:.1%}, {high:.1%}]" if bounded else "")
    return (f"stage {stage}: {name} worse {how} than the baseline, beyond noise (p = {test['p_value']:.2g}; "
            f"smallest change that matters {limit:.0%})")


def _untested(stage: str, name: str, test: dict, limit: float) -> str:
    """A criterion the file names is never skipped in silence: undecided, the run cannot pass on it."""
    rel = test.get("relative") or {}
    if (test.get("family") or {}).get("kept") is False:
        return (f"baseline criterion {name} in {stage}: regressed alone (p = {test['family']['p_value']:.2g}), but "
                f"not at the level a family of {test['family']['tests']} criteria asks of it "
                f"({test['family']['level_used']:.2g}, Holm)")
    if rel.get("low") is not None or rel.get("high") is not None:   # an end may be unbounded (past a bucket's edge)
        return (f"baseline criterion {name} in {stage}: cannot tell, its change "
                f"{relative_interval(rel.get('low'), rel.get('high'))} straddles the {limit:.0%} limit; "
                f"{test.get('advice') or ''}").rstrip("; ")
    return f"baseline criterion {name} in {stage} cannot be tested: {test['method']}"


def compare(current: list[Report], baseline: list[Report], spec: SloSpec, history: list[Report] = ()
            ) -> tuple[BaselineComparison, list[str]]:
    """Each figure of each gated stage against the baseline's stage of the same name: regressed only when the
    change is beyond what noise explains (slo/stats/noise.py), and by more than the SLO file's max_regression, the
    smallest change that matters; the gated criteria are one family (the SLO file's policy). Either side may be
    several runs (repeats): with several on both, each run's figure is one point (Welch's t); else their per-scrape
    samples are pooled. `history`: earlier runs of the same profile, target and SLO
    file, whose spread between runs replaces the declared one where they are enough. The comparison is built once
    the family policy has judged its criteria, with the failures it keeps."""
    level = spec.confidence_level
    stages, criteria = _figure_tests(current, baseline, spec, level, history)
    candidates = [(test, lambda lv, f=at_level: f(lv)["verdict"] == "regressed")
                  for _, _, test, at_level in criteria if test["verdict"] == "regressed" and at_level]
    fam = family.apply(spec.family, len(criteria), candidates, level)
    failures, untested = [], []
    for stage, name, test, _ in criteria:
        test = _after_family(test)
        if test["verdict"] == "regressed":
            failures.append(_failure(stage, name, test, spec.baseline.max_regression[name]))
        elif test["verdict"] == "cannot tell":
            untested.append(_untested(stage, name, test, spec.baseline.max_regression[name]))
    models = {(side[0].stages[0].client.model or "closed") if side[0].stages else None
              for side in (baseline, current)} - {None}
    return BaselineComparison.model_validate({
        "run": baseline[0].run.id, "runs": [r.run.id for r in baseline], "level": level,
        "stages": [{"stage": name, "figures": {n: _after_family(t) for n, t in changes.items()}}
                   for name, changes in stages],
        "failures": failures, "untested": untested, "models_note": MODELS_NOTE if len(models) > 1 else None,
        "family": fam, "capacity": capacity_change(baseline[0].capacity, current[0].capacity),
        "machine": machine_change(baseline[0].manifest, current[0].manifest, current[0].capacity.interval_rps),
        "models": {"baseline": _model_of(baseline[0]), "current": _model_of(current[0])}}), failures


def _figure_tests(current: list[Report], baseline: list[Report], spec: SloSpec, level: float,
                  history: list[Report]) -> tuple[list[tuple[str, dict]], list[tuple]]:
    """Each stage both sides ran, with each figure's test; and the gated criteria among them (stage, figure, test,
    the test as a function of the level), the family the policy judges."""
    base_by_name = {s.name: s for s in baseline[0].stages}
    stages, criteria = [], []
    for s in current[0].stages:
        b = base_by_name.get(s.name)
        if b is None:
            continue
        changes = {}
        for name, get in GETTERS.items():
            cur, old = get(s), get(b)
            test, at_level = _judge(name, s, b, current, baseline, spec, level, history)
            changes[name] = {"baseline": old, "current": cur, "direction": BASELINE_FIGURES[name],
                             "change": relative_change(old, cur),
                             "regression": regression(name, old, cur), **test}
            if name in spec.baseline.max_regression and s.gated:
                criteria.append((s.name, name, changes[name], at_level))
        stages.append((s.name, changes))
    return stages, criteria


def _after_family(test: dict) -> dict:
    """A test as the family policy left it: one it withdrew (regressed alone, not across the family) cannot tell."""
    return {**test, "verdict": "cannot tell"} if (test.get("family") or {}).get("kept") is False else test


def _model_of(report: Report) -> str | None:
    served = report.serving.served or {}
    return served.get("model_version")


def _moved(old: list, new: list) -> str:
    """Two intervals of a figure where higher is better: improved when the current one lies wholly above the
    baseline's, regressed when wholly below, else cannot tell (an unknown end bounds nothing)."""
    if new[0] is not None and old[1] is not None and new[0] >= old[1]:
        return "improved"
    if new[1] is not None and old[0] is not None and new[1] <= old[0]:
        return "regressed"
    return "cannot tell"


def capacity_change(baseline: Capacity, current: Capacity) -> dict:
    """Two capacity intervals (improved when the current confident pass lies above the baseline's confident failure,
    regressed when the current confident failure lies below the baseline's confident pass), and the knee as a share
    of the saturation each run measured where both have it: the change in req/s that is not the machine's speed."""
    old, new = baseline.interval_rps, current.interval_rps
    out = {"baseline_rps": old, "current_rps": new, "verdict": _moved(old, new), "knee_share": None}
    old_share, new_share = baseline.knee_share, current.knee_share
    if old_share and new_share:
        # What a prediction took while each run's load ran: the machine's speed the canary before it may not see.
        ratio = new_share.typical_demand_ms / old_share.typical_demand_ms
        out["knee_share"] = {"baseline_pct": old_share.interval_pct, "current_pct": new_share.interval_pct,
                             "verdict": _moved(old_share.interval_pct, new_share.interval_pct),
                             "baseline_demand_ms": old_share.typical_demand_ms,
                             "current_demand_ms": new_share.typical_demand_ms, "demand_ratio": round(ratio, 3),
                             "current_rps_at_baseline_speed": _at_speed(new, ratio)}
    return out


def _at_speed(interval: list, ratio: float) -> list:
    """A capacity interval at another speed: each known end times how much longer a prediction took."""
    return [None if r is None else round(r * ratio, 1) for r in interval]


def machine_change(baseline: RunManifest | None, current: RunManifest | None, current_rps: list | None
                   ) -> dict | None:
    """The served model's speed canary of both runs: whether the machines ran at different speeds (their intervals
    apart), and the current capacity at the baseline's speed (scaled by the canaries' ratio); None without both."""
    old = baseline and baseline.api_canary()
    new = current and current.api_canary()
    if not old or not new or old.get("work") != new.get("work"):
        return None
    ratio = new["ms"] / old["ms"]
    differs = new["low"] > old["high"] or new["high"] < old["low"]
    return {"baseline_ms": old["ms"], "current_ms": new["ms"], "ratio": round(ratio, 3), "differs": differs,
            "current_rps_at_baseline_speed": _at_speed(current_rps or [None, None], ratio)}

