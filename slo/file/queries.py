"""The team's PromQL mapped onto a stage window, for every imported format: what a query counts over {{window}}, and
the errors that name the file and the field."""
from __future__ import annotations

import re

from common.specfile import SpecError
from slo.file.model import STEP, WINDOW, WINDOW_S

# A bare counter selector, e.g. http_requests_total{code!~"5.."}: summed over the window with increase().
_SELECTOR = re.compile(r"^\s*[A-Za-z_:][A-Za-z0-9_:]*\s*(\{[^{}]*\})?\s*$")
TEMPLATE = re.compile(r"\{\{\s*\.window\s*\}\}")


def fail(filename: str, where: str, why: str):
    raise SpecError(f"{filename}: {where}: {why}")


def get(node, where: str, filename: str, *keys: str):
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            fail(filename, where, f"{key} is required")
        node, where = node[key], f"{where}.{key}"
    return node


# sum(selector), sum by (a, b) (selector) or sum(selector) by (a, b): the OpenSLO spec's own ratioMetric example.
_SUM_OF_SELECTOR = re.compile(r"^\s*sum\s*(?:(?:by|without)\s*\([^()]*\)\s*)?\(\s*(?P<sel>[A-Za-z_:][A-Za-z0-9_:]*"
                              r"\s*(?:\{[^{}]*\})?)\s*\)\s*(?:(?:by|without)\s*\([^()]*\))?\s*$")
_OWN_RANGE = re.compile(r"\[\s*\d+[smhdwy]")


def windowed(query: str, counter: bool, where: str, filename: str) -> tuple[str, str]:
    """(a query counting events over {{window}}, how it was mapped). Templated queries take the stage window
    (a rate times its length is a count); counters give their increase over it; rate-like queries with their
    own range are averaged over it."""
    if not isinstance(query, str) or not query.strip():
        fail(filename, where, "a PromQL query is required")
    q = query.strip()
    if TEMPLATE.search(q):
        inner = TEMPLATE.sub(WINDOW, q)
        if re.search(r"\b(rate|irate)\s*\(", inner):
            return f"sum({inner}) * {WINDOW_S}", "the team's rate over the stage window, times its length"
        return f"sum({inner})", "the team's query over the stage window"
    if counter and re.search(r"\b(rate|irate|increase|delta)\s*\(", q):
        fail(filename, where, "counter: true, but this query already computes a rate or an increase: set "
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
    fail(filename, where, "cannot map this query onto a stage window: with counter: false, give a rate-like "
                           "query with its own range (sum(rate(x[5m]))), or a query with [{{.window}}]")


def target(objective: dict, where: str, filename: str) -> float:
    if "target" in objective:
        target = objective["target"]
    elif "targetPercent" in objective:
        target = objective["targetPercent"] / 100
    else:
        fail(filename, where, "target or targetPercent is required")
    if not isinstance(target, (int, float)) or not 0 < target < 1:
        fail(filename, where, f"the target must lie strictly between 0 and 1 (100 %), got {target}")
    return float(target)


def objective_name(text) -> str:
    """An objective name as slobench's SLO file allows it."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(text)).strip("-") or "slo"
