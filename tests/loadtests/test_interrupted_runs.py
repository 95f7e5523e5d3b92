"""A run that does not end as planned, on the real stack: Ctrl-C, or the load generator killed mid-run. Never a pass:
INCOMPLETE, exit 5, what ran judged, the stack stopped. (Apart from test_end_to_end.py, so the two halves of the load
tests run side by side.)"""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from stack.procs import ROOT
from tests.loadtests.runs import loose_slo, stack_stopped
from tests.profiles import closed_profile
from tests.reader import Lines

pytestmark = [pytest.mark.integration, pytest.mark.load]


def _started(tmp_path, *stages) -> tuple[subprocess.Popen, Lines]:
    """`slobench loadtest` of a closed profile of these stages against the looser SLO file, in a session of its own
    (so the test can signal its whole group), with its output read line by line."""
    profile = tmp_path / "tiny.yaml"
    profile.write_text(closed_profile("tiny", *stages))
    proc = subprocess.Popen([sys.executable, "-m", "slobench", "loadtest", "--slo", str(loose_slo(tmp_path)), "--profile",
                             str(profile), "--no-drift"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "RESULTS_DIR": str(tmp_path / "results")}, start_new_session=True)
    return proc, Lines(proc)


def test_ctrl_c_stops_cleanly_and_keeps_what_was_collected(tmp_path):
    proc, lines = _started(tmp_path, ("t1", 15, 50, 12), ("t2", 30, 100, 60))
    assert lines.until(lambda line: "[slobench] stage 1/2" in line, 90), "".join(lines.seen)
    time.sleep(4)
    os.killpg(proc.pid, signal.SIGINT)
    out = lines.rest(timeout=60)
    assert "Traceback" not in out
    assert "interrupted" in out
    run = (tmp_path / "results" / "latest").resolve()
    report = json.loads((run / "slo_report.json").read_text())
    assert [s["name"] for s in report["stages"]] == ["t1", "t2"]
    assert report["stages"][1]["completed"] is False
    # Never a pass: INCOMPLETE, exit 5, naming the stage cut short; what ran is judged.
    assert proc.returncode == 5, out
    assert report["verdict"]["status"] == "incomplete" and "cut short: t2" in report["verdict"]["reason"]
    assert report["stages"][0]["status"] in ("pass", "warn")
    m = json.loads((run / "manifest.json").read_text())
    assert m["interrupted"] is True
    assert stack_stopped(m)


@pytest.mark.parametrize("after, cut, not_reached", [("[slobench] live stage 1/2", "t1", ["t2"]),
                                                     ("[slobench] stage 1/2", "t2", [])],
                         ids=["Locust killed in the first stage", "Locust killed in the second stage"])
def test_a_generator_killed_mid_run_is_incomplete_never_a_pass(tmp_path, after, cut, not_reached):
    import psutil
    proc, lines = _started(tmp_path, ("t1", 15, 50, 10), ("t2", 20, 100, 30))
    try:
        assert lines.until(lambda line: line.startswith(after), 90), "".join(lines.seen)
        time.sleep(3)
        locust = [p for p in psutil.Process(proc.pid).children(recursive=True) if "-m locust" in " ".join(p.cmdline())]
        assert locust, "".join(lines.seen)
        for p in locust:
            p.kill()
        out = lines.rest(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 5, out
    assert "Traceback" not in out and "Locust exited with code -9" in out
    report = json.loads(((tmp_path / "results" / "latest").resolve() / "slo_report.json").read_text())
    assert report["verdict"]["status"] == "incomplete"
    assert report["completeness"]["cut_short"] == [cut] and report["completeness"]["not_reached"] == not_reached
    assert "Locust exited with code -9" in report["verdict"]["reason"]
