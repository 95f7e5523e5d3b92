"""The tests' own cleanup: a process a test started that still runs when its session ends is found by the paths it
names (tests/conftest.py, _no_process_left_behind), and nothing else is."""
import os
import subprocess
import sys

import pytest

from tests.conftest import _left_by

pytestmark = pytest.mark.integration

SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]


@pytest.mark.parametrize("names_it", ["argument", "environment"])
def test_a_process_naming_the_tests_folder_is_found_and_one_that_does_not_is_left_alone(tmp_path, names_it):
    run_dir = str(tmp_path / "results" / "run")
    named = subprocess.Popen(SLEEP + [run_dir] if names_it == "argument" else SLEEP,
                             env={**os.environ, **({"RESULTS_DIR": run_dir} if names_it == "environment" else {})})
    other = subprocess.Popen(SLEEP)
    beside = subprocess.Popen(SLEEP + [f"{tmp_path}0/run"])   # a folder whose name starts with this one's
    try:
        found = {p.pid for p in _left_by(str(tmp_path), {os.getpid()})}
        assert named.pid in found and not {other.pid, beside.pid} & found, (found, named.pid, other.pid, beside.pid)
    finally:
        for proc in (named, other, beside):
            proc.kill()
            proc.wait(timeout=10)
