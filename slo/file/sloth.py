"""Sloth prometheus/v1 files mapped onto slobench's SLO model: each SLO's events (error and total queries) or raw
error ratio becomes a ratio objective judged per stage."""
from __future__ import annotations

from slo.file.model import WINDOW_S
from slo.file.queries import fail, get, objective_name, windowed


def from_sloth(doc: dict, filename: str) -> dict:
    """Sloth prometheus/v1: each SLO's events (error and total queries) or raw error ratio becomes a ratio objective."""
    service = get(doc, "(top level)", filename, "service")
    slos = doc.get("slos") or fail(filename, "slos", "at least one SLO is required")
    objectives = []
    for i, slo in enumerate(slos):
        name = slo.get("name") or fail(filename, f"slos[{i}].name", "required")
        where = f"slos[{name}]"
        percent = get(slo, where, filename, "objective")
        if not isinstance(percent, (int, float)) or not 0 < percent < 100:
            fail(filename, f"{where}.objective", f"a percentage strictly between 0 and 100 is required, got {percent}")
        sli = get(slo, where, filename, "sli")
        if "events" in sli:
            events = sli["events"]
            bad, how = windowed(get(events, f"{where}.sli.events", filename, "error_query"), False,
                                 f"{where}.sli.events.error_query", filename)
            total, _ = windowed(get(events, f"{where}.sli.events", filename, "total_query"), False,
                                 f"{where}.sli.events.total_query", filename)
        elif "raw" in sli:
            ratio, how = windowed(get(sli["raw"], f"{where}.sli.raw", filename, "error_ratio_query"), False,
                                   f"{where}.sli.raw.error_ratio_query", filename)
            objectives.append({"name": objective_name(name), "kind": "ratio", "target": percent / 100,
                               "bad_ratio_query": ratio.removesuffix(f" * {WINDOW_S}"), "mapping": how,
                               "description": slo.get("description", "")})
            continue
        else:
            kind = ", ".join(sorted(sli)) or "nothing"
            fail(filename, f"{where}.sli", f"only events and raw SLIs can be mapped (got {kind}); plugins are Sloth's own")
        objectives.append({"name": objective_name(name), "kind": "ratio", "target": percent / 100, "bad_query": bad,
                           "total_query": total, "mapping": how, "description": slo.get("description", "")})
    return {"service": service, "objectives": objectives}
