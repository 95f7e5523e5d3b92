"""Compare a run with a baseline run, stage by stage, figure by figure, each in its own direction."""
from __future__ import annotations

import json
from pathlib import Path

from slo.spec import BASELINE_FIGURES, SloSpec


class BaselineError(RuntimeError):
    """The baseline run cannot be read: exit 2."""


def _quantile(stage: dict, q: str) -> float | None:
    return (stage["server"]["quantiles"].get(q) or {}).get("ms")


# Figure name -> how to read it off a stage of the report; names and directions are BASELINE_FIGURES's.
GETTERS = {
    "rps": lambda s: s["server"].get("rps_all_traffic"),
    "mean": lambda s: s["server"].get("mean_ms"),
    "p50": lambda s: _quantile(s, "0.5"),
    "p95": lambda s: _quantile(s, "0.95"),
    "p99": lambda s: _quantile(s, "0.99"),
    "client_p99": lambda s: s["client"].get("hdr_p99_ms", s["client"].get("p99_ms")),
    "error_ratio": lambda s: s["server"].get("error_ratio"),
    "availability": lambda s: s["server"].get("up_min"),
}
assert set(GETTERS) == set(BASELINE_FIGURES)

MODELS_NOTE = ("The two runs used different load models. The closed model's users wait for each answer, so when "
               "the API slows down fewer requests are sent and the slow period is under-sampled (coordinated "
               "omission); the open model starts requests on schedule and times them from their intended start. "
               "At the same offered load, trust the open model's client tail: it is the one users live.")


def regression(name: str, old: float | None, new: float | None) -> float | None:
    """How much worse `new` is than `old`, relatively, in the figure's own direction (< 0: better)."""
    if old is None or new is None:
        return None
    worse = new - old if BASELINE_FIGURES[name] == "higher is worse" else old - new
    if old == 0:
        return 0.0 if worse <= 0 else float("inf")  # from nothing to something: any amount is a regression
    return round(worse / abs(old), 4)


def compare(stages: list[dict], baseline: dict, spec: SloSpec) -> tuple[dict, list[str]]:
    """Each figure's change against the baseline's stage of the same name; regressions past the criteria fail."""
    base_by_name = {s["name"]: s for s in baseline["stages"]}
    rows, failures = [], []
    for s in stages:
        b = base_by_name.get(s["name"])
        if b is None:
            continue
        changes, worse_by = {}, {}
        for name, get in GETTERS.items():
            cur, old = get(s), get(b)
            worse = worse_by[name] = regression(name, old, cur)
            changes[name] = {"baseline": old, "current": cur, "direction": BASELINE_FIGURES[name],
                             "change": round((cur - old) / old, 4) if cur is not None and old else None,
                             "regression": None if worse is None or worse == float("inf") else worse,
                             "appeared": worse == float("inf")}
        for name, limit in spec.baseline.max_regression.items():
            worse = worse_by[name]
            if s["gated"] and worse is not None and worse > limit:
                how = "from 0" if worse == float("inf") else f"by {worse:.1%}"
                failures.append(f"stage {s['name']}: {name} worse {how} than the baseline (limit {limit:.0%})")
        rows.append({"stage": s["name"], "figures": changes})
    models = {baseline["stages"][0]["client"].get("model", "closed") if baseline["stages"] else None,
              stages[0]["client"].get("model", "closed") if stages else None} - {None}
    note = MODELS_NOTE if len(models) > 1 else None
    return {"run": baseline["run"]["id"], "stages": rows, "failures": failures, "models_note": note}, failures


def load_report(path: Path) -> dict:
    path = Path(path)
    if path.is_dir():
        path = path / "slo_report.json"
    if not path.is_file():
        raise BaselineError(f"{path}: no SLO report there to compare with")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: not a readable SLO report ({exc})") from None
