"""The saturation probe against a real target that serves one request at a time for a known time: what it measures
is that target's saturation, with an interval, and a target that answers nothing is a clear error."""
import sys

import pytest

from loadtests.probe import ProbeError, measure
from loadtests.probe_and_refine import Probe
from loadtests.profile import load_profile
from stack.procs import free_port, http_get, spawn, stop_pid, wait_until

pytestmark = pytest.mark.integration

SERVICE_MS = 20.0   # at most 50 req/s, whatever the machine: a sleep, one request at a time


@pytest.fixture
def serial_target(tmp_path):
    def start(*args):
        port = free_port()
        proc = spawn([sys.executable, "-m", "tests.loadtests.serial_app", str(port), *map(str, args)],
                     tmp_path / "serial.log")
        started.append(proc)
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_get(url + "/health")[0] in (200, 500), 30, "serial target", proc, tmp_path / "serial.log")
        return url
    started = []
    yield start
    for proc in started:
        stop_pid(proc.pid)


def _profile(**probe):
    return load_profile("smoke").model_copy(update={"probe": Probe(**probe)})


def test_the_probe_measures_a_serial_targets_saturation_and_its_interval_holds_it(serial_target):
    """1000 / 20 ms = 50 req/s is the ceiling; the HTTP round trip on loopback costs a few per cent more."""
    saturation = measure(serial_target(SERVICE_MS), _profile(concurrency=[1, 4], seconds=3, warm_s=0.5),
                         log=lambda *_: None)
    assert 40 <= saturation.rps <= 50 and saturation.low <= saturation.rps <= saturation.high
    assert saturation.high - saturation.low < 0.2 * saturation.rps   # an interval narrow enough to place a ladder
    assert saturation.service_ms >= SERVICE_MS and [lv.concurrency for lv in saturation.levels] == [1, 4]
    assert all(lv.failed == 0 for lv in saturation.levels) and not any("error" in n for n in saturation.notes)


# Levels of 0.5 s warm and 2 s measured: concurrency 1 from 0 to 2.5 s after the first request, 2 from 2.5 to 5,
# 2 again from 5 to 7.5. The spell (60 ms a request instead of 20) covers the second level's measured window.
@pytest.mark.parametrize("spell, taken, note", [
    ("2.7:5.0:60", (40, 50), "not when measured again"),
    ("2.7:inf:60", (10, 20), "measured twice"),
], ids=["a slow spell during the busy level is measured again and passes: the best level is taken",
        "a slowdown that stays when measured again is the target's: the busy figure is taken"])
def test_a_busy_level_that_served_less_is_measured_again(serial_target, spell, taken, note):
    saturation = measure(serial_target(SERVICE_MS, 0, spell), _profile(concurrency=[1, 2], seconds=2, warm_s=0.5),
                         log=lambda *_: None)
    assert [lv.concurrency for lv in saturation.levels] == [1, 2, 2] and saturation.levels[1].rps < 20
    assert taken[0] <= saturation.rps <= taken[1] and any(note in n for n in saturation.notes)


def test_errors_from_the_target_are_counted_and_named(serial_target):
    saturation = measure(serial_target(5, 4), _profile(concurrency=[2], seconds=1, warm_s=0), log=lambda *_: None)
    assert saturation.levels[0].failed > 0 and any("answers were errors" in n for n in saturation.notes)


def test_a_target_that_answers_nothing_is_a_clear_error():
    url = f"http://127.0.0.1:{free_port()}"   # nothing listens there
    with pytest.raises(ProbeError, match=f"no answer from {url} at concurrency 1"):
        measure(url, _profile(concurrency=[1], seconds=1, warm_s=0), log=lambda *_: None)
