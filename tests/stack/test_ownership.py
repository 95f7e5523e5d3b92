"""`stack down` signals only the processes its state file names and that are still the ones it started."""
import subprocess

import pytest

from stack import local
from stack.procs import identity, pid_alive, still_ours

pytestmark = pytest.mark.integration


@pytest.fixture
def bystander():
    """A process that is not the stack's: a state file may name its pid after a reboot or pid reuse."""
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait(timeout=10)


def test_a_process_is_still_ours_when_the_wall_clock_is_stepped(bystander):
    """Its start is compared in clock ticks since boot: a wall-clock step moves psutil's create_time (seen on these
    machines during a long suite: a stack's API judged 'not ours' and left running), not the ticks."""
    ident = identity(bystander.pid)
    assert still_ours({**ident, "create_time": ident["create_time"] + 5.0})


@pytest.mark.parametrize("forge", [
    lambda ident: {**ident, "create_time": ident["create_time"] - 3600, "start_ticks": ident["start_ticks"] - 360_000},
    lambda ident: {**ident, "cmdline": ["prometheus", "--config.file=x"]},
    lambda ident: None,
], ids=["the pid now belongs to a later process", "the pid runs another command", "a state file with a bare pid"])
def test_down_leaves_a_process_that_is_not_ours_alone(tmp_path, bystander, forge):
    state = local.StackState(api_url="http://127.0.0.1:1", prometheus_url="http://127.0.0.1:2", api_pid=bystander.pid,
                             owned={"api": forge(identity(bystander.pid))})
    state.save(tmp_path)
    said = []
    assert local.down(tmp_path, log=said.append) == []
    assert pid_alive(bystander.pid) and bystander.poll() is None
    assert any(f"pid {bystander.pid}" in line and "left alone" in line for line in said)


def test_down_stops_the_process_it_started(tmp_path, bystander):
    state = local.StackState(api_url="http://127.0.0.1:1", prometheus_url="http://127.0.0.1:2", api_pid=bystander.pid,
                             owned={"api": identity(bystander.pid)})
    state.save(tmp_path)
    assert still_ours(state.owned["api"])
    assert local.down(tmp_path, log=lambda *_: None) == [f"API (pid {bystander.pid})"]
    assert bystander.wait(timeout=10) is not None


def test_a_process_is_recorded_with_its_own_command_line_even_just_after_it_starts():
    """Read right after Popen returns, on one core, the new program may not show its command line yet (seen: a
    replica recorded with [] was never 'ours' again, and down left it running)."""
    import os
    import sys
    import tempfile
    from pathlib import Path

    from stack.procs import spawn
    log, cmd = Path(tempfile.mkdtemp()) / "idle.log", [sys.executable, "-c", "import time; time.sleep(30)"]
    procs, cores = [], os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})   # as a pytest worker kept to one core starts a stack's replicas
    try:
        for _ in range(10):
            procs.append(spawn(cmd, log))
            procs[-1].ident = identity(procs[-1].pid)
        idents = [p.ident for p in procs]
        assert all(i["cmdline"] == cmd for i in idents), [i["cmdline"] for i in idents]
        assert all(still_ours(i) for i in idents)
    finally:
        os.sched_setaffinity(0, cores)
        for p in procs:
            p.kill()
            p.wait(timeout=10)
