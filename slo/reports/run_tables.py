"""The run's own tables, after its stages': against a baseline, the model's side (drift and what it costs), and
what ran where."""
from __future__ import annotations

import time

from common.canary import describe
from slo.reports.cells import Cell, Table
from slo.verdicts.report import FigureChange, GitState, Report, RelativeChange
from slo.verdicts.wording import relative_interval


def _change_cell(v: FigureChange) -> Cell:
    """`+52.5% [+32.9%, +72.2%] regressed`: the shift and its interval (relative; an unbounded end ?), and what the
    test called it."""
    rel = v.relative or RelativeChange()
    bounded = rel.low is not None or rel.high is not None
    shown = (f"{rel.shift:+.1%} {relative_interval(rel.low, rel.high)}" if bounded and rel.shift is not None else
             f"{rel.shift:+.1%}" if rel.shift is not None else
             f"{v.change:+.1%}" if v.change is not None else "-")
    return Cell(f"{shown} {v.verdict}".strip(), "fail" if v.verdict == "regressed" else None)


def baseline(report: Report) -> Table | None:
    b = report.baseline
    if not b:
        return None
    names = ("rps", "mean", "p50", "p95", "p99", "client_p99", "error_ratio")
    rows = [[row.stage, *(_change_cell(row.figures[n]) for n in names)] for row in b.stages]
    return Table("baseline", f"Against baseline {', '.join(b.runs or [b.run])}", ["stage", *names], rows,
                 b.failures or ["no figure changed beyond noise by more than its smallest change that matters"],
                 " ".join(filter(None, [BASELINE_NOTE, b.models_note])))


BASELINE_NOTE = ("Each change is the Hodges-Lehmann shift of the stage's per-scrape figures (Fisher's exact test for "
                 "the error ratio), relative to the baseline, with its interval widened for the spread between "
                 "identical runs; it is regressed only when the whole interval lies beyond the SLO file's "
                 "max_regression.")


def drift(report: Report) -> Table | None:
    d = report.drift
    if not d or not d.columns:
        return None

    def effect(name: str) -> list:
        e = d.effects.get(name)
        if not e:
            return ["-", "-", "-"]
        return [f"{e.effect:.3f} {e.measure}", f"{e.q_value:.3g}", Cell("MOVED", "fail") if e.drifted else "no"]
    rows = [[name, c.method, f"{c.score:.4f}", f"{c.threshold:g}", Cell("DRIFTED", "fail") if c.drifted else "no",
             *effect(name)] for name, c in sorted(d.columns.items(), key=lambda kv: -kv[1].score)]
    return Table("drift", f"Drift: {d.said}",
                 ["column", "method", "score", "threshold", "drifted", "effect size",
                  f"q (BH, {len(d.effects)} columns)", "moved beyond chance and 0.1"], rows, [d.summary])


def performance(report: Report) -> Table | None:
    """The served model's AUC and accuracy on the run's traffic, estimated without labels, against its reference."""
    d = report.drift
    perf = d and d.performance
    if not perf:
        return None
    est, ref = perf.estimated, perf.reference

    def figure(value: float, interval: list[float], level: float) -> str:
        return f"{value:.3f} [{interval[0]:.3f}, {interval[1]:.3f}] at {level:.0%}"
    rows = [["ROC AUC, reference month's held-out rows (measured)", f"{ref.auc:.3f}", f"{ref.rows:,} rows of {ref.month}"],
            ["ROC AUC, served traffic (estimated)", figure(est.auc, est.auc_interval, est.level),
             f"{est.rows:,} distinct inputs; {est.method}"],
            ["accuracy, served traffic (estimated)", figure(est.accuracy, est.accuracy_interval, est.level), ""]]
    if perf.measured:
        m = perf.measured
        rows += [["ROC AUC, with the traffic's labels (measured)", figure(m.auc, m.auc_interval, m.level),
                  f"the estimate off by {perf.estimate_error:+.3f}"]]
    rows += [["drop allowed", f"{perf.tolerance:g}", f"the {perf.decided_on} AUC: {perf.verdict}"],
             ["decision", Cell(d.decision or "-", "fail" if d.decision == "RETRAIN" else None), d.decided_by or ""]]
    return Table("performance", "What the drift costs: the model's performance", ["", "figure", "from"], rows)


def manifest(report: Report) -> Table | None:
    m = report.manifest
    if not m:
        return None
    git, host = m.git or GitState(), m.host
    probe = m.probe
    rows = [["run", report.run.id],
            ["started", time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(report.run.started))],
            ["git commit", f"{git.commit or '-'}{' (uncommitted changes)' if git.dirty else ''}"],
            ["host", f"{host.hostname or '-'}: {host.cpus or '-'} cores, {host.memory_gb or '-'} GB, "
                     f"{host.platform or '-'}" if host else "-"],
            ["shared the machine", m.shared_machine or "-"],
            *[[f"{name}", f"{p.url or '-'} (cores {p.cpus or 'any'})"] for name, p in m.processes.items()],
            ["load generators", f"{m.generators or 1} local process(es), {m.remote_workers or 0} remote"],
            *([["machine speed", describe(m.canary)]] if m.canary else []),
            *([["saturation probe", f"{probe['rps']:.1f} req/s [{probe['low']:.1f}, {probe['high']:.1f}] "
                                    f"({probe['service_ms']:.1f} ms a request of the mix)"]] if probe else []),
            ["SLO file", m.slo_file or "-"],
            ["versions", ", ".join(f"{k} {v}" for k, v in m.versions.items() if v)]]
    return Table("manifest", "What ran, where", ["", ""], rows)
