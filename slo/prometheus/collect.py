"""Query Prometheus for every stage window; keep the raw answers with the run."""
from __future__ import annotations


from common.prometheus_api import Prometheus
from slo.prometheus.promql import edge_pad_s, sample_queries, series_queries, sli_queries, stage_queries
from slo.file.model import SloSpec



def collect(prometheus_url: str, spec: SloSpec, stages: list[dict], quantiles: list[float] | None = None,
            scrape_interval_s: float = 1.0, instances: list[str] | None = None,
            scrape_source: str = "assumed") -> dict:
    """Raw answers of every query of every stage, evaluated at the stage's end over its measured window,
    scoped to the target (its job, and its instances when known)."""
    quantiles = sorted(set(quantiles or []) | {o.quantile for o in spec.quantile_objectives()})
    client = Prometheus(prometheus_url)
    raw = {"prometheus_url": prometheus_url, "metrics": spec.metrics.model_dump(),
           "scrape_interval_s": scrape_interval_s, "scrape_interval_source": scrape_source,
           "instances": instances or [], "stages": []}
    pad = edge_pad_s(scrape_interval_s)
    for stage in stages:
        seconds = stage["end"] - stage["measure_from"]
        entry = {"name": stage["name"], "time": stage["end"], "window_s": round(seconds, 3), "answers": {}}
        if seconds > 0:
            built = {**stage_queries(spec.metrics, seconds, quantiles, stage["measure_from"], scrape_interval_s,
                                     instances), **sli_queries(spec.objectives, seconds, scrape_interval_s)}
            queries = {name: (q, stage["end"]) for name, q in built.items()}
            for name, query in sample_queries(spec.metrics, seconds, scrape_interval_s, instances).items():
                queries[name] = (query, stage["end"] + pad)
            for name, (query, at) in queries.items():
                entry["answers"][name] = {"query": query, "time": at, "result": client.query(query, at)}
        raw["stages"].append(entry)
    return raw


MAX_POINTS = 10_000  # Prometheus refuses a range query of more than 11,000 points a series


def collect_series(prometheus_url: str, spec: SloSpec, start: float, end: float, scrape_interval_s: float = 1.0,
                   quantiles: list[float] | None = None, instances: list[str] | None = None) -> dict:
    """The whole run over time, one range query a chart line, at the scrape resolution (coarser only past
    MAX_POINTS); kept in the raw answers (`series`) so a re-evaluation redraws them without Prometheus."""
    client = Prometheus(prometheus_url)
    quantiles = sorted(set(quantiles or []) | {0.5, 0.95, 0.99}
                       | {o.quantile for o in spec.quantile_objectives()})
    step = max(scrape_interval_s, (end - start) / MAX_POINTS)
    out = {"start": start, "end": end, "step_s": step, "answers": {}}
    for name, query in series_queries(spec.metrics, scrape_interval_s, quantiles, instances).items():
        out["answers"][name] = {"query": query, "result": client.query_range(query, start, end, step)}
    return out
