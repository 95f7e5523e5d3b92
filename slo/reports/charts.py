"""The report's charts as plotly.py figures (validated as they are built), drawn by plotly.js in the page."""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from slo.verdicts.objectives import hidden_tails
from slo.verdicts.report import Report, Stage

COLORS = {"offered": "#9aa5b1", "achieved": "#2b6cb0", "client": "#3182ce", "users": "#718096", "mean": "#805ad5",
          "p50": "#38a169", "p95": "#dd6b20", "p99": "#c53030", "errors": "#c53030", "threshold": "#4a5568",
          "compute": "#2c7a7b"}
NINES = 5                       # the tail axis runs to 99.999 %
TAIL_TICKS = {1: "0%", 2: "50%", 10: "90%", 100: "99%", 1000: "99.9%", 10_000: "99.99%", 100_000: "99.999%"}


def chart(key: str, title: str, data: list, layout: dict, about: str = "") -> dict:
    """{key, title, about, figure}: the figure's traces and layout are checked by plotly when built. Its template
    stays empty: the page applies one (html_page.CHART_TEMPLATE) to every chart, instead of a copy in each."""
    base = {"title": {"text": title, "font": {"size": 15}}, "height": 380, "margin": {"l": 60, "r": 30, "t": 50, "b": 110},
            "legend": {"orientation": "h", "y": -0.22, "yanchor": "top"}, "hovermode": "x unified", "template": {}}
    return {"key": key, "title": title, "about": about, "figure": go.Figure(data=data, layout={**base, **layout})}


def series(values) -> np.ndarray | None:
    """A long series as a float array (a gap, None, becomes NaN and is drawn as a gap): plotly checks an array at
    once where it checks a list value by value."""
    if values is None:
        return None
    return np.asarray([np.nan if v is None else v for v in values], dtype=float)


def _line(name: str, x, y, color: str, dash: str = "solid", **extra) -> go.Scatter:
    return go.Scatter(mode="lines", name=name, x=series(x), y=series(y), connectgaps=False,
                      line={"color": color, "dash": dash, "width": 2 if dash == "solid" else 1.5}, **extra)


def _thresholds(report: Report) -> dict[str, float]:
    return {o["name"]: o["threshold_ms"] for o in report.slo["objectives"] if o.get("threshold_ms") is not None}


def _stage_bands(report: Report) -> tuple[list, list]:
    """Shaded stage windows (the measured part darker) and their names, on a t-since-start axis."""
    t0 = report.run.started
    shapes, notes = [], []
    for i, s in enumerate(report.stages):
        w = s.window
        start = s.began
        for x0, x1, alpha in ((start, w.start, 0.04), (w.start, w.end, 0.10 if i % 2 == 0 else 0.06)):
            shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": round(x0 - t0, 2), "x1": round(x1 - t0, 2),
                           "y0": 0, "y1": 1, "fillcolor": "#4299e1", "opacity": alpha, "line": {"width": 0},
                           "layer": "below"})
        notes.append({"xref": "x", "yref": "paper", "x": round((w.start + w.end) / 2 - t0, 2), "y": 1.0,
                      "text": s.name, "showarrow": False, "font": {"size": 10, "color": "#2c5282"},
                      "yanchor": "bottom"})
    return shapes, notes


def _hlines(values: dict[str, float], x0: float, x1: float, suffix: str = " SLO", dash: str = "dash") -> list:
    """Horizontal reference lines as traces (shapes would need log coordinates on a log axis), labelled at the right."""
    return [go.Scatter(mode="lines+text", name=f"{n}{suffix} {v:g} ms", x=[x0, x1], y=[v, v],
                       text=["", f"{n}{suffix} {v:g} ms"], textposition="top left", hoverinfo="name", showlegend=False,
                       textfont={"size": 10, "color": COLORS.get(n, COLORS["threshold"])},
                       line={"color": COLORS.get(n, COLORS["threshold"]), "dash": dash, "width": 1.2})
            for n, v in values.items()]


def _offered(report: Report) -> tuple[list, list]:
    """The declared offered rate as steps over the stages (closed users with a rate, or open arrivals)."""
    t0, x, y = report.run.started, [], []
    for s in report.stages:
        if s.offered_rps:
            begin = s.began
            x += [round(begin - t0, 2), round(s.window.end - t0, 2), None]
            y += [s.offered_rps, s.offered_rps, None]
    return x, y


def over_time(report: Report) -> list[dict]:
    """The run unfolding: load, latency against the thresholds, errors, generator CPU, with the stages shaded."""
    server, client = report.series.server, report.series.client
    shapes, names = _stage_bands(report)
    duration = round(report.run.stopped - report.run.started, 2)
    # One time axis for the four charts, so a moment lines up across them.
    common = {"xaxis": {"title": {"text": "seconds since the run started"}, "range": [0, duration]}, "shapes": shapes,
              "annotations": names}
    charts = []
    load = []
    ox, oy = _offered(report)
    if ox:
        load.append(_line("offered (declared)", ox, oy, COLORS["offered"], "dash"))
    if client and client.arrivals:
        load.append(_line("arrivals (client)", client.t, client.arrivals, COLORS["offered"]))
    if server:
        load.append(_line("achieved, all traffic (server)", server.t, server.rps_all_traffic, COLORS["achieved"]))
    if client:
        load.append(_line("sent per second (client)", client.t, client.requests, COLORS["client"], "dot"))
        if any(u is not None for u in client.users):
            load.append(_line("users", client.t, client.users, COLORS["users"], "dot", yaxis="y2"))
    charts.append(chart("load", "Offered and achieved load over time", load,
                         {**common, "yaxis": {"title": {"text": "req/s"}, "rangemode": "tozero"},
                          "yaxis2": {"title": {"text": "users"}, "overlaying": "y", "side": "right", "rangemode": "tozero",
                                     "showgrid": False}}))
    lat = [_line(f"{k} (server)", server.t, server.values(f"{k}_ms"), COLORS[k]) for k in ("mean", "p50", "p95", "p99")
           if server.values(f"{k}_ms")] if server else []
    lat += [_line(f"{k} (client)", client.t, client.values(f"{k}_ms"), COLORS[k], "dot") for k in ("p95", "p99")
            if client and client.values(f"{k}_ms")]
    if server and any(v is not None for v in server.compute_ms or []):
        lat.append(_line("one prediction's compute (server)", server.t, server.compute_ms, COLORS["compute"],
                         "dashdot"))
    lat += _hlines(_thresholds(report), 0, duration)
    charts.append(chart("latency", "Latency over time: the mean against p50, p95 and p99, SLO thresholds dashed", lat,
                         {**common, "yaxis": {"title": {"text": "ms (log scale)"}, "type": "log"}},
                         "Server lines come from Prometheus range queries at the scrape resolution; client lines are "
                         "the generator's own per-second percentiles. The compute line is what one prediction cost "
                         "the API (its mean predict call): where it rises with the latency, the machine slowed; "
                         "where it stays flat, the queue grew."))
    err = []
    if server:
        err.append(_line("5xx per second (server)", server.t, server.errors_5xx_per_s, COLORS["errors"]))
    if client:
        err.append(_line("failures per second (client)", client.t, client.failures, "#9b2c2c", "dot"))
    charts.append(chart("errors", "Errors over time", err,
                         {**common, "yaxis": {"title": {"text": "per second"}, "rangemode": "tozero"}}))
    palette = ["#2f855a", "#b7791f", "#6b46c1", "#c05621", "#2c7a7b", "#97266d"] * 20
    cpu = [_line(name, client.t, cores, c) for (name, cores), c in zip((client.cpu_cores if client else {}).items(), palette)]
    charts.append(chart("cpu", "Load generator CPU over time, per process", cpu,
                         {**common, "yaxis": {"title": {"text": "cores"}, "rangemode": "tozero"}},
                         "A process near one core delays its own requests: its stages are generator-bound."))
    return charts


def _tail_x(share: float) -> float:
    return min(1.0 / max(1.0 - share, 10 ** -NINES), 10.0 ** NINES)


def tail(report: Report, stage: Stage) -> dict:
    """The stage's latency by percentile on the 1/(1-q) axis of HdrHistogram plots: the server's histogram buckets
    beside the client's HDR histogram, the mean and the percentiles marked, the thresholds dashed."""
    data = []
    dist = stage.server.distribution
    pts = []
    for le, share in dist:
        pts.append((_tail_x(share), le))
        if share >= 1.0:
            break
    if pts:
        data.append(go.Scatter(mode="lines+markers", name="server (histogram buckets)", x=[round(x, 4) for x, _ in pts],
                               y=[y for _, y in pts], line={"color": COLORS["achieved"], "width": 2}, marker={"size": 5}))
    curve = stage.client.percentiles
    if curve:
        data.append(_line("client (HDR histogram)", [round(_tail_x(p / 100), 4) for p, _ in curve], [v for _, v in curve],
                          COLORS["client"], "dot"))
    q = stage.server.quantiles
    marks = [(k, float(key)) for k, key in (("p50", "0.5"), ("p95", "0.95"), ("p99", "0.99")) if (q.get(key) or {}).get("ms")]
    if marks:
        data.append(go.Scatter(mode="markers+text", name="p50, p95, p99 (server)", x=[_tail_x(share) for _, share in marks],
                               y=[q[f"{share:g}"]["ms"] for _, share in marks],
                               text=[f"{k} {q[f'{share:g}']['ms']:.1f} ms" for k, share in marks],
                               textposition="bottom right",
                               marker={"size": 10, "color": [COLORS[k] for k, _ in marks], "symbol": "diamond"}))
    mean = stage.server.mean_ms
    if mean is not None:
        data += _hlines({"mean": mean}, 1, 10 ** NINES, suffix=" (server)", dash="dot")
    data += _hlines(_thresholds(report), 1, 10 ** NINES)
    return chart(f"tail-{stage.name}", f"The tail of stage {stage.name}: latency by percentile", data,
                  {"hovermode": "closest", "height": 420,
                   "xaxis": {"type": "log", "title": {"text": "percentile (log scale of 1/(1-q))"},
                             "tickvals": list(TAIL_TICKS), "ticktext": list(TAIL_TICKS.values()), "range": [0, NINES]},
                   "yaxis": {"title": {"text": "ms (log scale)"}, "type": "log"}},
                  "Read left to right: most requests sit low; the curve's rise at the right is the tail the mean hides.")


def _knee_x(stage: Stage) -> float | None:
    """A stage's place on the knee's axis: what it achieved; a collapsed stage where it was offered (drawn back at
    what little got through, it would sit among the light stages)."""
    return stage.offered_rps if stage.collapsed else stage.server.rps_all_traffic


def knee(report: Report) -> dict:
    """p50, p95, p99 and the mean against throughput, stage by stage, objectives drawn: where latency turns up is
    the knee; where the mean stays under its line while the tail crosses its own, the mean hides the tail."""
    stages = report.stages
    x = [_knee_x(s) for s in stages]
    marks = ["x" if s.collapsed else "circle" for s in stages]
    series = [("p50", lambda s: s.server.quantile_ms(0.5)),
              ("p95", lambda s: s.server.quantile_ms(0.95)),
              ("p99", lambda s: s.server.quantile_ms(0.99)),
              ("mean", lambda s: s.server.mean_ms)]
    data = [go.Scatter(mode="lines+markers+text" if k == "p99" else "lines+markers", name=f"{k} (server)", x=x,
                       y=[get(s) for s in stages], text=[s.name for s in stages] if k == "p99" else None,
                       textposition="top left", line={"color": COLORS[k], "dash": "dot" if k == "mean" else "solid"},
                       marker={"size": 9, "symbol": marks}) for k, get in series]
    data += _hlines(_thresholds(report), 0, max([v for v in x if v] or [1]) * 1.05)
    notes = []
    cap = report.capacity
    hides = {s.name for s in stages if hidden_tails(s.objectives)}
    collapsed = {c["stage"]: c for c in cap.collapsed_stages}
    labelled = [("capacity", cap.highest_passing_stage, "#276749"),
                ("first failing", cap.first_failing_stage, "#9b2c2c"),
                *(("the mean hides the tail", n, "#805ad5") for n in sorted(hides)),
                *((f"collapsed: {c['achieved_rps']:g} of {c['offered_rps']:g} req/s served", n, "#1a202c")
                  for n, c in collapsed.items())]
    seen = {}
    for label, name, color in labelled:
        s = next((s for s in stages if s.name == name), None)
        p99 = s and s.server.quantile_ms(0.99)
        if s and p99:
            seen[name] = seen.get(name, 0) + 1  # stack the labels of one stage instead of drawing them over each other
            notes.append({"x": _knee_x(s), "y": math.log10(p99), "xref": "x", "yref": "y",
                          "text": f"{label}: {name}", "showarrow": True, "arrowhead": 2, "ax": 0, "ay": -30 * seen[name] - 10,
                          "font": {"color": color, "size": 12}, "arrowcolor": color})
    return chart("knee", "The knee: latency against throughput (a collapsed stage, marked x, at its offered rate)", data,
                  {"hovermode": "closest", "annotations": notes,
                   "xaxis": {"title": {"text": "achieved req/s (all traffic, server); offered for a collapsed stage"},
                             "rangemode": "tozero"},
                   "yaxis": {"title": {"text": "ms (log scale)"}, "type": "log"}})


def drift(report: Report) -> dict | None:
    d = report.drift
    cols = d and d.columns
    if not cols:
        return None
    names = sorted(cols, key=lambda c: cols[c].score)
    data = [go.Bar(orientation="h", name="drift score", y=names, x=[cols[c].score for c in names],
                   marker={"color": ["#c53030" if cols[c].drifted else "#4299e1" for c in names]},
                   text=[cols[c].method for c in names], hovertemplate="%{y}: %{x:.4f} (%{text})<extra></extra>"),
            go.Scatter(mode="markers", name="threshold", y=names, x=[cols[c].threshold for c in names],
                       marker={"symbol": "line-ns-open", "size": 16, "color": "#1a202c", "line": {"width": 2}})]
    return chart("drift", f"Drift per column against its threshold: {d.said}", data,
                  {"height": 120 + 24 * len(names), "hovermode": "closest", "margin": {"l": 200, "r": 30, "t": 50, "b": 50},
                   "xaxis": {"title": {"text": "score (red: drifted)"}, "rangemode": "tozero"}})


def performance(report: Report) -> dict | None:
    """The served model's ROC AUC: the reference month's beside the served traffic's estimate (and measured, with
    labels), each with its interval, and the floor the drop allowed sets."""
    d = report.drift
    perf = d and d.performance
    if not perf:
        return None
    shown = [("estimated", perf.estimated)] + ([("measured", perf.measured)] if perf.measured else [])
    data = [go.Scatter(mode="markers", name=name, y=[name], x=[f.auc], marker={"size": 12},
                       error_x={"type": "data", "symmetric": False, "array": [f.auc_interval[1] - f.auc],
                                "arrayminus": [f.auc - f.auc_interval[0]]}) for name, f in shown]
    data.append(go.Scatter(mode="markers", name="reference month", y=["reference"], x=[perf.reference.auc],
                           marker={"size": 12, "symbol": "diamond"}))
    floor = perf.reference.auc - perf.tolerance
    return chart("performance", f"ROC AUC of the served model: {perf.verdict} ({d.decision})", data,
                 {"height": 260, "hovermode": "closest", "margin": {"l": 120, "r": 30, "t": 50, "b": 50},
                  "shapes": [{"type": "line", "x0": floor, "x1": floor, "yref": "paper", "y0": 0, "y1": 1,
                              "line": {"dash": "dash", "color": "#c53030"}}],
                  "xaxis": {"title": {"text": f"ROC AUC (dashed: the reference less the {perf.tolerance:g} allowed)"}}})


def all_charts(report: Report) -> list[dict]:
    charts = over_time(report) + [tail(report, s) for s in report.stages] + [knee(report)]
    return charts + [c for c in (performance(report), drift(report)) if c]
