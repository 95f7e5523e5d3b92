"""One self-contained HTML page: CSS, plotly.js and the charts' data inline, so it opens offline from a file."""
from __future__ import annotations

import html
import json
from functools import lru_cache
from importlib import resources

from slo.report_tables import Cell, Table

CSS = """body{font:14px system-ui,sans-serif;margin:2em auto;color:#1a202c;max-width:1200px;padding:0 1em}
h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #e2e8f0;padding-bottom:.2em}
table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #cbd5e0;padding:4px 8px;text-align:right}
th{background:#edf2f7}td:first-child{text-align:left}td.pass{background:#c6f6d5}td.warn{background:#fefcbf}
td.fail{background:#fed7d7}td.no_data,td.insufficient{background:#e9d8fd}.verdict-pass{color:#276749}
.verdict-fail{color:#9b2c2c}.verdict-no_data{color:#553c9a}.chart{border:1px solid #e2e8f0;margin:.6em 0;min-height:200px}
.about{color:#4a5568;font-size:12px;margin:.2em 0 1em}.grid{display:grid;grid-template-columns:1fr 1fr;gap:0 1em}
nav a{margin-right:1em}.muted{color:#718096}code{background:#f7fafc;padding:0 3px}"""

# Draws every chart of the page from its JSON; a chart that fails says so in its box instead of staying blank.
DRAW = """const charts = JSON.parse(document.getElementById('charts').textContent);
for (const c of charts) {
  const el = document.getElementById('chart-' + c.key);
  try { Plotly.newPlot(el, c.data, c.layout, {displaylogo: false, responsive: true}); }
  catch (e) { el.textContent = 'chart could not be drawn: ' + e; console.error(e); }
}"""


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """plotly.js as shipped inside the plotly package: no network needed to draw."""
    return (resources.files("plotly") / "package_data" / "plotly.min.js").read_text(encoding="utf-8")


def e(x) -> str:
    return html.escape(str(x))


def _attrs(attrs: dict) -> str:
    return "".join(f' {k}="{e(v)}"' for k, v in attrs.items())


def table_html(t: Table) -> str:
    def cell(c, tag="td") -> str:
        if isinstance(c, Cell):
            cls = f' class="{e(c.status)}"' if c.status else ""
            text = f"<a href='{e(c.href)}'>{e(c.text)}</a>" if c.href else e(c.text)
            return f"<{tag}{cls}{_attrs(c.attrs)}>{text}</{tag}>"
        return f"<{tag}>{e(c)}</{tag}>"
    out = [f"<h2 id='{e(t.key)}'>{e(t.title)}</h2>"]
    if t.headers and t.rows:
        head = "".join(f"<th>{e(h)}</th>" for h in t.headers) if any(t.headers) else ""
        body = []
        for row in t.rows:
            first = row[0]
            stage = first.attrs.get("data-stage") if isinstance(first, Cell) else None
            head_cell = Cell(first.text, first.status, {k: v for k, v in first.attrs.items() if k != "data-stage"},
                             first.href) if isinstance(first, Cell) else first
            body.append(f"<tr{_attrs({'data-stage': stage}) if stage else ''}>{cell(head_cell, 'th')}"
                        + "".join(cell(c) for c in row[1:]) + "</tr>")
        out.append(f"<table class='{e(t.key)}'>" + (f"<tr>{head}</tr>" if head else "") + "".join(body) + "</table>")
    if t.bullets:
        out.append(f"<ul class='{e(t.key)}'>" + "".join(f"<li>{e(b)}</li>" for b in t.bullets) + "</ul>")
    if t.note:
        out.append(f"<p>{e(t.note)}</p>")
    return "".join(out)


def chart_html(chart: dict) -> str:
    about = f"<p class='about'>{e(chart['about'])}</p>" if chart.get("about") else ""
    return f"<div><div class='chart' id='chart-{e(chart['key'])}' data-chart='{e(chart['key'])}'></div>{about}</div>"


def page(title: str, body: str, charts: list[dict], data: dict | None = None) -> str:
    charts_json = json.dumps(charts, separators=(",", ":")).replace("</", "<\\/")
    embedded = (f"<script type='application/json' id='report-data'>{html.escape(json.dumps(data))}</script>"
                if data is not None else "")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title><style>{CSS}</style>"
            f"<script>{plotly_js()}</script></head><body>{body}"
            f"<script type='application/json' id='charts'>{charts_json}</script>{embedded}"
            f"<script>{DRAW}</script></body></html>")
