"""The machine monitor against real processes: a busy loop pinned to the watched core is seen as other work taking
it, and the watched process's own CPU time is not counted as other work."""
import os
import subprocess
import sys
import time

import pytest

from slo.verdicts.machine import stage_machine
from runfolder import files
from stack.monitor import MachineMonitor

pytestmark = pytest.mark.integration

SPIN = "import time\nend = time.time() + {s}\nwhile time.time() < end: pass\n"


def _pinned(core: int, code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], preexec_fn=lambda: os.sched_setaffinity(0, {core}))


def test_a_busy_process_on_the_apis_core_is_other_work_and_the_apis_own_cpu_is_not(tmp_path):
    core = sorted(os.sched_getaffinity(0))[-1]
    api = _pinned(core, SPIN.format(s=8))         # the watched "API", busy on its own core
    hog = _pinned(core, SPIN.format(s=8))         # another process sharing that core
    try:
        watch = MachineMonitor(tmp_path, [api.pid], [core], period_s=0.5).start()
        start = time.time()
        time.sleep(6)
        watch.stop()
    finally:
        for p in (api, hog):
            p.kill()
            p.wait(timeout=10)
    machine = files.MACHINE.read(tmp_path)
    assert machine["api_pids"] == [api.pid] and len(machine["samples"]) >= 10
    # the core's speed each period: CPU time of the fixed work, a millisecond or so, whatever shared the core
    assert len(machine["speed"]) >= 10 and all(0.05 < ms < 50 for _, ms in machine["speed"]), machine["speed"]
    got = stage_machine(machine, start + 1, start + 6, 0.95)
    # The two share the core about evenly: half of it is other work (more if other tests use that core too), and the
    # API's own share is not counted (counted, the core would read as all taken).
    assert got["low"] > 0.1 and 0.3 <= got["taken_share"] <= 0.85, got
