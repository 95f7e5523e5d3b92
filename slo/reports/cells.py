"""What a report's tables are made of, and their Markdown: a cell, a table, a figure's text."""
from __future__ import annotations

from dataclasses import dataclass, field


def fmt(value, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "ratio":
        return f"{value:.2%}"
    if unit == "share of offered":
        return f"{value:.0%}"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:g}"


@dataclass
class Cell:
    """A table cell: its text, and for the HTML a status class and data attributes (tests read them)."""
    text: str
    status: str | None = None
    attrs: dict = field(default_factory=dict)
    href: str | None = None


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list]          # str or Cell; a row's first cell names its stage
    bullets: list[str] = field(default_factory=list)
    note: str | None = None


def text_of(cell) -> str:
    return cell.text if isinstance(cell, Cell) else str(cell)


def markdown_table(t: Table) -> list[str]:
    out = [f"## {t.title}", ""]
    if t.headers:
        out += ["| " + " | ".join(t.headers) + " |", "|" + "---|" * len(t.headers)]
        out += ["| " + " | ".join(text_of(c) for c in row) + " |" for row in t.rows]
    if t.bullets:
        out += ([""] if t.headers else []) + [f"- {b}" for b in t.bullets]
    if t.note:
        out += ["", t.note]
    return out
