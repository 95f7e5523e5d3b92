"""results/index.html: every judged run, newest first, and capacity and gated p99 across the runs of each profile,
so a regression between commits shows."""
from __future__ import annotations

import time
from pathlib import Path

import plotly.graph_objects as go
from markupsafe import escape

from slo.verdicts.wording import bracket
from slo.reports.page import render as render_page
from slo.reports.charts import chart
from slo.reports.cells import Cell, Table
from slo.reports.write import rerender
from slo.verdicts.report import AnswersCheck, DriftCheck, GitState, Report, ReportError, RunManifest
from slobench import change_points
from runfolder import names

INDEX = "index.html"
TEMPLATES = Path(__file__).parent / "templates"
PALETTE = ["#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#2c7a7b"]


def _gated_p99(report: Report) -> float | None:
    """The worst server p99 among the gated stages: the figure the gate judged."""
    values = [s.server.quantile_ms(0.99) for s in report.stages if s.gated]
    values = [v for v in values if v is not None]
    return max(values) if values else None


def run_dirs(results: Path) -> list[Path]:
    """The run folders in `results`, in name (time) order: not `latest`, not hidden ones."""
    return sorted(p for p in Path(results).iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


def report_of(run_dir: Path) -> Report | None:
    """A run's slo_report.json; None for a folder that was never judged (or whose report this slobench cannot
    read: another schema version, a damaged file)."""
    try:
        return Report.read(run_dir / names.SLO_REPORT)
    except ReportError:
        return None


def summary(run_dir: Path) -> dict | None:
    """One run's line of the index, from its slo_report.json (None for a folder that was never judged)."""
    report = report_of(run_dir)
    if report is None:
        return None
    git = (report.manifest and report.manifest.git) or GitState()
    cap = report.capacity
    share = cap.knee_share.interval_pct if cap.knee_share else [None, None]
    p99_slo = next((o.get("threshold_ms") for o in report.slo["objectives"] if o.get("name") == "p99"), None)
    return {"run": run_dir.name, "started": report.run.started, "profile": report.run.profile,
            "commit": (git.commit or "")[:10] + ("+" if git.dirty else ""),
            "verdict": report.verdict.status,
            # The capacity's interval as the report gives it (the bracket, narrowed by the fitted curve where it
            # lies inside).
            "capacity_rps": cap.interval_rps[0], "capacity_high_rps": cap.interval_rps[1],
            # The knee as a share of the saturation each stage measured: what moves less with the machine's speed.
            "knee_share_pct": share[0], "knee_share_high_pct": share[1],
            "capacity_stage": cap.highest_passing_stage, "gated_p99_ms": _gated_p99(report),
            "p99_slo_ms": p99_slo, "drift": _drift_cell(report.drift),
            "answers": _answers_cell(report.answers), "answers_wrong": report.answers.wrong if report.answers else None,
            "stages": {st.name: {"p99_ms": st.server.quantile_ms(0.99),
                                 "mean_ms": st.server.mean_ms} for st in report.stages}}


def like_runs(results: Path, profile: str, slo: dict, manifest: RunManifest | None,
              exclude: set[str] = frozenset()) -> list[Report]:
    """The reports of the runs in `results` of the same profile, SLO file (as judged) and target (RunManifest.target:
    of `manifest`, the judged run's) as the one being judged, but those in `exclude`: runs of one kind, whose spread
    is the spread between runs."""
    target = _target(manifest)
    reports = [report_of(d) for d in run_dirs(results) if d.name not in exclude]
    return [r for r in reports if r is not None and r.run.profile == profile and r.slo == slo
            and _target(r.manifest) == target]


def _target(manifest: RunManifest | None) -> tuple:
    """What a run judged (RunManifest.target); a run without a manifest, as one whose manifest says nothing."""
    return (manifest or RunManifest()).target()


def collect(results: Path) -> tuple[list[dict], int]:
    """(judged runs, newest first; how many folders hold no report)."""
    rows, unjudged = [], 0
    for d in run_dirs(results):
        s = summary(d)
        if s is None:
            unjudged += 1
        else:
            rows.append(s)
    return sorted(rows, key=lambda r: r["started"], reverse=True), unjudged


def _across_runs(rows: list[dict], key: str, title: str, unit: str, slo_key: str | None = None,
                 steps: set[tuple[str, str]] = frozenset(), high_key: str | None = None) -> dict:
    """One line per profile, oldest run first; hovering a point names its run and commit; a diamond marks the
    first run after a change point (`steps`: (profile, run)); with high_key, a bar up to the interval's upper end."""
    data = []
    for i, profile in enumerate(sorted({r["profile"] for r in rows})):
        mine = sorted((r for r in rows if r["profile"] == profile), key=lambda r: r["started"])
        color = PALETTE[i % len(PALETTE)]
        data.append(go.Scatter(
            mode="lines+markers", name=profile, line={"color": color},
            marker={"size": [15 if (profile, r["run"]) in steps else 9 for r in mine],
                    "symbol": ["diamond" if (profile, r["run"]) in steps else "circle" for r in mine],
                    "color": ["#c53030" if r["verdict"] != "pass" else color for r in mine]},
            x=[time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r["started"])) for r in mine], y=[r[key] for r in mine],
            text=[f"{r['run']} @ {r['commit'] or '?'} ({r['verdict']})" + (_interval_text(r, key, high_key, unit)
                                                                          if high_key else "") for r in mine],
            error_y={"type": "data", "symmetric": False, "arrayminus": [0] * len(mine),
                     "array": [(r[high_key] - r[key]) if r.get(high_key) and r.get(key) else 0 for r in mine]}
            if high_key else None,
            hovertemplate=f"%{{text}}<br>%{{y:.1f}} {unit}<extra>{escape(profile)}</extra>"))
        slo = next((r[slo_key] for r in mine if slo_key and r.get(slo_key)), None)
        if slo:
            data.append(go.Scatter(mode="lines", name=f"{profile}: p99 SLO {slo:g} ms", x=[data[-1].x[0], data[-1].x[-1]],
                                   y=[slo, slo], line={"color": color, "dash": "dash", "width": 1}))
    return chart(key, title, data, {"height": 360, "hovermode": "closest",
                                    "xaxis": {"title": {"text": "run started (UTC)"}},
                                    "yaxis": {"title": {"text": unit}, "rangemode": "tozero"}})


def _interval_text(row: dict, key: str, high_key: str, unit: str) -> str:
    return f"<br>in {bracket(row.get(key), row.get(high_key))} {unit}"


def _change_table(found: list[dict]) -> Table:
    rows = [[c["profile"], c["series"],
             Cell(c["run"], attrs={"data-change-run": c["run"]}, href=f"{c['run']}/{names.REPORT_HTML}"),
             f"{c['before']:g} -> {c['after']:g}", f"{c['change']:+.1%}", f"{c['p_value']:.1e}"] for c in found]
    if not change_points.available():
        note = "Change points need Apache Otava: pip install 'slobench[history]' (make setup installs it)."
    else:
        note = (f"Apache Otava's E-divisive means with a t-test (p < {change_points.MAX_PVALUE:g}) over each profile's "
                f"runs, oldest first (at least {change_points.MIN_RUNS}): the run named is the first after the step. "
                + ("None found: the history holds no step beyond its noise." if not found else ""))
    return Table("change-points", f"Change points ({len(found)})", ["profile", "series", "first run after",
                                                                   "mean before -> after", "change", "p-value"],
                 rows, note=note)


def _drift_cell(drift: DriftCheck | None) -> str:
    """`NO_ACTION, AUC est. 0.893 [0.874, 0.918]`: the decision and the served model's estimated AUC."""
    if not drift:
        return "-"
    est = drift.performance and drift.performance.estimated
    return f"{drift.said}, AUC est. {est.auc:.3f} [{est.auc_interval[0]:.3f}, {est.auc_interval[1]:.3f}]" if est \
        else drift.said


def _answers_cell(answers: AnswersCheck | None) -> str:
    """`none wrong of 12,345`, `51 of 1,033 wrong`, `not checked`, or `-` for a run judged before the check."""
    if not answers:
        return "-"
    if answers.status != "checked":
        return "not checked"
    if not answers.wrong:
        return f"none wrong of {answers.checked:,}"
    return f"{answers.wrong:,} of {answers.checked:,} wrong"


def render(rows: list[dict], unjudged: int = 0) -> str:
    found = change_points.of_history(rows)
    steps = {"capacity": {(c["profile"], c["run"]) for c in found if c["series"].startswith("capacity")},
             "p99": {(c["profile"], c["run"]) for c in found if " p99 " in c["series"]},
             "knee": {(c["profile"], c["run"]) for c in found if c["series"].startswith("knee")}}
    charts = [_across_runs(rows, "capacity_rps", "Capacity across runs: from the highest confident pass up to the "
                           "lowest confident failure, req/s", "req/s", steps=steps["capacity"], high_key="capacity_high_rps"),
              _across_runs(rows, "gated_p99_ms", "Gated p99 across runs: the worst p99 of the stages the gate judged",
                           "ms", "p99_slo_ms", steps=steps["p99"])] if rows else []
    if any(r.get("knee_share_pct") is not None for r in rows):
        charts.insert(1, _across_runs(rows, "knee_share_pct", "The knee as a share of the saturation each stage "
                                      "measured, across runs: its interval, % (moves less than req/s with the "
                                      "machine's speed)", "%", steps=steps["knee"], high_key="knee_share_high_pct"))
    table = Table("runs", f"Runs ({len(rows)})", ["run", "started (UTC)", "profile", "commit", "verdict", "capacity",
                                                  "knee, % of saturation", "gated p99", "answers", "drift"],
                  [[Cell(r["run"], attrs={"data-run": r["run"]}, href=f"{r['run']}/{names.REPORT_HTML}"),
                    time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r["started"])), r["profile"], r["commit"] or "-",
                    Cell(r["verdict"].upper(), r["verdict"]),
                    _capacity_cell(r),
                    bracket(r["knee_share_pct"], r["knee_share_high_pct"]) if r.get("knee_share_pct") is not None
                    else "-",
                    f"{r['gated_p99_ms']:.1f} ms" if r["gated_p99_ms"] is not None else "-",
                    Cell(r.get("answers") or "-", "fail" if r.get("answers_wrong") else None),
                    r["drift"]] for r in rows])
    return render_page("index.html", TEMPLATES, title="slobench runs", charts=charts, unjudged=unjudged,
                       tables=[_change_table(found), table], data=None)


def _capacity_cell(row: dict) -> str:
    """`[53, 58] req/s (s6-53rps)`; `[53, ?]` open above; `below 40` when nothing passed."""
    low, high = row["capacity_rps"], row.get("capacity_high_rps")
    if low is None:
        return f"below {high:g} req/s" if high else "none"
    return f"{bracket(low, high)} req/s ({row['capacity_stage']})"


def write_index(results: Path) -> Path:
    rows, unjudged = collect(results)
    path = Path(results) / INDEX
    path.write_text(render(rows, unjudged))
    return path


def rerender_all(results: Path) -> tuple[list[Path], list[str]]:
    """Redraw the report.html of every judged run of the folder (and of its re-judgements) from its JSON: (the pages
    redrawn, why each report that could not be read was left as it is)."""
    found = sorted(Path(results).glob(f"*/{names.SLO_REPORT}")) + \
        sorted(Path(results).glob(f"*/judged-with-*/{names.SLO_REPORT}"))
    redrawn, unreadable = [], []
    # results/latest is the newest run again: skip what lies behind a link.
    for p in (p for p in found if not (p.parent.is_symlink() or p.parent.parent.is_symlink())):
        try:
            redrawn.append(rerender(p.parent))
        except ReportError as e:
            unreadable.append(str(e))
    return redrawn, unreadable
