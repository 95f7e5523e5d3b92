"""A repeat set's report as files: repeat_report.json (the typed model, slo/verdicts/report/repeat_set.py) and
repeat_report.md, its figures' spreads, its objectives pooled, its capacities and its verdict in a page."""
from __future__ import annotations

from pathlib import Path

from runfolder import names
from slo.verdicts.report.comparison import BaselineComparison
from slo.verdicts.report.repeat_set import Pooled, RepeatCapacity, RepeatSet, RepeatStage, Spread
from slo.verdicts.wording import bracket


def write(set_dir: Path, summary: RepeatSet) -> Path:
    (set_dir / names.REPEAT_REPORT).write_text(summary.to_json())
    (set_dir / names.REPEAT_REPORT_MD).write_text(markdown(summary))
    return set_dir / names.REPEAT_REPORT


def markdown(summary: RepeatSet) -> str:
    v = summary.verdict
    out = [f"# Repeat set: {summary.service}, profile {summary.profile}, {len(summary.runs)} runs", "",
           f"- Verdict: {v.status.upper()} (exit {v.exit_code}): {v.reason}",
           *[f"- Calibration warning: {w}" for w in v.warnings],
           f"- Runs: {', '.join(summary.runs)}", "",
           f"Each figure: the median of the runs, their range, the {summary.level:.0%} t interval of the mean "
           "across runs, and the coefficient of variation (CV).", ""]
    for stage in summary.stages:
        out += _stage_lines(stage)
    out += _capacity_lines(summary.capacity)
    if summary.baseline:
        out += _baseline_lines(summary.baseline)
    return "\n".join(out)


def _stage_lines(s: RepeatStage) -> list[str]:
    out = [f"## {s.name}{'' if s.gated else ' (not gated)'}", "",
           "| figure | median | min-max | interval | CV |", "|---|---|---|---|---|"]
    out += [f"| {name} | {f.median:g} | {f.min:g}-{f.max:g} | {_spread_interval(f)} | {_cv(f)} |"
            for name, f in s.figures.items()]
    out += ["", "| objective | pooled verdict | pooled interval | per run |", "|---|---|---|---|"]
    out += [f"| {name} | {o.status} | {_pooled_interval(o.pooled)} | {', '.join(o.per_run)} |"
            for name, o in s.objectives.items()]
    return out + [""]


def _spread_interval(f: Spread) -> str:
    return f"[{f.low:g}, {f.high:g}]" if f.has_interval else "-"


def _cv(f: Spread) -> str:
    return f"{f.cv:.1%}" if f.cv is not None else "-"


def _pooled_interval(pooled: Pooled | None) -> str:
    return f"[{pooled.low:g}, {pooled.high:g}]" if pooled else "-"


def _capacity_lines(cap: RepeatCapacity) -> list[str]:
    out = ["## Capacity", "", "- Each run's: " + ", ".join(bracket(*c) for c in cap.interval_rps) + " req/s"]
    for f, what in ((cap.knee_share_pct, "the knee as a share of the saturation each stage measured, %"),
                    (cap.demand_ms, "the prediction time of each run's typical stage, ms")):
        if f:
            out.append(f"- {what}: median {f.median:g}, {f.min:g}-{f.max:g}, {_spread_interval(f)}, CV {_cv(f)}")
    return out + [""]


def _baseline_lines(b: BaselineComparison) -> list[str]:
    out = [f"## Against the baseline ({', '.join(b.runs)})", ""]
    out += [f"- {line}" for line in b.failures + b.untested] or ["- no gated criterion regressed"]
    return out + [""]
