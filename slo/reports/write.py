"""Write every report of a judged run into its folder."""
from __future__ import annotations

import json
from pathlib import Path

from slo.reports.html import render
from slo.reports.junit import junit
from slo.reports.text import markdown

REPORT_FILES = ("slo_report.json", "slo_report.md", "report.html", "junit.xml")


def write_all(run_dir: Path, report: dict) -> dict[str, Path]:
    run_dir = Path(run_dir)
    contents = {"slo_report.json": json.dumps(report, indent=2) + "\n", "slo_report.md": markdown(report),
                "report.html": render(report), "junit.xml": junit(report)}
    paths = {}
    for name, text in contents.items():
        paths[name] = run_dir / name
        paths[name].write_text(text)
    return paths


def rerender(folder: Path) -> Path:
    """Redraw a judged run's report.html from its slo_report.json (after an upgrade of slobench)."""
    path = Path(folder) / "report.html"
    path.write_text(render(json.loads((Path(folder) / "slo_report.json").read_text())))
    return path
