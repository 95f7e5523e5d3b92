"""`slobench capacity` on the real stack: a run whose refinement climbs from a declared rate, within a small budget,
with the full run folder of any run."""
import json
import os
import subprocess
import sys
import time

import pytest

from slo.verdicts.report import Report
from stack.procs import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.load]

BUDGET_S = 50


def test_the_capacity_run_climbs_within_its_budget_and_keeps_a_full_run_folder(tmp_path):
    started = time.time()
    done = subprocess.run([sys.executable, "-m", "slobench", "capacity", "--budget-seconds", str(BUDGET_S),
                           "--step-seconds", "12", "--start-rps", "200", "--looks", "3"], cwd=ROOT, capture_output=True, text=True,
                          timeout=240, env={**os.environ, "RESULTS_DIR": str(tmp_path / "results")})
    elapsed = time.time() - started
    assert done.returncode == 0, done.stdout + done.stderr
    run = (tmp_path / "results" / "latest").resolve()
    report = json.loads((run / "slo_report.json").read_text())
    manifest = json.loads((run / "manifest.json").read_text())
    # The first step, then the refinement within its budget, plus the stack's start, the judging and the drift check.
    assert elapsed < 12 + BUDGET_S + 90, elapsed
    # The linear API answers in about a millisecond: 200 and 250 req/s pass every objective of the default file, so
    # the refinement climbs by a quarter (a known answer: a broken stepping policy fails here). Rates a generator
    # sharing one core with the API and Prometheus keeps up with.
    stages = report["stages"]
    assert [s["offered_rps"] for s in stages[:2]] == [200, 250], [s["offered_rps"] for s in stages]
    assert [s["status"] for s in stages[:2]] == ["pass", "pass"] and stages[1]["refine"] and not stages[0]["refine"]
    assert [s["rate_rps"] for s in manifest["refine"]] == [s["offered_rps"] for s in stages[1:]]
    assert all((run / "refine" / f"{i:02d}-{s['offered_rps']:.0f}rps" / "stages.json").is_file()
               for i, s in enumerate(stages[1:], 1))
    # Each step was judged at looks while it ran: far under the linear API's knee, a step with room for more than one
    # look ended at one before its longest, and its verdicts are stated at the looks' level, which is stricter.
    looked = [s for s in stages[1:] if len(s["looks"]["shares"]) > 1]
    assert looked and all(s["looks"]["ended_at_look"] is not None and s["completed"] for s in looked), \
        [s["looks"] for s in stages[1:]]
    assert {o["confidence"]["level"] for o in looked[0]["objectives"] if (o.get("confidence") or {}).get("level")} \
        == {looked[0]["looks"]["per_look_level"]} and looked[0]["looks"]["per_look_level"] > 0.95
    assert [s["ended_at_look"] for s in manifest["refine"]] == [s["looks"]["ended_at_look"] for s in stages[1:]]
    cap = report["capacity"]
    # The low end is a step declared at 250 req/s or more, placed at the arrivals the generator counted in its window
    # (Stage.rate: a Poisson schedule's 3,000 arrivals stray about 2 % from the rate declared).
    best = Report.read(run / "slo_report.json").stage(cap["highest_passing_stage"])
    assert best.declared_rate >= 250 and abs(best.rate - best.declared_rate) <= 0.1 * best.declared_rate, best
    assert cap["highest_passing_rps"] == best.rate and cap["interval_rps"][0] >= best.rate
    assert f"capacity: {cap['interval_rps']} req/s" in done.stdout
    # A run like any other: its manifest and canaries, its place in the history.
    assert manifest["profile"]["name"] == "capacity" and manifest["canary"]["api"]["ms"] > 0
    assert (tmp_path / "results" / "index.html").is_file()
