"""Synthetic Prometheus answers and run folders for unit tests of the evaluator (no Prometheus involved)."""
from __future__ import annotations

import json
import math
from pathlib import Path

from slo.prometheus.promql import stage_queries
from slo.stats.confidence import clopper_pearson
from slo.file.model import SloSpec
from slo.verdicts.report import SCHEMA_VERSION, Capacity, KneeShare, Report, Stage
from runfolder import names

LE = (0.00025, 0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.008, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04,
      0.05, 0.075, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, float("inf"))


def _vec(value, **labels):
    return {"metric": labels, "value": [0, str(value)]}


def histogram_quantile(q: float, buckets: dict[float, float]) -> float | None:
    """Prometheus's histogram_quantile over cumulative bucket counts (linear inside the bucket holding rank q*N);
    tests/slo/test_fakes.py checks it against promtool's engine."""
    items = sorted(buckets.items())
    if len(items) < 2 or not math.isinf(items[-1][0]) or items[-1][1] <= 0:
        return None
    rank = q * items[-1][1]
    prev_le, prev_count = 0.0, 0.0
    for i, (le, count) in enumerate(items):
        if count >= rank:
            if math.isinf(le):
                return items[-2][0]
            if i == 0 and le <= 0:
                return le
            return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count)
        prev_le, prev_count = le, count
    return items[-2][0]


def counter_samples(counts: dict[str, float], start: float, end: float, step: float = 1.0, base: float = 1000.0):
    """Raw samples of a request counter per status growing linearly by `counts` over [start, end], read from two
    steps before to two steps after (as the edge query reads them); the counter was at `base` before."""
    ts = [start - 2 * step + i * step for i in range(int(round((end - start) / step)) + 5)]
    return [{"metric": {"status": status},
             "values": [[t, str(base + n * min(max(t - start, 0.0), end - start) / (end - start))] for t in ts]}
            for status, n in counts.items()]


def histogram_samples(latencies_s: list[float], start: float, end: float, step: float = 1.0, bursty: bool = False,
                      base: float = 1000.0) -> tuple[list[dict], list[dict]]:
    """Raw samples of the latency histogram's buckets and of its sum over [start, end] (two steps either side),
    one scrape a step. Requests are dealt to the scrapes at random (a seeded shuffle: independent, as steady traffic
    is), or in order in contiguous runs (bursty: the slow ones listed together land in the same few scrapes)."""
    import numpy as np

    k, n = int(round((end - start) / step)), len(latencies_s)
    per = [[] for _ in range(k)]
    place = np.random.default_rng(n).permutation(n)
    for i, x in enumerate(latencies_s):
        per[(i * k) // n if bursty else place[i] % k].append(x)
    ts = [start - 2 * step + i * step for i in range(k + 5)]
    done = lambda t: per[:max(0, min(k, int(round((t - start) / step))))]  # noqa: E731  blocks scraped by t
    buckets = [{"metric": {"le": "+Inf" if math.isinf(le) else f"{le:g}"},
                "values": [[t, str(base + sum(sum(1 for x in b if x <= le) for b in done(t)))] for t in ts]}
               for le in LE]
    sums = [{"metric": {}, "values": [[t, str(base * 0.002 + sum(sum(b) for b in done(t)))] for t in ts]}]
    return buckets, sums


def answers_for(latencies_s: list[float], statuses: dict[str, int] | None = None, up_min=1, up_samples=30,
                resets=0, all_traffic=None, window=(1010.0, 1040.0), bursty: bool = False) -> dict:
    """Answers as Prometheus gives them for these request latencies over the window (exact increases)."""
    n = len(latencies_s)
    statuses = statuses or {"200": n}
    buckets = {le: sum(1 for x in latencies_s if x <= le) for le in LE}
    a = {
        "requests_by_status": [_vec(v, status=s) for s, v in statuses.items()],
        "all_traffic": [_vec(all_traffic if all_traffic is not None else sum(statuses.values()))],
        "latency_sum": [_vec(sum(latencies_s))] if n else [],
        "latency_count": [_vec(n)] if n else [],
        "latency_buckets": [_vec(sum(1 for x in latencies_s if x <= le), le=("+Inf" if le == float("inf") else f"{le:g}"))
                            for le in LE] if n else [],
        "up_min": [_vec(up_min)] if up_min is not None else [],
        "up_samples": [_vec(up_samples)] if up_samples is not None else [],
        "counter_resets": [_vec(resets)],
        "requests_samples": counter_samples(statuses, *window) if n else [],
    }
    a["latency_bucket_samples"], a["latency_sum_samples"] = histogram_samples(latencies_s, *window, bursty=bursty) \
        if n else ([], [])
    for q in (0.5, 0.95, 0.99):
        value = histogram_quantile(q, buckets) if n else None
        a[f"quantile_{q:g}"] = [_vec(value)] if value is not None else []
    return {k: {"query": k, "result": v} for k, v in a.items()}


def _series(stages: list[dict], slower: float = 1.0) -> dict:
    """Range answers at 1 s over the run, as Prometheus gives them for the report's charts: each stage's figures
    with a fixed ±3 % jitter (seeded by the stage's place, so identical stages give identical series)."""
    import numpy as np

    values: dict[str, list] = {k: [] for k in ("rps_all_traffic", "rps", "mean_ms", "p50_ms", "p95_ms", "p99_ms")}
    for i, st in enumerate(stages):
        lat = st["latencies"]
        n = len(lat)
        buckets = {le: sum(1 for x in lat if x <= le) for le in LE}
        figures = {"rps_all_traffic": (st.get("all_traffic") or n) / 30, "rps": n / 30,
                   "mean_ms": 1000 * sum(lat) / n if n else None,
                   **{f"p{q * 100:g}_ms": 1000 * (histogram_quantile(q, buckets) or 0) if n else None
                      for q in (0.5, 0.95, 0.99)}}
        jitter = np.random.default_rng(i).uniform(0.97, 1.03, size=(len(values), 40))
        for j, (key, out) in enumerate(values.items()):
            for k in range(40):
                if figures[key] is not None:
                    out.append([1000.0 + 40 * i + k, str(figures[key] * jitter[j][k])])
    return {"start": 1000.0, "end": 1000.0 + 40 * len(stages), "step_s": 1.0,
            "answers": {k: {"query": k, "result": [{"metric": {}, "values": v}]} for k, v in values.items()}}


def make_run(tmp: Path, spec: SloSpec, stages: list[dict]) -> Path:
    """A run folder with a timeline and raw answers (the over-time series too); each stage dict: name,
    offered_rps, latencies, (answer kwargs)."""
    tl, raw = {"profile": "fake", "wall_start": 1000.0, "stopped_at": 1000.0 + 40 * len(stages), "stages": []}, []
    for i, st in enumerate(stages):
        start = 1000.0 + 40 * i
        tl["stages"].append({"index": i, "name": st["name"], "users": 10 * (i + 1), "offered_rps": st.get("offered_rps"),
                             "start": start, "measure_from": start + 10, "end": start + 40, "completed": True})
        kw = {k: v for k, v in st.items() if k not in ("name", "offered_rps", "latencies")}
        raw.append({"name": st["name"], "time": start + 40, "window_s": 30.0,
                    "answers": answers_for(st["latencies"], window=(start + 10, start + 40), **kw)})
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "stages.json").write_text(json.dumps(tl))
    (tmp / names.PROMETHEUS_RAW).write_text(json.dumps({"prometheus_url": "http://fake", "metrics": spec.metrics.model_dump(),
                                            "scrape_interval_s": 1.0, "stages": raw, "series": _series(stages)}))
    return tmp


def steady(ms: float, n: int = 3000, tail_ms: float | None = None, tail_share: float = 0.0) -> list[float]:
    """n latencies of `ms`, with a share of them at `tail_ms`."""
    k = int(n * tail_share) if tail_ms is not None else 0
    return [(tail_ms or 0) / 1000] * k + [ms / 1000] * (n - k)


__all__ = ["answers_for", "counter_samples", "evaluate_run", "histogram_quantile", "make_run", "steady", "stage_queries",
           "with_slis"]


def evaluate_run(run: Path, spec: SloSpec, raw: dict | None = None, baseline: Report | list[Report] | None = None,
                 answers: dict | None = None) -> Report:
    """The evaluator on a run folder, fed as the judge feeds it: timeline and client figures read as data (and
    answers, an answers check's result, as answers/check.py gives it)."""
    from slo.verdicts.evaluate import RunData, evaluate
    from slobench.run_folder import RunFolder

    folder = RunFolder(run)
    raw = raw if raw is not None else json.loads((Path(run) / names.PROMETHEUS_RAW).read_text())
    return evaluate(spec, RunData(run_id=Path(run).resolve().name, raw=raw, timeline=folder.timeline,
                                  clients=folder.client_figures(spec.metrics.selector.get("endpoint")),
                                  recording=folder.recorded, generator_recording=folder.sent_latencies,
                                  answers=answers), baseline)


def with_slis(run: Path, spec: SloSpec, good: float, total: float, share: float) -> dict:
    """The run's Prometheus answers with every ratio SLI counting `good` of `total` events and every threshold SLI
    holding `share` of the time, in each stage."""
    from slo.file.model import RatioSli, ThresholdSli

    raw = json.loads((Path(run) / names.PROMETHEUS_RAW).read_text())
    for entry in raw["stages"]:
        for o in spec.objectives:
            if isinstance(o, RatioSli):
                entry["answers"][f"sli_good_{o.name}"] = {"result": [_vec(good)]}
                entry["answers"][f"sli_total_{o.name}"] = {"result": [_vec(total)]}
            elif isinstance(o, ThresholdSli):
                entry["answers"][f"sli_share_{o.name}"] = {"result": [_vec(share)]}
    return raw


def stage_row(name: str = "s1", **fields) -> dict:
    """A stage of a report as its JSON holds it, with what every stage has; `fields` replace or add the rest (a
    window given by its seconds alone starts at 1000)."""
    window = {"start": 1000.0, "end": 1030.0, "seconds": 30.0}
    if "window" in fields:
        seconds = fields["window"].get("seconds", 30.0)
        window = {"start": 1000.0, "end": 1000.0 + seconds, **fields.pop("window")}
    return {"index": 0, "name": name, "began": 1000.0, "window": window, "server": {"quantiles": {}, "notes": []},
            "objectives": [], "status": "pass", **fields}


def stage_of(name: str = "s1", **fields) -> Stage:
    """A judged stage (stage_row's), for tests of what reads judged stages."""
    return Stage.model_validate(stage_row(name, **fields))


def judged_stages(stages: list[dict]) -> list[Stage]:
    """Made-up stages (each a stage_row's fields) as the judged stages the capacity, the knee's fit and the steering
    read."""
    return [stage_of(**s) for s in stages]


def capacity_of(low: float | None = None, high: float | None = None, **fields) -> Capacity:
    """A capacity interval [low, high] req/s decided by the bracket of confident stages at the rates offered, as a
    report holds it; `fields` replace or add the rest (bracket_rps, decided_by, speed, knee_share...)."""
    closed = bool(low and high)
    return Capacity(**{"interval_rps": [low, high], "bracket_rps": [low, high], "decided_by": ["bracket", "bracket"],
                       "rates": "offered", "closed": closed, "width": round((high - low) / low, 4) if closed else None,
                       **fields})


def knee_share_of(estimate_pct: float = 85.0, interval_pct: list | None = None, typical_demand_ms: float = 17.0,
                  **fields) -> KneeShare:
    """The knee as a share of saturation, p50's fitted across four stages, as a report holds it; `fields` replace or
    add the rest."""
    return KneeShare(**{"objective": "p50", "estimate_pct": estimate_pct,
                        "interval_pct": interval_pct or [estimate_pct - 5, estimate_pct + 5],
                        "stages": ["s1", "s2", "s3", "s4"], "dispersion": 1.0, "slope_per_pct": 0.1, "servers": 1,
                        "typical_demand_ms": typical_demand_ms, "method": "fake", **fields})


def report_of(stages: list[dict] = (), run_id: str = "run", **fields) -> Report:
    """A report holding `stages` (stage_row's) and what every report has, for tests of what reads reports; `fields`
    replace or add the rest (profile, slo, manifest...)."""
    profile = fields.pop("profile", "fake")
    return Report.model_validate({
        "schema_version": SCHEMA_VERSION, "service": "fake",
        "run": {"id": run_id, "profile": profile, "started": 1000.0},
        "slo": {}, "stages": list(stages), "capacity": capacity_of(), "verdict": {"status": "pass", "reason": "fake"}, **fields})


def queue_stage(name: str, rate: float, service_ms: float, threshold_ms: float, n: int = 100_000,
                quantile: float = 0.5, counted: bool = False) -> dict:
    """A stage of an M/M/1 API whose prediction took `service_ms` in it: the share over `threshold_ms` of its
    `quantile` objective as the stationary queue has it, P(T > t) = exp(-(1 - rho) t / s), over n requests; its
    interval a fixed +-0.003, or with `counted` the Clopper-Pearson interval of the whole requests counted."""
    rho = rate * service_ms / 1000
    share = math.exp(-(1 - rho) * threshold_ms / service_ms)
    found = round(share * n) if counted else share * n
    low, high = clopper_pearson(found, n, 0.95) if counted else (max(0.0, share - 0.003), share + 0.003)
    confidence = {"low": low, "high": high, "limit": round(1 - quantile, 6), "requests": n, "counted": found,
                  "divisor": 1.0}
    return {"name": name, "offered_rps": rate, "objectives": [{"name": f"p{round(100 * quantile)}",
                                                                "kind": "latency_quantile", "status": "pass",
                                                                "confidence": confidence}],
            "server": {"rps_all_traffic": rate, "serving": {"busy_s_per_s": rho}}}
