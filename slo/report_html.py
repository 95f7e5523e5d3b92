"""report.html: self-contained (inline SVG and CSS, no script from anywhere), readable offline."""
from __future__ import annotations

import html
import json
import math

from slo.report_text import fmt, headline, stage_notes

W, H, PAD = 720, 280, 50
COLORS = {"offered": "#9aa5b1", "achieved": "#2b6cb0", "mean": "#805ad5", "p50": "#38a169", "p95": "#dd6b20",
          "p99": "#c53030", "errors": "#c53030"}
CSS = """body{font:14px system-ui,sans-serif;margin:2em;color:#1a202c;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #cbd5e0;padding:4px 8px;text-align:right}
th{background:#edf2f7}td.pass{background:#c6f6d5}td.warn{background:#fefcbf}td.fail{background:#fed7d7}
td.no_data,td.insufficient{background:#e9d8fd}.verdict-pass{color:#276749}.verdict-fail{color:#9b2c2c}
.verdict-no_data{color:#553c9a}svg{background:#fff;border:1px solid #e2e8f0;margin:.5em 0}
.legend span{display:inline-block;margin-right:1em}.sw{display:inline-block;width:12px;height:12px;margin-right:4px}"""


def _e(x) -> str:
    return html.escape(str(x))


def _legend(names) -> str:
    return '<div class="legend">' + "".join(
        f'<span><i class="sw" style="background:{COLORS[n]}"></i>{_e(n)}</span>' for n in names) + "</div>"


def _axes(ymax: float, label: str, stages: list[str], log: bool = False, ymin: float = 0.0) -> tuple[list[str], callable]:
    def y(v: float) -> float:
        if log:
            v = max(v, ymin)
            return H - PAD - (H - 2 * PAD) * (math.log10(v / ymin) / math.log10(ymax / ymin))
        return H - PAD - (H - 2 * PAD) * (v / ymax if ymax else 0)
    parts = [f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - 10}" y2="{H - PAD}" stroke="#4a5568"/>',
             f'<line x1="{PAD}" y1="10" x2="{PAD}" y2="{H - PAD}" stroke="#4a5568"/>',
             f'<text x="12" y="20" font-size="11">{_e(label)}</text>']
    ticks = [ymin * 10 ** k for k in range(0, 8) if ymin * 10 ** k <= ymax * 1.0001] if log else [ymax * i / 4 for i in range(5)]
    for t in ticks:
        parts.append(f'<text x="{PAD - 4}" y="{y(t) + 4:.1f}" font-size="10" text-anchor="end">{t:g}</text>'
                     f'<line x1="{PAD}" y1="{y(t):.1f}" x2="{W - 10}" y2="{y(t):.1f}" stroke="#edf2f7"/>')
    step = (W - PAD - 20) / max(len(stages), 1)
    for i, name in enumerate(stages):
        parts.append(f'<text x="{PAD + step * (i + 0.5):.1f}" y="{H - PAD + 16}" font-size="10" text-anchor="middle">{_e(name)}</text>')
    return parts, y


def _bars(title: str, stages: list[str], series: dict[str, list], unit: str) -> str:
    values = [v for vs in series.values() for v in vs if v is not None]
    ymax = max(values) * 1.1 if values and max(values) > 0 else 1.0
    parts, y = _axes(ymax, unit, stages)
    step = (W - PAD - 20) / max(len(stages), 1)
    bw = step * 0.8 / max(len(series), 1)
    for si, (name, vs) in enumerate(series.items()):
        for i, v in enumerate(vs):
            if v is None:
                continue
            x = PAD + step * i + step * 0.1 + bw * si
            parts.append(f'<rect class="bar" data-series="{_e(name)}" data-stage="{_e(stages[i])}" data-value="{v}" '
                         f'x="{x:.1f}" y="{y(v):.1f}" width="{bw:.1f}" height="{max(H - PAD - y(v), 0):.1f}" '
                         f'fill="{COLORS[name]}"><title>{_e(name)} {_e(stages[i])}: {v:g}</title></rect>')
    return f"<h3>{_e(title)}</h3>{_legend(series)}<svg width='{W}' height='{H}'>{''.join(parts)}</svg>"


def _lines(title: str, stages: list[str], series: dict[str, list], thresholds: dict[str, float]) -> str:
    values = [v for vs in series.values() for v in vs if v] + list(thresholds.values())
    ymin = 10 ** math.floor(math.log10(min(values))) if values else 0.1
    ymax = 10 ** math.ceil(math.log10(max(values) * 1.05)) if values else 10
    parts, y = _axes(ymax, "ms (log scale)", stages, log=True, ymin=ymin)
    step = (W - PAD - 20) / max(len(stages), 1)
    for name, v in thresholds.items():
        parts.append(f'<line class="threshold" data-name="{_e(name)}" data-value="{v}" x1="{PAD}" x2="{W - 10}" '
                     f'y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="{COLORS.get(name, "#718096")}" stroke-dasharray="6 4"/>'
                     f'<text x="{W - 12}" y="{y(v) - 3:.1f}" font-size="10" text-anchor="end">{_e(name)} SLO {v:g} ms</text>')
    for name, vs in series.items():
        pts = [(PAD + step * (i + 0.5), y(v), v, stages[i]) for i, v in enumerate(vs) if v]
        parts.append(f'<polyline fill="none" stroke="{COLORS[name]}" stroke-width="2" points="'
                     + " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in pts) + '"/>')
        parts += [f'<circle class="point" data-series="{_e(name)}" data-stage="{_e(st)}" data-value="{v}" cx="{px:.1f}" '
                  f'cy="{py:.1f}" r="4" fill="{COLORS[name]}"><title>{_e(name)} {_e(st)}: {v:g} ms</title></circle>'
                  for px, py, v, st in pts]
    return f"<h3>{_e(title)}</h3>{_legend(series)}<svg width='{W}' height='{H}'>{''.join(parts)}</svg>"


def render(report: dict) -> str:
    stages = [s["name"] for s in report["stages"]]
    q = lambda s, k: (s["server"]["quantiles"].get(k) or {}).get("ms")  # noqa: E731
    charts = [
        _bars("Offered and achieved load per stage", stages,
              {"offered": [s["offered_rps"] for s in report["stages"]],
               "achieved": [s["server"]["rps_all_traffic"] for s in report["stages"]]}, "req/s"),
        _lines("The mean against p50, p95 and p99 per stage (server side), SLO thresholds dashed", stages,
               {"mean": [s["server"]["mean_ms"] for s in report["stages"]], "p50": [q(s, "0.5") for s in report["stages"]],
                "p95": [q(s, "0.95") for s in report["stages"]], "p99": [q(s, "0.99") for s in report["stages"]]},
               {o["name"]: o["threshold_ms"] for o in report["slo"]["objectives"] if "threshold_ms" in o}),
        _bars("Error ratio (5xx share) per stage", stages,
              {"errors": [s["server"]["error_ratio"] for s in report["stages"]]}, "ratio"),
    ]
    names = [o["name"] for o in report["slo"]["objectives"]]
    rows = []
    for s in report["stages"]:
        cells = "".join(f'<td class="{o["status"]}" data-objective="{_e(o["name"])}" data-value="{o["measured"]}">'
                        f'{_e(o["status"])}<br>{_e(fmt(o["measured"], o["unit"]))}'
                        + (f'<br><small>{_e(o["detail"])}</small>' if o.get("detail") else "") + '</td>'
                        for o in s["objectives"])
        rows.append(f'<tr data-stage="{_e(s["name"])}"><th>{_e(s["name"])}</th><td>{"yes" if s["gated"] else "no"}</td>'
                    f'<td>{_e(fmt(s["offered_rps"]))}</td><td data-value="{s["server"]["rps_all_traffic"]}">'
                    f'{_e(fmt(s["server"]["rps_all_traffic"]))}</td>{cells}</tr>')
    table = ("<table><tr><th>stage</th><th>gated</th><th>offered req/s</th><th>achieved req/s</th>"
             + "".join(f"<th>{_e(n)}</th>" for n in names) + "</tr>" + "".join(rows) + "</table>")
    acc_rows = []
    for s in report["stages"]:
        for key, a in (s.get("accuracy") or {}).get("quantiles", {}).items():
            acc_rows.append(f'<tr data-stage="{_e(s["name"])}" data-quantile="{_e(key)}"><th>{_e(s["name"])}</th>'
                            f'<td>p{float(key) * 100:g}</td><td data-value="{a["estimate_ms"]}">{_e(fmt(a["estimate_ms"], "ms"))}</td>'
                            f'<td data-value="{a["exact_ms"]}">{_e(fmt(a["exact_ms"], "ms"))}</td>'
                            f'<td>{_e(fmt(a["error_ms"], "ms"))}</td><td>{"yes" if a["within_bucket"] else "NO"}</td></tr>')
    accuracy = ("<h2>Accuracy: estimates against exact recorded quantiles</h2><table><tr><th>stage</th><th>quantile</th>"
                "<th>estimate</th><th>exact</th><th>error</th><th>inside its bucket</th></tr>" + "".join(acc_rows) + "</table>"
                if acc_rows else "")
    rec_rows = "".join(
        f'<tr><th>{_e(s["name"])}</th><td>{_e(fmt(r.get("locust_answered")))}</td><td>{_e(fmt(r.get("prometheus")))}</td>'
        f'<td>{_e(fmt(r.get("recorded")))}</td><td>{"yes" if r.get("ok", True) else "FLAGGED"}</td></tr>'
        for s in report["stages"] for r in [s.get("reconciliation") or {}])
    reconciliation = ("<h2>Counts reconciled</h2><table><tr><th>stage</th><th>Locust answered</th><th>Prometheus</th>"
                      "<th>recorded rows</th><th>ok</th></tr>" + rec_rows + "</table>")
    note_items = "".join(f"<li>{_e(s['name'])}: {_e(n)}</li>" for s in report["stages"] for n in stage_notes(s))
    notes = f"<h2>Notes</h2><ul class='notes'>{note_items}</ul>" if note_items else ""
    v = report["verdict"]
    lines = headline(report)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>SLO report {_e(report['run']['id'])}</title>"
            f"<style>{CSS}</style></head><body><h1>SLO report: {_e(report['service'])}</h1>"
            f"<p>Run <code>{_e(report['run']['id'])}</code>, profile <code>{_e(report['run']['profile'])}</code></p>"
            f"<h2 class='verdict-{_e(v['status'])}'>{_e(lines[0])}</h2><ul>"
            + "".join(f"<li>{_e(l)}</li>" for l in lines[1:]) + "</ul>"
            + "".join(charts) + "<h2>Objectives per stage</h2>" + table + notes + accuracy + reconciliation
            + f"<script type='application/json' id='report-data'>{html.escape(json.dumps(report))}</script></body></html>")
