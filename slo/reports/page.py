"""Self-contained HTML pages from Jinja2 templates (slo/templates, autoescaped): CSS, plotly.js and the charts'
figures inline, so a page opens offline from a file."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jinja2
import plotly.io as pio
from plotly.io.json import to_json_plotly
from markupsafe import Markup

from slo.reports.cells import Cell

TEMPLATES = Path(__file__).parent / "templates"
CHART_TEMPLATE = "plotly_white"  # plotly's look of every chart, written once a page

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
const template = JSON.parse(document.getElementById('chart-template').textContent);
for (const c of charts) {
  const el = document.getElementById('chart-' + c.key);
  try { Plotly.newPlot(el, c.figure.data, {...c.figure.layout, template}, {displaylogo: false, responsive: true}); }
  catch (e) { el.textContent = 'chart could not be drawn: ' + e; console.error(e); }
}"""


@lru_cache(maxsize=1)
def plotly_js() -> Markup:
    """plotly.js as shipped inside the plotly package: no network needed to draw."""
    return Markup((resources.files("plotly") / "package_data" / "plotly.min.js").read_text(encoding="utf-8"))


def script_json(value) -> Markup:
    """JSON to sit inside a <script> element: nothing in it can close the element."""
    return Markup(json.dumps(value, separators=(",", ":")).replace("</", "<\\/"))


def charts_json(charts: list[dict]) -> Markup:
    """Every chart's figure, serialized by plotly.io with orjson (faster on long arrays; `<` and `/` written as
    escapes either way). Figures were validated when built."""
    figures = ",".join(f'{{"key":{json.dumps(c["key"])},"figure":{pio.to_json(c["figure"], validate=False, engine="orjson")}}}'
                       for c in charts)
    return Markup(f"[{figures}]")


@lru_cache(maxsize=1)
def chart_template() -> Markup:
    return Markup(to_json_plotly(pio.templates[CHART_TEMPLATE].to_plotly_json()))


@lru_cache(maxsize=4)
def _environment(folder: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([folder, str(TEMPLATES)]), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.tests["cell"] = lambda value: isinstance(value, Cell)
    env.globals.update(css=Markup(CSS), draw=Markup(DRAW), plotly_js=plotly_js, charts_json=charts_json, chart_template=chart_template,
                       script_json=script_json)
    return env


def render(template: str, folder: Path = TEMPLATES, **context) -> str:
    """A page from its template (looked up in folder, then slo/templates), context as its variables."""
    return _environment(str(folder)).get_template(template).render(**context)
