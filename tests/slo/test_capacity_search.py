"""`slobench capacity` on the real stack, with a small time bound."""
import json
import os
import subprocess
import sys
import time

import pytest

from stack.procs import ROOT

pytestmark = pytest.mark.integration


def test_the_capacity_search_stays_within_its_bound_and_shows_its_evidence(tmp_path):
    started = time.time()
    done = subprocess.run([sys.executable, "-m", "slobench", "capacity", "--budget-seconds", "50", "--step-seconds", "8",
                           "--start-rps", "400"], cwd=ROOT, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "RESULTS_DIR": str(tmp_path / "results")})
    elapsed = time.time() - started
    assert done.returncode == 0, done.stdout + done.stderr
    run = (tmp_path / "results" / "latest").resolve()
    report = json.loads((run / "capacity_report.json").read_text())
    assert report["seconds"] <= 50 and elapsed < 50 + 30  # the bound, plus start-up and shutdown
    assert report["steps"][0]["offered_rps"] == 400 and report["capacity_rps"] >= 400
    for step in report["steps"]:
        assert step["verdict"] in ("pass", "fail", "inconclusive", "insufficient", "generator-bound")
        assert step["samples"] > 0 and (run / step["folder"] / "slo_report.json").is_file()
        # Each step's verdict is its own report's: the search reads them, it does not guess.
        stage = json.loads((run / step["folder"] / "slo_report.json").read_text())["stages"][0]
        assert step["achieved_rps"] == stage["server"]["rps_all_traffic"]
    passed = [s["offered_rps"] for s in report["steps"] if s["verdict"] == "pass"]
    assert report["capacity_rps"] == max(r for r in passed if report["first_failing_rps"] is None
                                         or r < report["first_failing_rps"])
    assert report["interval_rps"] == [report["capacity_rps"], report["first_failing_rps"]]
    assert "Highest Poisson arrival rate meeting every objective with confidence" in \
        (run / "capacity_report.md").read_text()
