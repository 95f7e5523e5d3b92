"""A live SLO tab in Locust's web UI: the current stage's server-side figures from Prometheus against the
thresholds, and pass/fail so far. Loaded into the Locust process by `make ui` (SLOBENCH_LOCUST_PLUGINS)."""
from __future__ import annotations

import json
import time

import gevent
from flask import request
from locust import events

from loadtests import process_settings
from loadtests.profile import load_profile
from slo.prometheus.collect import collect
from common.prometheus_api import PrometheusError
from slo.reports.live import stage_rows
from slo.file.load import load_slo
from slo.verdicts.stage import StageJudge

TAB = {"title": "SLO (live)", "key": "slo"}
COLUMNS = [{"key": "stage", "title": "Stage"}, {"key": "objective", "title": "Objective"},
           {"key": "measured", "title": "Measured so far"}, {"key": "threshold", "title": "Threshold"},
           {"key": "status", "title": "Status"}]
_rows: list[dict] = [{"stage": "-", "objective": "-", "measured": "-", "threshold": "-", "status": "waiting for a test"}]


def current_rows(prometheus_url: str, spec, profile, wall_start: float, now: float, scrape_interval_s: float = 1.0,
                 instances: list[str] | None = None) -> list[dict]:
    """Judge the current stage's measured window so far (pure but for the Prometheus queries), scoped to the target."""
    elapsed = now - wall_start
    window = next((w for w in profile.windows() if w.start_s <= elapsed < w.end_s), None)
    if window is None:
        return [{"stage": "-", "objective": "-", "measured": "-", "threshold": "-", "status": "the profile is over"}]
    start = wall_start + window.measure_from_s
    if now - start < 3:
        return [{"stage": window.name, "objective": "-", "measured": "-", "threshold": "-",
                 "status": "ramping up: the measured window has not started"}]
    end = now - 1.5 * scrape_interval_s  # leave the last scrape time to land
    if end - start < 3 * scrape_interval_s:
        return [{"stage": window.name, "objective": "-", "measured": "-", "threshold": "-",
                 "status": f"waiting for 3 scrapes ({scrape_interval_s:g} s each) of the measured window"}]
    stage = {"name": window.name, "measure_from": start, "end": end}
    entry = collect(prometheus_url, spec, [stage], scrape_interval_s=scrape_interval_s, instances=instances)["stages"][0]
    judge = StageJudge(spec, scrape_interval_s, poisson_arrivals=profile.kind == "open" and profile.arrival == "poisson")
    return stage_rows(judge, window.name, entry, start, end, window.offered_rps)


def _running_profile(environment, settings, loaded: dict):
    """The profile of the test running: the one the start form named (slobench/start_page.py), else the UI's own."""
    name = getattr(environment.parsed_options, process_settings.PROFILE_OPTION, None) or settings.profile
    if name not in loaded:
        loaded[name] = load_profile(name, settings.saturation_rps)
    return loaded[name]


def _refresh(environment, settings, spec) -> None:
    global _rows
    loaded: dict = {}
    while True:
        shape = environment.shape_class
        runner = environment.runner
        if runner is not None and runner.state in ("running", "spawning") and shape is not None:
            wall_start = time.time() - shape.get_run_time()
            try:
                _rows = current_rows(settings.prometheus_url, spec, _running_profile(environment, settings, loaded),
                                     wall_start, time.time(),
                                     settings.scrape_interval, settings.instance_list)
            except PrometheusError as exc:
                _rows = [{"stage": "-", "objective": "-", "measured": "-", "threshold": "-", "status": str(exc)}]
        gevent.sleep(2)


@events.init.add_listener
def _on_init(environment, **_):
    web_ui = environment.web_ui
    settings = process_settings.load()
    if web_ui is None or not settings.prometheus_url:
        return
    spec = load_slo(settings.slo) if settings.slo else load_slo()
    if settings.up_job:  # the job Prometheus scrapes the loaded address under (slobench/session.resolve_target)
        spec = spec.model_copy(update={"metrics": spec.metrics.model_copy(update={"up_selector": {"job": settings.up_job}})})
    web_ui.template_args["extended_tabs"] = [TAB]
    web_ui.template_args["extended_tables"] = [{"key": TAB["key"], "structure": COLUMNS}]

    @web_ui.app.after_request
    def _add_slo_rows(response):
        if request.path != "/stats/requests" or response.json is None:
            return response
        response.set_data(json.dumps({**response.json, "extended_stats": [{"key": TAB["key"], "data": _rows}]}))
        return response

    gevent.spawn(_refresh, environment, settings, spec)
