"""junit.xml: one test case per objective per gated stage; stages beyond the gate are skipped cases."""
from __future__ import annotations

from xml.etree import ElementTree as ET

from slo.verdicts.wording import interval_text, limit_text
from slo.reports.text import fmt
from slo.verdicts.report import Report
from slo.verdicts.objectives import advice


def junit(report: Report) -> str:
    suite = ET.Element("testsuite", name=f"slo.{report.service}")
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for s in report.stages:
        for o in s.objectives:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=f"{report.service}.{s.name}", name=o.name)
            text = f"{o.name} = {fmt(o.measured, o.unit)} (threshold {fmt(o.threshold, o.unit)}): {o.status}"
            c = o.confidence
            if c.low is not None:
                text += f"; {c.terms}: {interval_text(c)} against {limit_text(c)}"
            if o.detail:
                text += f"; {o.detail}"
            if not s.gated:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=f"beyond the gate (capacity search): {text}")
            elif o.status == "fail":
                counts["failures"] += 1
                ET.SubElement(case, "failure", message=text)
            elif o.status == "inconclusive":
                # Not a pass: the interval straddles the objective (the run exits 4).
                counts["errors"] += 1
                ET.SubElement(case, "error", type="inconclusive", message=advice(s, o))
            elif o.status in ("no_data", "insufficient"):
                counts["errors"] += 1
                ET.SubElement(case, "error", message=text)
            else:
                ET.SubElement(case, "system-out").text = text
    for k, v in counts.items():
        suite.set(k, str(v))
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="verdict", value=report.verdict.status)
    ET.SubElement(props, "property", name="exit_code", value=str(report.verdict.exit_code))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
