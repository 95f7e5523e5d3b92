"""SLO files a team already has, mapped onto slobench's own SLO model: OpenSLO v1 and Sloth prometheus/v1.

Each SLO becomes a `ratio` or `threshold` objective judged per stage; what cannot be mapped is refused with
a message naming the file and the field.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from common.specfile import SpecError, load_yaml
from slo.spec import STEP, WINDOW, WINDOW_S

# A bare counter selector, e.g. http_requests_total{code!~"5.."}: summed over the window with increase().
_SELECTOR = re.compile(r"^\s*[A-Za-z_:][A-Za-z0-9_:]*\s*(\{[^{}]*\})?\s*$")
_TEMPLATE = re.compile(r"\{\{\s*\.window\s*\}\}")


def load(path: Path | str) -> tuple[dict, str]:
    """(raw dict for SloSpec, file name): slobench's format as is, the others mapped."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: file not found")
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except yaml.YAMLError:
        return load_yaml(path)  # its message names the line
    first = docs[0] if docs and isinstance(docs[0], dict) else {}
    if str(first.get("apiVersion", "")).startswith("openslo"):
        return from_openslo(docs, path.name), path.name
    if first.get("version") == "prometheus/v1":
        return from_sloth(first, path.name), path.name
    if len(docs) == 1 and first:
        return first, path.name  # slobench's own file, already parsed
    return load_yaml(path)  # empty, several documents or not a mapping: its message says which


def _fail(filename: str, where: str, why: str):
    raise SpecError(f"{filename}: {where}: {why}")


def _get(node, where: str, filename: str, *keys: str):
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            _fail(filename, where, f"{key} is required")
        node, where = node[key], f"{where}.{key}"
    return node


# sum(selector), sum by (a, b) (selector) or sum(selector) by (a, b): the OpenSLO spec's own ratioMetric example.
_SUM_OF_SELECTOR = re.compile(r"^\s*sum\s*(?:(?:by|without)\s*\([^()]*\)\s*)?\(\s*(?P<sel>[A-Za-z_:][A-Za-z0-9_:]*"
                              r"\s*(?:\{[^{}]*\})?)\s*\)\s*(?:(?:by|without)\s*\([^()]*\))?\s*$")
_OWN_RANGE = re.compile(r"\[\s*\d+[smhdwy]")


def _windowed(query: str, counter: bool, where: str, filename: str) -> tuple[str, str]:
    """(a query counting events over {{window}}, how it was mapped). Templated queries take the stage window
    (a rate times its length is a count); counters give their increase over it; rate-like queries with their
    own range are averaged over it."""
    if not isinstance(query, str) or not query.strip():
        _fail(filename, where, "a PromQL query is required")
    q = query.strip()
    if _TEMPLATE.search(q):
        inner = _TEMPLATE.sub(WINDOW, q)
        if re.search(r"\b(rate|irate)\s*\(", inner):
            return f"sum({inner}) * {WINDOW_S}", "the team's rate over the stage window, times its length"
        return f"sum({inner})", "the team's query over the stage window"
    if counter and re.search(r"\b(rate|irate|increase|delta)\s*\(", q):
        _fail(filename, where, "counter: true, but this query already computes a rate or an increase: set "
                               "counter: false (a rate-like query is averaged over the window)")
    if counter and _SELECTOR.match(q):
        return f"sum(increase({q}[{WINDOW}]))", "increase() of the counter over the window (exact)"
    if counter and (m := _SUM_OF_SELECTOR.match(q)):
        # The increase of a sum of counters is the sum of their increases, each with its resets handled.
        return (f"sum(increase({m.group('sel').strip()}[{WINDOW}]))",
                "the sum rewritten as a sum of increase() inside the aggregation (exact)")
    if counter:
        return (f"sum(increase(({q})[{WINDOW}:{STEP}]))",
                "increase() of the query evaluated at every scrape of the window (a drop counts as a counter reset)")
    if _OWN_RANGE.search(q):
        return (f"sum(avg_over_time(({q})[{WINDOW}:{STEP}])) * {WINDOW_S}",
                "the rate averaged over the window at the scrape step, times its length; its own range smooths "
                "the stage's edges (it reaches back before the window)")
    _fail(filename, where, "cannot map this query onto a stage window: with counter: false, give a rate-like "
                           "query with its own range (sum(rate(x[5m]))), or a query with [{{.window}}]")


def _target(objective: dict, where: str, filename: str) -> float:
    if "target" in objective:
        target = objective["target"]
    elif "targetPercent" in objective:
        target = objective["targetPercent"] / 100
    else:
        _fail(filename, where, "target or targetPercent is required")
    if not isinstance(target, (int, float)) or not 0 < target < 1:
        _fail(filename, where, f"the target must lie strictly between 0 and 1 (100 %), got {target}")
    return float(target)


def _source_query(metric: dict, where: str, filename: str) -> str:
    source = _get(metric, where, filename, "metricSource")
    kind = source.get("type") if isinstance(source, dict) else None
    if str(kind).lower() != "prometheus":
        _fail(filename, f"{where}.metricSource.type", f"only Prometheus sources can be judged here (got {kind})")
    return _get(source, f"{where}.metricSource", filename, "spec", "query")


def _openslo_indicator(slo: dict, slis: dict[str, dict], where: str, filename: str) -> tuple[dict, str]:
    spec = slo.get("spec", {})
    if "indicator" in spec:
        return _get(spec, where, filename, "indicator", "spec"), f"{where}.indicator.spec"
    if "indicatorRef" in spec:
        ref = spec["indicatorRef"]
        if ref not in slis:
            _fail(filename, f"{where}.indicatorRef", f"no kind: SLI named {ref!r} in this file")
        return _get(slis[ref], f"SLI[{ref}]", filename, "spec"), f"SLI[{ref}].spec"
    _fail(filename, where, "indicator or indicatorRef is required")


def from_openslo(docs: list, filename: str) -> dict:
    """OpenSLO v1: every `kind: SLO` document (indicators inline or by reference) becomes objectives."""
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict) or doc.get("apiVersion") != "openslo/v1":
            _fail(filename, f"document {i + 1}.apiVersion", f"only openslo/v1 is mapped (got {doc.get('apiVersion')})"
                  if isinstance(doc, dict) else "a mapping is expected")
    slis = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "SLI" and "name" in d.get("metadata", {})}
    slos = [d for d in docs if d.get("kind") == "SLO"]
    if not slos:
        _fail(filename, "kind", "no document of kind SLO")
    objectives, services = [], set()
    for slo in slos:
        name = _get(slo, "SLO", filename, "metadata", "name")
        where = f"SLO[{name}].spec"
        spec = _get(slo, f"SLO[{name}]", filename, "spec")
        services.add(spec.get("service", name))
        indicator, at = _openslo_indicator(slo, slis, where, filename)
        goals = spec.get("objectives") or _fail(filename, f"{where}.objectives", "at least one objective is required")
        for j, goal in enumerate(goals):
            # One objective takes its SLO's name; several add their own name, or their rank.
            own = goal.get("name") or goal.get("displayName") or str(j + 1)
            goal_name = _name(name if len(goals) == 1 else f"{name}-{own}")
            target = _target(goal, f"{where}.objectives[{j}]", filename)
            description = spec.get("description", "")
            if "ratioMetric" in indicator:
                ratio = indicator["ratioMetric"]
                counter = bool(ratio.get("counter", True))
                good_bad = [k for k in ("good", "bad") if k in ratio]
                if len(good_bad) != 1:
                    _fail(filename, f"{at}.ratioMetric", "exactly one of good and bad is required")
                kind = good_bad[0]
                query, how = _windowed(_source_query(ratio[kind], f"{at}.ratioMetric.{kind}", filename), counter,
                                       f"{at}.ratioMetric.{kind}.metricSource.spec.query", filename)
                total, how_total = _windowed(_source_query(_get(ratio, f"{at}.ratioMetric", filename, "total"),
                                                           f"{at}.ratioMetric.total", filename), counter,
                                             f"{at}.ratioMetric.total.metricSource.spec.query", filename)
                mapping = f"{kind}: {how}" + (f"; total: {how_total}" if how_total != how else "")
                objectives.append({"name": goal_name, "kind": "ratio", "target": target, "description": description,
                                   f"{kind}_query": query, "total_query": total, "mapping": mapping})
            elif "thresholdMetric" in indicator:
                query = _source_query(indicator["thresholdMetric"], f"{at}.thresholdMetric", filename)
                op, value = goal.get("op"), goal.get("value")
                if op not in ("lt", "lte", "gt", "gte") or not isinstance(value, (int, float)):
                    _fail(filename, f"{where}.objectives[{j}]", "a threshold objective needs op (lt, lte, gt, gte) "
                          "and a numeric value")
                objectives.append({"name": goal_name, "kind": "threshold", "target": target, "query": query,
                                   "op": op, "value": float(value), "description": description})
            else:
                _fail(filename, at, "only ratioMetric and thresholdMetric indicators can be mapped")
    return {"service": sorted(services)[0], "objectives": objectives}


def from_sloth(doc: dict, filename: str) -> dict:
    """Sloth prometheus/v1: each SLO's events (error and total queries) or raw error ratio becomes a ratio objective."""
    service = _get(doc, "(top level)", filename, "service")
    slos = doc.get("slos") or _fail(filename, "slos", "at least one SLO is required")
    objectives = []
    for i, slo in enumerate(slos):
        name = slo.get("name") or _fail(filename, f"slos[{i}].name", "required")
        where = f"slos[{name}]"
        percent = _get(slo, where, filename, "objective")
        if not isinstance(percent, (int, float)) or not 0 < percent < 100:
            _fail(filename, f"{where}.objective", f"a percentage strictly between 0 and 100 is required, got {percent}")
        sli = _get(slo, where, filename, "sli")
        if "events" in sli:
            events = sli["events"]
            bad, how = _windowed(_get(events, f"{where}.sli.events", filename, "error_query"), False,
                                 f"{where}.sli.events.error_query", filename)
            total, _ = _windowed(_get(events, f"{where}.sli.events", filename, "total_query"), False,
                                 f"{where}.sli.events.total_query", filename)
        elif "raw" in sli:
            ratio, how = _windowed(_get(sli["raw"], f"{where}.sli.raw", filename, "error_ratio_query"), False,
                                   f"{where}.sli.raw.error_ratio_query", filename)
            objectives.append({"name": _name(name), "kind": "ratio", "target": percent / 100,
                               "bad_ratio_query": ratio.removesuffix(f" * {WINDOW_S}"), "mapping": how,
                               "description": slo.get("description", "")})
            continue
        else:
            kind = ", ".join(sorted(sli)) or "nothing"
            _fail(filename, f"{where}.sli", f"only events and raw SLIs can be mapped (got {kind}); plugins are Sloth's own")
        objectives.append({"name": _name(name), "kind": "ratio", "target": percent / 100, "bad_query": bad,
                           "total_query": total, "mapping": how, "description": slo.get("description", "")})
    return {"service": service, "objectives": objectives}


def _name(text) -> str:
    """An objective name as slobench's SLO file allows it."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(text)).strip("-") or "slo"
