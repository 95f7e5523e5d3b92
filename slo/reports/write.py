"""Write every report of a judged run into its folder."""
from __future__ import annotations

import json
from pathlib import Path

from slo.reports.html import render
from slo.reports.junit import junit
from slo.reports.text import markdown
from runfolder import names

def write_all(run_dir: Path, report: dict) -> dict[str, Path]:
    run_dir = Path(run_dir)
    contents = {names.SLO_REPORT: json.dumps(report, indent=2) + "\n", names.SLO_REPORT_MD: markdown(report),
                names.REPORT_HTML: render(report), names.JUNIT: junit(report)}
    paths = {}
    for name, text in contents.items():
        paths[name] = run_dir / name
        paths[name].write_text(text)
    return paths


def rerender(folder: Path) -> Path:
    """Redraw a judged run's report.html from its slo_report.json (after an upgrade of slobench)."""
    path = Path(folder) / names.REPORT_HTML
    path.write_text(render(json.loads((Path(folder) / names.SLO_REPORT).read_text())))
    return path
