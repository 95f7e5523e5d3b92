"""OpenSLO v1 files mapped onto slobench's SLO model: every `kind: SLO` document becomes ratio or threshold
objectives judged per stage; what cannot be mapped is refused naming the file and the field."""
from __future__ import annotations

from slo.file.queries import fail, get, objective_name, target, windowed


def _source_query(metric: dict, where: str, filename: str) -> str:
    source = get(metric, where, filename, "metricSource")
    kind = source.get("type") if isinstance(source, dict) else None
    if str(kind).lower() != "prometheus":
        fail(filename, f"{where}.metricSource.type", f"only Prometheus sources can be judged here (got {kind})")
    return get(source, f"{where}.metricSource", filename, "spec", "query")


def _indicator(slo: dict, slis: dict[str, dict], where: str, filename: str) -> tuple[dict, str]:
    spec = slo.get("spec", {})
    if "indicator" in spec:
        return get(spec, where, filename, "indicator", "spec"), f"{where}.indicator.spec"
    if "indicatorRef" in spec:
        ref = spec["indicatorRef"]
        if ref not in slis:
            fail(filename, f"{where}.indicatorRef", f"no kind: SLI named {ref!r} in this file")
        return get(slis[ref], f"SLI[{ref}]", filename, "spec"), f"SLI[{ref}].spec"
    fail(filename, where, "indicator or indicatorRef is required")


def from_openslo(docs: list, filename: str) -> dict:
    """OpenSLO v1: every `kind: SLO` document (indicators inline or by reference) becomes objectives."""
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict) or doc.get("apiVersion") != "openslo/v1":
            fail(filename, f"document {i + 1}.apiVersion", f"only openslo/v1 is mapped (got {doc.get('apiVersion')})"
                  if isinstance(doc, dict) else "a mapping is expected")
    slis = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "SLI" and "name" in d.get("metadata", {})}
    slos = [d for d in docs if d.get("kind") == "SLO"]
    if not slos:
        fail(filename, "kind", "no document of kind SLO")
    objectives, services = [], set()
    for slo in slos:
        name = get(slo, "SLO", filename, "metadata", "name")
        where = f"SLO[{name}].spec"
        spec = get(slo, f"SLO[{name}]", filename, "spec")
        services.add(spec.get("service", name))
        indicator, at = _indicator(slo, slis, where, filename)
        goals = spec.get("objectives") or fail(filename, f"{where}.objectives", "at least one objective is required")
        for j, goal in enumerate(goals):
            # One objective takes its SLO's name; several add their own name, or their rank.
            own = goal.get("name") or goal.get("displayName") or str(j + 1)
            goal_name = objective_name(name if len(goals) == 1 else f"{name}-{own}")
            goal_target = target(goal, f"{where}.objectives[{j}]", filename)
            description = spec.get("description", "")
            if "ratioMetric" in indicator:
                ratio = indicator["ratioMetric"]
                counter = bool(ratio.get("counter", True))
                good_bad = [k for k in ("good", "bad") if k in ratio]
                if len(good_bad) != 1:
                    fail(filename, f"{at}.ratioMetric", "exactly one of good and bad is required")
                kind = good_bad[0]
                query, how = windowed(_source_query(ratio[kind], f"{at}.ratioMetric.{kind}", filename), counter,
                                       f"{at}.ratioMetric.{kind}.metricSource.spec.query", filename)
                total, how_total = windowed(_source_query(get(ratio, f"{at}.ratioMetric", filename, "total"),
                                                           f"{at}.ratioMetric.total", filename), counter,
                                             f"{at}.ratioMetric.total.metricSource.spec.query", filename)
                mapping = f"{kind}: {how}" + (f"; total: {how_total}" if how_total != how else "")
                objectives.append({"name": goal_name, "kind": "ratio", "target": goal_target, "description": description,
                                   f"{kind}_query": query, "total_query": total, "mapping": mapping})
            elif "thresholdMetric" in indicator:
                query = _source_query(indicator["thresholdMetric"], f"{at}.thresholdMetric", filename)
                op, value = goal.get("op"), goal.get("value")
                if op not in ("lt", "lte", "gt", "gte") or not isinstance(value, (int, float)):
                    fail(filename, f"{where}.objectives[{j}]", "a threshold objective needs op (lt, lte, gt, gte) "
                          "and a numeric value")
                objectives.append({"name": goal_name, "kind": "threshold", "target": goal_target, "query": query,
                                   "op": op, "value": float(value), "description": description})
            else:
                fail(filename, at, "only ratioMetric and thresholdMetric indicators can be mapped")
    return {"service": sorted(services)[0], "objectives": objectives}
