"""What a baseline comparison reads off each side's reports, figure by figure: a stage's figure in each run, its
per-scrape values inside the stage's window, and where a quantile was interpolated, the histogram bucket it lies in."""
from __future__ import annotations

from slo.prometheus.promql import series_rate_window_s
from slo.file.baseline_criteria import BASELINE_FIGURES
from slo.stats.blocks import BUCKET_SUFFIX, FROM_RECORDING
from slo.stats.bucketed import Bucket
from slo.stats.figures import quantile_entry
from slo.verdicts.report import Report, Stage


def exact_quantile_ms(stage: Stage, q: float) -> float | None:
    """A stage's quantile q in ms exact from the API's recording; None where the stage has no recording of it."""
    return (stage.accuracy.quantiles.get(f"{q:g}") or {}).get("exact_ms") if stage.accuracy else None


def quantile_of(stage: Stage, q: float) -> float | None:
    """A stage's quantile q in ms: exact from the API's recording where the stage has it, else Prometheus's
    estimate, interpolated inside its bucket."""
    exact = exact_quantile_ms(stage, q)
    return exact if exact is not None else stage.server.quantile_ms(q)


# Figure name -> how to read it off a stage of the report; names and directions are BASELINE_FIGURES's.
GETTERS = {
    "rps": lambda s: s.server.rps_all_traffic,
    "mean": lambda s: s.server.mean_ms,
    "p50": lambda s: quantile_of(s, 0.5),
    "p95": lambda s: quantile_of(s, 0.95),
    "p99": lambda s: quantile_of(s, 0.99),
    "client_p99": lambda s: s.client.tail_p99_ms,
    "error_ratio": lambda s: s.server.error_ratio,
    "availability": lambda s: s.server.availability,
}
assert set(GETTERS) == set(BASELINE_FIGURES)

# Figure name -> (series, key) of the report's over-time data that samples it once per scrape (or second).
SAMPLED = {"rps": ("server", "rps_all_traffic"), "mean": ("server", "mean_ms"), "p50": ("server", "p50_ms"),
           "p95": ("server", "p95_ms"), "p99": ("server", "p99_ms"), "client_p99": ("client", "p99_ms")}


def samples(reports: list[Report], stage_name: str, figure: str) -> list[list[float]]:
    """The figure's non-overlapping per-scrape values inside a stage's measured window, in time order, one list a
    report (a run and its repeats): the stage's own per-scrape figures, else the report's over-time points (rates
    over 3 scrapes, so every third one is kept)."""
    side, key = SAMPLED[figure]
    out: list[list[float]] = []
    for report in reports:
        stage = report.stage(stage_name)
        series = report.series.side(side)
        if stage is None:
            continue
        started = report.run.started
        start, end = stage.window.start - started, stage.window.end - started
        scraped = stage.server.per_scrape.get(key) if side == "server" else None
        if scraped:  # exact per-scrape figures from the counters' raw samples
            out.append(list(scraped))
        elif series is None:
            out.append([])
        elif side == "server":
            reach = series_rate_window_s(report.run.scrape_interval.get("seconds", 1.0))
            every = max(1, round(reach / series.step_s))
            points = [v for t, v in zip(series.t, series.values(key) or []) if start + reach <= t <= end
                      and v is not None]
            out.append(points[::every])
        else:
            out.append([v for t, v in zip(series.t, series.values(key) or []) if start <= t < end
                        and v is not None])
    return out


def scrape_buckets(reports: list[Report], stage_name: str, figure: str) -> list[Bucket] | None:
    """Each per-scrape quantile's histogram bucket, in the order of samples()'s quantiles taken one report after
    another (an exact one, from the API's recording, at itself); None where a report interpolated them and kept no
    buckets (written before version 8), or where samples() read them from the over-time series (a stage without
    per-scrape figures)."""
    out: list[Bucket] = []
    for report in reports:
        stage = report.stage(stage_name)
        if stage is None:
            continue
        scraped = stage.server.per_scrape
        values, buckets = scraped.get(f"{figure}_ms"), scraped.get(f"{figure}{BUCKET_SUFFIX}")
        if not values:
            return None
        if scraped.get("quantiles_from") == FROM_RECORDING:
            out += [(v, v) for v in values]
        elif buckets is None:
            return None
        else:
            out += [(low, high) for low, high in buckets]
    return out


def run_buckets(reports: list[Report], stage_name: str, figure: str) -> list[Bucket] | None:
    """Each run's quantile's bucket, as per_run() gives the quantiles (exact from the recording: at itself); None
    where one has no bucket to bound it."""
    q = float(figure[1:]) / 100
    out = []
    for stage in filter(None, (r.stage(stage_name) for r in reports)):
        exact = exact_quantile_ms(stage, q)
        bucket = quantile_entry(stage.server.quantiles, q).get("bucket_ms")
        if exact is None and not bucket:
            return None
        out.append((exact, exact) if exact is not None else tuple(bucket))
    return out


def per_run(reports: list[Report], stage_name: str, figure: str) -> list[float | None]:
    """The figure of a stage in each report that has the stage (None where the report has no such figure)."""
    return [GETTERS[figure](st) for r in reports for st in r.stages if st.name == stage_name]
