"""Write every report of a judged run into its folder."""
from __future__ import annotations

from pathlib import Path

from slo.reports.html import render
from slo.reports.junit import junit
from slo.reports.text import markdown
from slo.verdicts.report import Report
from runfolder import names

def write_all(run_dir: Path, report: Report) -> dict[str, Path]:
    run_dir = Path(run_dir)
    contents = {names.SLO_REPORT: report.text(), names.SLO_REPORT_MD: markdown(report),
                names.REPORT_HTML: render(report), names.JUNIT: junit(report)}
    paths = {}
    for name, text in contents.items():
        paths[name] = run_dir / name
        paths[name].write_text(text)
    return paths


def rerender(folder: Path) -> Path:
    """Redraw a judged run's report.html from its slo_report.json (after an upgrade of slobench)."""
    path = Path(folder) / names.REPORT_HTML
    path.write_text(render(Report.read(Path(folder) / names.SLO_REPORT)))
    return path
