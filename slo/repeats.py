"""A repeat set: the same profile run N times, summarized per stage as medians with their spread, and one
verdict (a verdict that differs between repeats is inconclusive)."""
from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

from scipy import stats

from slo.baseline import GETTERS

REPORT_FILE = "repeat_report.json"
FIGURES = ("rps", "mean", "p50", "p95", "p99", "client_p99", "error_ratio")


def spread(values: list[float], level: float) -> dict:
    """Median, min-max, the t interval of the mean across runs, and the coefficient of variation."""
    n = len(values)
    out = {"n": n, "median": statistics.median(values), "min": min(values), "max": max(values)}
    if n >= 2:
        mean, sd = statistics.fmean(values), statistics.stdev(values)
        half = stats.t.ppf(1 - (1 - level) / 2, n - 1) * sd / math.sqrt(n)
        out.update(mean=round(mean, 4), low=round(mean - half, 4), high=round(mean + half, 4),
                   cv=round(sd / abs(mean), 4) if mean else None)
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}


def _agreed(statuses: list[str]) -> str:
    """One status for an objective across repeats: theirs when they agree (warn counts as pass), else
    inconclusive; data missing in any repeat wins."""
    plain = {("pass" if s == "warn" else s) for s in statuses}
    for missing in ("no_data", "insufficient"):
        if missing in plain:
            return missing
    if len(plain) == 1:
        return plain.pop()
    return "inconclusive"


def summarize(reports: list[dict], level: float = 0.95) -> dict:
    """The repeat set's figures and verdict from its runs' SLO reports (in run order)."""
    names = [s["name"] for s in reports[0]["stages"] if all(any(t["name"] == s["name"] for t in r["stages"])
                                                            for r in reports)]
    stages = []
    for name in names:
        runs = [next(t for t in r["stages"] if t["name"] == name) for r in reports]
        figures = {}
        for figure in FIGURES:
            values = [v for v in (GETTERS[figure](s) for s in runs) if v is not None]
            if values:
                figures[figure] = spread(values, level)
        objectives = {}
        for o in runs[0]["objectives"]:
            statuses = [next(x["status"] for x in s["objectives"] if x["name"] == o["name"]) for s in runs]
            objectives[o["name"]] = {"status": _agreed(statuses), "per_run": statuses}
        stages.append({"name": name, "gated": runs[0]["gated"], "figures": figures, "objectives": objectives})
    codes = [r["verdict"]["exit_code"] for r in reports]
    if any(c == 2 for c in codes):
        verdict = {"status": "no_data", "exit_code": 2, "reason": "a repeat could not be judged"}
    elif all(c == 0 for c in codes):
        verdict = {"status": "pass", "exit_code": 0, "reason": f"all {len(codes)} repeats passed"}
    elif all(c == 1 for c in codes):
        verdict = {"status": "fail", "exit_code": 1, "reason": f"all {len(codes)} repeats failed"}
    else:
        differ = [f"{o} in {s['name']} ({', '.join(v['per_run'])})" for s in stages if s["gated"]
                  for o, v in s["objectives"].items() if v["status"] == "inconclusive"]
        verdict = {"status": "inconclusive", "exit_code": 4,
                   "reason": "the repeats disagree" + (f": {'; '.join(differ)}" if differ else
                                                        f" (exit codes {', '.join(map(str, codes))})")}
    return {"runs": [r["run"]["id"] for r in reports], "profile": reports[0]["run"]["profile"],
            "service": reports[0]["service"], "level": level, "stages": stages, "verdict": verdict}


def markdown(summary: dict) -> str:
    v = summary["verdict"]
    out = [f"# Repeat set: {summary['service']}, profile {summary['profile']}, {len(summary['runs'])} runs", "",
           f"- Verdict: {v['status'].upper()} (exit {v['exit_code']}): {v['reason']}",
           f"- Runs: {', '.join(summary['runs'])}", "",
           f"Each figure: the median of the runs, their range, the {summary['level']:.0%} t interval of the mean "
           "across runs, and the coefficient of variation (CV).", ""]
    for s in summary["stages"]:
        out += [f"## {s['name']}{'' if s['gated'] else ' (not gated)'}", "",
                "| figure | median | min-max | interval | CV |", "|---|---|---|---|---|"]
        for name, f in s["figures"].items():
            interval = f"[{f['low']:g}, {f['high']:g}]" if "low" in f else "-"
            cv = f"{f['cv']:.1%}" if f.get("cv") is not None else "-"
            out.append(f"| {name} | {f['median']:g} | {f['min']:g}-{f['max']:g} | {interval} | {cv} |")
        out += ["", "| objective | verdict | per run |", "|---|---|---|"]
        out += [f"| {o} | {x['status']} | {', '.join(x['per_run'])} |" for o, x in s["objectives"].items()]
        out.append("")
    return "\n".join(out)


def write(set_dir: Path, summary: dict) -> Path:
    (set_dir / REPORT_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    (set_dir / "repeat_report.md").write_text(markdown(summary))
    return set_dir / REPORT_FILE
