"""Change points in a profile's history of runs, found by Apache Otava (E-divisive means with a t-test, as
MongoDB's CI uses it): where capacity, or a stage's p99 or mean, stepped, with the p-value of the step."""
from __future__ import annotations

MAX_PVALUE = 0.001
MIN_RUNS = 4       # fewer runs hold no step worth a test


def detect(values: list[float], max_pvalue: float = MAX_PVALUE) -> list[dict]:
    """[{index (the first run after the step), p_value, before, after, change}] for one series, oldest first;
    [] when Otava is not installed or the series is too short."""
    if len(values) < MIN_RUNS:
        return []
    try:
        from otava.analysis import compute_change_points
    except ImportError:
        return []
    found, _ = compute_change_points([float(v) for v in values], window_len=50, max_pvalue=max_pvalue)
    return [{"index": c.index, "p_value": float(c.stats.pvalue), "before": round(c.stats.mean_1, 3),
             "after": round(c.stats.mean_2, 3), "change": round(c.stats.forward_change_percent() / 100, 4)}
            for c in found]


def available() -> bool:
    try:
        import otava.analysis  # noqa: F401
    except ImportError:
        return False
    return True


def of_history(rows: list[dict]) -> list[dict]:
    """Every change point of every profile's series: capacity, the knee's share of saturation, and each stage's p99
    and mean; rows are the history's runs (history.summary), in any order."""
    out = []
    for profile in sorted({r["profile"] for r in rows}):
        mine = sorted((r for r in rows if r["profile"] == profile), key=lambda r: r["started"])
        series = {"capacity (req/s)": [(r["run"], r["capacity_rps"]) for r in mine],
                  "knee (% of saturation)": [(r["run"], r.get("knee_share_pct")) for r in mine]}
        for stage in dict.fromkeys(s for r in mine for s in r.get("stages", {})):
            for figure in ("p99_ms", "mean_ms"):
                series[f"{stage} {figure.removesuffix('_ms')} (ms)"] = [
                    (r["run"], (r.get("stages", {}).get(stage) or {}).get(figure)) for r in mine]
        for name, points in series.items():
            kept = [(run, v) for run, v in points if v is not None]
            for cp in detect([v for _, v in kept]):
                out.append({"profile": profile, "series": name, "run": kept[cp["index"]][0], **cp})
    return out
