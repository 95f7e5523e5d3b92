"""After the load: collect from Prometheus, evaluate, check drift, write every report of the run."""
from __future__ import annotations

import json
import time
from pathlib import Path

from common.prometheus_api import PrometheusError
from answers.check import TOLERANCE
from slo.file.model import Answers, SloSpec
from slo.prometheus import collect
from slo.prometheus.promql import edge_pad_s
from slo.prometheus.scrape import ScrapeInterval, discover
from slo.reports.write import write_all
from slo.verdicts.evaluate import evaluate
from slo.verdicts.report import Report
from slobench.history import like_runs
from slobench.run_folder import RunFolder, load_report
from runfolder import files, names


REJUDGED_PREFIX = "judged-with-"


def output_dir(run_dir: Path, spec: SloSpec, slo_path: Path) -> Path:
    """Where a (re-)evaluation writes: the run folder itself, unless the run was already judged with another
    SLO: then a folder beside the original reports, named after the SLO file, and the original stays."""
    run_dir = Path(run_dir)
    original = run_dir / names.SLO_REPORT
    if not original.is_file():
        return run_dir
    try:
        judged_with = json.loads(original.read_text()).get("slo")
    except json.JSONDecodeError:
        judged_with = None
    if judged_with == spec.model_dump(mode="json"):
        return run_dir
    return run_dir / f"{REJUDGED_PREFIX}{Path(slo_path).stem}"


def _like(run: RunFolder, spec: SloSpec, baselines: list[Report]) -> list[Report]:
    """The earlier runs beside this one of its profile, SLO file and target (the baseline's runs aside: they are a
    side of the comparison)."""
    exclude = {run.path.resolve().name, *(b.run.id for b in baselines)}
    return like_runs(run.path.resolve().parent, run.timeline["profile"], spec.model_dump(mode="json"),
                     run.manifest, exclude)


def answers_tolerance(spec: SloSpec) -> float:
    """The SLO file's answers objective's tolerance (the tightest, if several), else the check's default."""
    return min((o.tolerance for o in spec.objectives if isinstance(o, Answers)), default=TOLERANCE)


def judge(run_dir: Path, spec: SloSpec, prometheus_url: str | None, baseline: Path | None = None,
          drift_check=None, scrape: ScrapeInterval | None = None, out_dir: Path | None = None,
          instances: list[str] | None = None, write: bool = True) -> Report:
    """Raw answers come from Prometheus when a URL is given, else from the run's saved prometheus_raw.json.
    The scrape interval is learned from that Prometheus unless given; queries are scoped to the target's
    job and, when known, its instances. Reports (and answers queried anew) go to out_dir, the run folder
    by default; with write=False, the verdicts alone, nothing written (a decision within the run)."""
    out_dir = Path(out_dir or run_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    run = RunFolder(run_dir)
    if prometheus_url:
        stages = run.timeline["stages"]
        scrape = scrape or discover(prometheus_url, spec.metrics.up_selector)
        # The last window ends when the load stops: wait for the scrapes past its edge (its samples are read).
        last_end = max((s["end"] for s in stages), default=0)
        time.sleep(max(0.0, last_end + edge_pad_s(scrape.seconds) + 0.5 * scrape.seconds - time.time()))
        raw = collect.collect(prometheus_url, spec, stages, scrape_interval_s=scrape.seconds, instances=instances,
                              scrape_source=scrape.source)
        if stages and write:  # the whole run over time, for the report's charts
            raw["series"] = collect.collect_series(prometheus_url, spec, stages[0]["start"], stages[-1]["end"],
                                                   scrape.seconds, instances=instances)
        if write:
            files.PROMETHEUS_ANSWERS.write(out_dir, raw)
    else:
        raw = files.PROMETHEUS_ANSWERS.read(run_dir)
        if raw is None:
            raise PrometheusError(f"{run_dir}: no {names.PROMETHEUS_RAW} and no Prometheus URL to query")
    baselines = load_report(baseline) if baseline else None
    answers = None
    # What the generators kept so far, in one file: its latencies read a stage's tail where the API records none
    # (between a run's steps too: no Locust runs then).
    run.merge_sent()
    if write:  # the answers of a whole run are checked once, when its reports are written
        answers = run.answers(spec.confidence_level, answers_tolerance(spec))
    # The earlier runs like this one: a comparison's spread between runs, and the machine's usual speed (read when
    # the reports are written, not at every decision within the run).
    history = _like(run, spec, baselines or []) if baselines or write else ()
    report = evaluate(spec, run.run_data(raw, spec.metrics.selector.get("endpoint"), answers), baselines,
                      history=history)
    if not write:
        return report
    if out_dir != Path(run_dir):
        report = report.judged_in(out_dir.name)
    if drift_check is not None:
        report = report.with_drift(drift_check(run_dir, out_dir))
    write_all(out_dir, report)
    return report
