"""How an interval reads: in a sentence of the report (`[0.41 %, 1.62 %] at 95 %` against `1 %`) and in a table cell
(`0–0.12%`). The statistics (slo/stats/) give the numbers and each kind (slo/verdicts/kinds/) its interval's
method; the verdicts and reports word the interval itself here."""
from __future__ import annotations

from slo.verdicts.report import Confidence


def _pct(share: float) -> str:
    return f"{100 * share:.3g} %"


def limit_text(c: Confidence) -> str:
    """The objective's limit in the interval's terms: `1 %`, `25 ms`."""
    if c.limit is None:
        return "its objective"
    return _pct(c.limit) if c.in_shares else f"{c.limit:g} ms"


def short(c: Confidence) -> str:
    """The interval alone, compact, for table cells: `0–0.12%`, `7.7–10.2 ms`; "" without one."""
    if c.low is None or c.low == c.high:
        return ""  # no interval, or an exact (observed) figure
    if c.in_shares:
        return f"{_sig(100 * c.low)}–{_sig(100 * c.high)}%"
    return f"{c.low:.1f}–{c.high:.1f} ms"


def _sig(v: float) -> str:
    return f"{v:.2g}" if v < 1 else f"{v:.3g}" if v < 100 else f"{v:.0f}"


def interval_text(c: Confidence) -> str:
    """`[0.41 %, 1.62 %] at 95 %` (shares as percentages), or `no interval`."""
    if c.low is None:
        return "no interval"
    f = _pct if c.in_shares else (lambda v: f"{v:g}")
    return f"[{f(c.low)}, {f(c.high)}] at {c.level:.0%}"


def bracket(low: float | None, high: float | None) -> str:
    """A capacity interval as text, an unknown end as ?: `[40, 49]`, `[110, ?]`."""
    return f"[{'?' if low is None else f'{low:g}'}, {'?' if high is None else f'{high:g}'}]"


def relative_interval(low: float | None, high: float | None) -> str:
    """A relative change's interval, an unbounded end as ?: `[+32.9%, +72.2%]`, `[+50.0%, ?]` (a quantile past the
    histogram's last edge, or errors from none)."""
    return "[" + ", ".join("?" if v is None else f"{v:+.1%}" for v in (low, high)) + "]"
