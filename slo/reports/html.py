"""report.html: the run over time, the tail of each stage, the knee, drift, and every table of the Markdown;
one self-contained file (plotly.js inline) that opens offline. Laid out by slo/templates/report.html."""
from __future__ import annotations

from pathlib import Path

from slo.reports.page import render as render_page
from slo.reports.charts import all_charts
from slo.reports.tables import all_tables
from slo.reports.text import headline
from slo.verdicts.report import Report

SECTIONS = (("over-time", "The run over time", ("load", "latency", "errors", "cpu")),
            ("tail", "The tail, stage by stage", ("tail-",)),
            ("knee", "The knee", ("knee",)),
            ("drift-chart", "Drift of the served traffic, and what it costs", ("performance", "drift")))


def _drift_links(report: Report) -> list[tuple[str, str]]:
    d = report.drift
    if not d:
        return []
    return [(label, Path(path).name) for label, path in
            (("Evidently report: the 14 features", d.report_html),
             ("Evidently report: the predictions", d.predictions and d.predictions.report_html)) if path]


def render(report: Report) -> str:
    charts = all_charts(report)
    sections = [{"key": key, "title": title, "charts": [c for c in charts if c["key"].startswith(prefixes)]}
                for key, title, prefixes in SECTIONS]
    return render_page("run_report.html", title=f"SLO report {report.run.id}", report=report, sections=sections,
                       tables=all_tables(report), headline=headline(report), drift_links=_drift_links(report),
                       charts=charts, data=report.to_json())
