"""A live SLO tab in Locust's web UI: the current stage's server-side figures from Prometheus against the
thresholds, and pass/fail so far. Loaded into the Locust process by `make ui` (SLOBENCH_LOCUST_PLUGINS)."""
from __future__ import annotations

import json

import gevent
from flask import request
from locust import events

from loadtests import clock, process_settings
from slo.prometheus.collect import collect
from common.prometheus_api import PrometheusError
from slo.reports.live import stage_rows
from slo.file.load import load_slo
from slo.verdicts.stage import StageJudge

TAB = {"title": "SLO (live)", "key": "slo"}
COLUMNS = [{"key": "stage", "title": "Stage"}, {"key": "objective", "title": "Objective"},
           {"key": "measured", "title": "Measured so far"}, {"key": "threshold", "title": "Threshold"},
           {"key": "status", "title": "Status"}]


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
    judge = StageJudge(spec, scrape_interval_s, poisson_arrivals=profile.poisson_arrivals)
    return stage_rows(judge, window.name, entry, start, end, window.offered_rps)


class LiveTab:
    """The tab's rows, refreshed every 2 s from the running generator (environment.slobench: the profile its test
    runs, the start form's choice included, and when its windows started) and Prometheus."""

    def __init__(self, environment, settings, spec):
        self.environment, self.settings, self.spec = environment, settings, spec
        self.rows: list[dict] = [{"stage": "-", "objective": "-", "measured": "-", "threshold": "-",
                                  "status": "waiting for a test"}]

    def refresh(self) -> None:
        g, runner = getattr(self.environment, "slobench", None), self.environment.runner
        if g is None or g.wall_start is None or runner is None or runner.state not in ("running", "spawning"):
            return
        try:
            self.rows = current_rows(self.settings.prometheus_url, self.spec, g.profile, g.wall_start, clock.now(),
                                     self.settings.scrape_interval, self.settings.instance_list)
        except PrometheusError as exc:
            self.rows = [{"stage": "-", "objective": "-", "measured": "-", "threshold": "-", "status": str(exc)}]

    def keep_refreshing(self) -> None:
        while True:
            self.refresh()
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
    tab = LiveTab(environment, settings, spec)

    @web_ui.app.after_request
    def _add_slo_rows(response):
        if request.path != "/stats/requests" or response.json is None:
            return response
        response.set_data(json.dumps({**response.json, "extended_stats": [{"key": TAB["key"], "data": tab.rows}]}))
        return response

    gevent.spawn(tab.keep_refreshing)
