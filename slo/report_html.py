"""report.html: the run over time, the tail of each stage, the knee, drift, and every table of the Markdown;
one self-contained file (plotly.js inline) that opens offline."""
from __future__ import annotations

from pathlib import Path

from slo.html_page import chart_html, e, page, table_html
from slo.report_charts import all_charts
from slo.report_tables import all_tables
from slo.report_text import headline

SECTIONS = (("over-time", "The run over time", ("load", "latency", "errors", "cpu")),
            ("tail", "The tail, stage by stage", ("tail-",)),
            ("knee", "The knee", ("knee",)),
            ("drift-chart", "Drift of the served traffic", ("drift",)))


def _drift_links(report: dict) -> str:
    d = report.get("drift") or {}
    links = [(label, Path(path).name) for label, path in
             (("Evidently report: the 14 features", d.get("report_html")),
              ("Evidently report: the predictions", (d.get("predictions") or {}).get("report_html"))) if path]
    return "<p>" + " ".join(f"<a href='{e(href)}'>{e(label)}</a>" for label, href in links) + "</p>" if links else ""


def render(report: dict) -> str:
    charts = all_charts(report)
    v = report["verdict"]
    lines = headline(report)
    tables = all_tables(report)
    body = [f"<h1>SLO report: {e(report['service'])}</h1>",
            f"<p class='muted'>Run <code>{e(report['run']['id'])}</code>, profile <code>{e(report['run']['profile'])}</code>"
            + (f", judged in <code>{e(report['run']['judged_in'])}</code>" if report["run"].get("judged_in") else "")
            + f" &middot; <a href='{'../../' if report['run'].get('judged_in') else '../'}index.html'>all runs</a></p>",
            "<nav>" + "".join(f"<a href='#{key}'>{e(title)}</a>" for key, title, _ in SECTIONS)
            + "".join(f"<a href='#{e(t.key)}'>{e(t.title.split(':')[0])}</a>" for t in tables) + "</nav>",
            f"<h2 class='verdict-{e(v['status'])}' id='verdict'>{e(lines[0])}</h2><ul class='headline'>"
            + "".join(f"<li>{e(line)}</li>" for line in lines[1:]) + "</ul>"]
    for key, title, prefixes in SECTIONS:
        mine = [c for c in charts if c["key"].startswith(prefixes)]
        if not mine:
            continue
        body.append(f"<h2 id='{key}'>{e(title)}</h2>")
        inner = "".join(chart_html(c) for c in mine)
        body.append(f"<div class='grid'>{inner}</div>" if key == "tail" and len(mine) > 1 else inner)
        if key == "drift-chart":
            body.append(_drift_links(report))
    body += [table_html(t) for t in tables]
    return page(f"SLO report {report['run']['id']}", "".join(body), charts, report)
