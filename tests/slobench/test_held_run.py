"""A stage held on the real stack: a busy loop started on the API's core in the middle of a stage holds the load until
it stops and the API has served its queue; the stage then runs again in full, the report sets the held one aside and
judges the one run again (loadtests/holds.py, slobench/holds.py)."""
import json
import os
import subprocess
import sys
import time

import pytest

from stack.procs import ROOT
from tests.loadtests.runs import loose_slo

PROFILE = """
name: held
kind: open
arrival: poisson
settle_s: 2
hold: {max_s: 30}
stages:
  - {name: g1, rate_rps: 100, duration_s: 22}
  - {name: g2, rate_rps: 250, duration_s: 10}
"""
LOOP_FROM_S, LOOP_S = 14, 6   # into the stages: the busy loop on the API's core


def _wall_start(run_folder, deadline: float) -> float:
    """When the stages began, once the generator wrote its timeline."""
    while time.time() < deadline:
        try:
            return json.loads((run_folder / "stages.json").read_text())["wall_start"]
        except (OSError, ValueError, KeyError):
            time.sleep(0.2)
    raise AssertionError("the run wrote no timeline")


def _busy_loop_on_the_apis_core(seconds: float) -> subprocess.Popen:
    """On the first core this process may use: the run pins the API there (slobench.session.cpu_plan)."""
    core = min(os.sched_getaffinity(0))
    return subprocess.Popen(["timeout", str(seconds), "taskset", "-c", str(core), sys.executable, "-c",
                             "while True: pass"])


@pytest.mark.integration
@pytest.mark.load
@pytest.mark.deployment   # about 70 s: beyond make test's budget (make test-deployments)
@pytest.mark.whole_machine   # the API on a core of its own, and the busy loop on it, beside no other test
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="the API gets a core of its own on 2 cores or more")
def test_a_busy_loop_on_the_apis_core_holds_the_stage_which_runs_again_and_is_judged(tmp_path):
    (tmp_path / "held.yaml").write_text(PROFILE)
    results = tmp_path / "results"
    run = subprocess.Popen([sys.executable, "-m", "slobench", "loadtest", "--slo", str(loose_slo(tmp_path)),
                            "--profile", str(tmp_path / "held.yaml"), "--no-drift"], cwd=ROOT, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env={**os.environ, "RESULTS_DIR": str(results)})
    loop = None
    try:
        start = _wall_start(results / "latest", time.time() + 60)
        time.sleep(max(0.0, start + LOOP_FROM_S - time.time()))
        loop = _busy_loop_on_the_apis_core(LOOP_S)
        out, _ = run.communicate(timeout=150)
    finally:
        for proc in (run, loop):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert run.returncode == 0, out
    folder = (results / "latest").resolve()
    report = json.loads((folder / "slo_report.json").read_text())
    timeline = json.loads((folder / "stages.json").read_text())
    assert "the load holds at g1" in out and "the hold at g1 ended" in out, out
    g1, again, g2 = timeline["stages"]
    assert (g1["name"], again["name"], g2["name"]) == ("g1", "g1-again", "g2")
    held_at = g1["held_from"] - start
    # Held within a few seconds of the loop's start (three seconds of it, then a second's lead), and until it ended.
    assert LOOP_FROM_S < held_at < LOOP_FROM_S + 6, held_at
    assert g1["end"] - start >= LOOP_FROM_S + LOOP_S, g1
    assert again["again_of"] == "g1" and again["end"] - again["start"] == pytest.approx(22, abs=0.6)
    assert g2["start"] == pytest.approx(again["end"], abs=0.01) and g2["completed"]
    # The report sets the held stage aside and judges the one run again at the arrivals it was sent.
    stages = {s["name"]: s for s in report["stages"]}
    assert stages["g1"]["held_from"] == g1["held_from"] and not stages["g1"]["gated"]
    assert stages["g1-again"]["again_of"] == "g1" and stages["g1-again"]["gated"]
    assert not (stages["g1-again"].get("machine") or {}).get("after")
    assert stages["g1-again"]["client"]["sent"] == pytest.approx(100 * stages["g1-again"]["window"]["seconds"],
                                                                 rel=0.15)
    assert report["capacity"]["held_stages"] == ["g1"]
    # No arrival in the hold: g1 sent only what came before it.
    assert stages["g1"]["client"]["sent"] <= 100 * (held_at - 2) * 1.15 + 20, stages["g1"]["client"]
