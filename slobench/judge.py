"""After the load: collect from Prometheus, evaluate, check drift, write every report of the run."""
from __future__ import annotations

import json
import time
from pathlib import Path

from loadtests import sent, timeline
from loadtests import client_figures as merged_figures
from loadtests.client_series import series as client_seconds
from slo import collect
from slo.baseline import load_report
from slo.evaluate import evaluate
from slo.prometheus_api import PrometheusError
from slo.promql import edge_pad_s
from slo.scrape import ScrapeInterval, discover
from slo.reports import write_all
from slo.spec import SloSpec
from slobench.manifest import summary as manifest_summary


REJUDGED_PREFIX = "judged-with-"
ENDED_FILE = "ended.json"  # how the load ended: Locust's exit code, an interrupt (written by the pipeline)


def run_end(run_dir: Path, merged: dict | None) -> dict:
    """How the run ended, for the completeness check: what the pipeline recorded, and the workers' finals."""
    path = Path(run_dir) / ENDED_FILE
    ended = json.loads(path.read_text()) if path.is_file() else {}
    return {**ended, "finals": (merged or {}).get("finals"), "clocks": (merged or {}).get("clocks")}


def client_figures(run_dir: Path, tl: dict, endpoint: str | None) -> dict[str, dict | None]:
    """The generator's figures per stage, merged by the Locust master from every process's HDR histograms
    (client_stats.json); None per stage when the run has none (a Locust that died before writing it)."""
    merged = merged_figures.load(run_dir)
    return {st["name"]: None if merged is None else merged_figures.stage_figures(merged, st, endpoint)
            for st in tl["stages"]}


def output_dir(run_dir: Path, spec: SloSpec, slo_path: Path) -> Path:
    """Where a (re-)evaluation writes: the run folder itself, unless the run was already judged with another
    SLO: then a folder beside the original reports, named after the SLO file, and the original stays."""
    run_dir = Path(run_dir)
    original = run_dir / "slo_report.json"
    if not original.is_file():
        return run_dir
    try:
        judged_with = json.loads(original.read_text()).get("slo")
    except json.JSONDecodeError:
        judged_with = None
    if judged_with == spec.model_dump(mode="json"):
        return run_dir
    return run_dir / f"{REJUDGED_PREFIX}{Path(slo_path).stem}"


def judge(run_dir: Path, spec: SloSpec, prometheus_url: str | None, baseline: Path | None = None,
          drift_check=None, scrape: ScrapeInterval | None = None, out_dir: Path | None = None,
          instances: list[str] | None = None) -> dict:
    """Raw answers come from Prometheus when a URL is given, else from the run's saved prometheus_raw.json.
    The scrape interval is learned from that Prometheus unless given; queries are scoped to the target's
    job and, when known, its instances. Reports (and answers queried anew) go to out_dir, the run folder
    by default."""
    out_dir = Path(out_dir or run_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if prometheus_url:
        stages = timeline.read(run_dir)["stages"]
        scrape = scrape or discover(prometheus_url, spec.metrics.up_selector)
        # The last window ends when the load stops: wait for the scrapes past its edge (its samples are read).
        last_end = max((s["end"] for s in stages), default=0)
        time.sleep(max(0.0, last_end + edge_pad_s(scrape.seconds) + 0.5 * scrape.seconds - time.time()))
        raw = collect.collect(prometheus_url, spec, stages, scrape_interval_s=scrape.seconds, instances=instances,
                              scrape_source=scrape.source)
        if stages:  # the whole run over time, for the report's charts
            raw["series"] = collect.collect_series(prometheus_url, spec, stages[0]["start"], stages[-1]["end"],
                                                   scrape.seconds, instances=instances)
        collect.save(out_dir, raw)
    else:
        raw = collect.load(run_dir)
        if raw is None:
            raise PrometheusError(f"{run_dir}: no {collect.RAW_FILE} and no Prometheus URL to query")
    tl = timeline.read(run_dir)
    merged = merged_figures.load(run_dir)
    report = evaluate(run_dir, spec, raw, tl, client_figures(run_dir, tl, spec.metrics.selector.get("endpoint")),
                      load_report(baseline) if baseline else None,
                      client_series=client_seconds((merged or {}).get("series"), tl["wall_start"], tl["stopped_at"]),
                      manifest=manifest_summary(run_dir), run_end=run_end(run_dir, merged))
    if out_dir != Path(run_dir):
        report["run"]["judged_in"] = out_dir.name
    if drift_check is not None:
        sent.merge(run_dir)  # each generator process's answered predictions, into one file the drift step reads
        report["drift"] = drift_check(run_dir, out_dir)
    write_all(out_dir, report)
    return report
