"""A profile's stage declared with looks, on the real stack: judged while the load runs, ended at the look that
decided it, the stage after it started at once on every generator process, its verdicts stated at the looks' level."""
import json
import os
import subprocess
import sys
import time

import pytest

from loadtests.profile import load_profile
from slobench.ladder_looks import plans
from stack.procs import ROOT
from tests.loadtests.runs import loose_slo

PROFILE = """
name: looked
kind: open
arrival: poisson
settle_s: 2
stages:
  - {name: g1, rate_rps: 200, duration_s: 22, looks: 3}
  - {name: g2, rate_rps: 250, duration_s: 9}
"""


@pytest.mark.parametrize("scrape_s, shares", [
    (1.0, (0.5, 0.75, 1.0)),
    (2.5, (0.75, 0.875, 1.0)),
    (4.0, ()),
], ids=["looks from half the window", "no look before six scrapes",
        "a window too short for more than its own end has no looks"])
def test_each_stage_declared_with_looks_gets_its_plan(tmp_path, scrape_s, shares):
    (tmp_path / "p.yaml").write_text(PROFILE)
    found = plans(load_profile(str(tmp_path / "p.yaml")), scrape_s, 0.95)
    assert {k: v.shares for k, v in found.items()} == ({"g1": shares} if shares else {})
    assert all(v.per_look_level > 0.95 for v in found.values())


@pytest.mark.integration
@pytest.mark.load
@pytest.mark.deployment   # beyond the README's path: the shipped profiles declare no looks (make test-deployments)
def test_a_stage_decided_at_a_look_ends_there_and_the_next_runs_whole_on_every_process(tmp_path):
    (tmp_path / "looked.yaml").write_text(PROFILE)
    started = time.time()
    # Two generator processes (Locust's master and two local workers): the master ends the stage and tells them.
    # The loose SLO: what is tested is the look that decides and the stage after it, not a verdict at 10 ms on a
    # core shared with the other load test (tests/loadtests/runs.py, loose_slo).
    done = subprocess.run([sys.executable, "-m", "slobench", "loadtest", "--slo", str(loose_slo(tmp_path)), "--profile",
                           str(tmp_path / "looked.yaml"), "--no-drift"], cwd=ROOT, capture_output=True, text=True,
                          timeout=150,
                          env={**os.environ, "RESULTS_DIR": str(tmp_path / "results"), "LOCUST_PROCESSES": "2"})
    elapsed = time.time() - started
    assert done.returncode == 0, done.stdout + done.stderr
    run = (tmp_path / "results" / "latest").resolve()
    report = json.loads((run / "slo_report.json").read_text())
    timeline = json.loads((run / "stages.json").read_text())
    g1, g2 = report["stages"]
    # The linear API answers in about a millisecond: at 200 req/s g1 passes every objective at its first look, 10 s
    # into its 20 s measured window, and ends about 3 s later (the scrape that covers the look lands, then the lead).
    assert "[slobench] g1 decided (pass) at look 1 of 3" in done.stdout, done.stdout
    assert g1["looks"]["ended_at_look"] == 1 and g1["completed"] and g1["status"] == "pass", g1["looks"]
    assert 10 <= g1["window"]["seconds"] <= 16, g1["window"]
    first, second = timeline["stages"]
    assert first["declared_s"] == 22 and first["completed"] and "declared_s" not in second
    # g2 ran its whole 9 s from the end of g1; every process moved its windows (a worker still sending g1's rate
    # would have served g2 about 90 % of its offered load): its throughput, exact against the arrivals, is met.
    assert second["start"] == pytest.approx(first["end"], abs=0.01)
    assert second["end"] - second["start"] == pytest.approx(9, abs=0.6) and second["completed"]
    throughput = next(o for o in g2["objectives"] if o["name"] == "throughput")
    assert throughput["status"] in ("pass", "warn") and throughput["measured"] >= 0.95, throughput
    assert g2["client"]["sent"] == pytest.approx(250 * g2["window"]["seconds"], rel=0.1), g2["client"]
    # g1's verdicts are stated at the level that holds over its three looks; g2, looked at never, at the file's.
    levels = {o["confidence"]["level"] for o in g1["objectives"] if (o.get("confidence") or {}).get("level")}
    assert levels == {g1["looks"]["per_look_level"]} and g1["looks"]["per_look_level"] > 0.95
    assert g2["looks"] is None
    assert "Judged at looks while they ran, each ended at the first that decided it: g1 pass (decided at look 1 of 3" \
        in done.stdout
    assert elapsed < 31 + 60, elapsed   # the profile's 31 s less what the look saved, plus the stack and the report
