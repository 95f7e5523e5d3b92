"""Faults on the real stack: the API killed mid-run, Prometheus lost mid-run. Loopback only, bounded."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.reader import Lines

from stack import local, prometheus_server
from tests.loadtests.runs import loose_slo
from slo.verdicts.report import Report
from stack.procs import ROOT, pid_alive, stop_pid
from stack.settings import StackSettings
from tests.profiles import closed_profile

pytestmark = [pytest.mark.integration, pytest.mark.load, pytest.mark.deployment]

PROFILE = closed_profile("fault", ("f1", 20, 100, 12), ("f2", 20, 100, 14))


def _start(tmp_path, *args, **env):
    """The run, with the linear SLO's latencies a tenfold looser (tests/loadtests/runs.py): what is tested is the fault,
    not a stage's p50 at the strict threshold on a core shared with another load test (make test-deployments: f1
    undecided, 38 of 1,602 requests over it in a slow spell, its interval [0 %, 51.4 %] against 50 %)."""
    (tmp_path / "fault.yaml").write_text(PROFILE)
    return subprocess.Popen([sys.executable, "-m", "slobench", "loadtest", "--slo", str(loose_slo(tmp_path)), "--profile",
                             str(tmp_path / "fault.yaml"), *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "RESULTS_DIR": str(tmp_path / "results"), **env})


def _after_first_stage(proc) -> Lines:
    lines = Lines(proc)
    assert lines.until(lambda line: "[slobench] stage 1/2" in line, 90), "".join(lines.seen)
    time.sleep(3)  # well inside stage f2
    return lines


def test_the_api_killed_mid_run_fails_availability_says_when_and_exits_1(tmp_path):
    proc = _start(tmp_path, "--no-drift")
    lines = _after_first_stage(proc)
    run = (tmp_path / "results" / "latest").resolve()
    api_pid = json.loads((run / "manifest.json").read_text())["ran"]["api"]["pid"]
    os.kill(api_pid, signal.SIGKILL)
    out = lines.rest(timeout=120)
    assert proc.returncode == 1, out
    assert "Traceback" not in out
    report = Report.read(run / "slo_report.json")
    f1, f2 = report.stages
    assert f1.status in ("pass", "warn")
    availability = next(o for o in f2.objectives if o.name == "availability")
    assert availability.status == "fail" and availability.measured == 0
    assert f2.server.down_at is not None
    assert any("found the API down at" in s and "f2" in s for s in report.sentences)
    assert f2.client.no_response > 0  # Locust saw the connection refused


def test_prometheus_lost_mid_run_exits_2_keeps_the_load_data_and_the_run_is_judged_later(tmp_path):
    state_dir = tmp_path / "stack"
    state = local.up(StackSettings(state_dir=state_dir, rules_file=None), ephemeral_ports=True, log=lambda *_: None)
    restarted = None
    try:
        proc = _start(tmp_path, "--no-drift", TARGET_URL=state.api_url, PROMETHEUS_URL=state.prometheus_url)
        lines = _after_first_stage(proc)
        os.kill(state.prometheus_pid, signal.SIGKILL)
        out = lines.rest(timeout=120)
        assert proc.returncode == 2, out
        assert "Traceback" not in out and "is unreachable" in out and "Locust data of the run are kept" in out
        run = (tmp_path / "results" / "latest").resolve()
        for kept in ("stages.json", "manifest.json", "locust_stats.csv"):
            assert (run / kept).is_file()
        assert (run / "client_stats.json").is_file()  # the generators' merged figures

        # Prometheus comes back on its data: the run is judged after the fact, the gap marked as such.
        port = int(state.prometheus_url.rsplit(":", 1)[1])
        restarted = prometheus_server.start(prometheus_server.find_binary(None), state_dir / "prometheus.yml", state_dir / "tsdb",
                                     port, state_dir / "logs" / "prometheus-again.log")
        again = subprocess.run([sys.executable, "-m", "slobench", "evaluate", str(run), "--slo", str(loose_slo(tmp_path)), "--no-drift",
                                "--prometheus-url", state.prometheus_url], cwd=ROOT, capture_output=True, text=True,
                               timeout=120)
        report = Report.read(run / "slo_report.json")
        assert again.returncode == report.verdict.exit_code, again.stdout + again.stderr
        f1, f2 = report.stages
        assert f1.server.complete
        assert not f2.server.complete and any("incomplete" in n for n in f2.server.notes)
    finally:
        if restarted is not None:
            stop_pid(restarted.pid)
        local.down(state_dir, log=lambda *_: None)
    assert not pid_alive(state.api_pid)
