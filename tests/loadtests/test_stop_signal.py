"""The stop signal (SIGINT: loadtests.run.stop, as a look decides a refinement step) never cuts the writing of a
stage's figures: it waits until they are written, then arrives."""
import os
import signal
import time

import pytest

from loadtests.stop_signal import sigint_deferred


@pytest.fixture
def ctrl_c_raises():
    """SIGINT raises KeyboardInterrupt here, as in Locust's process, whatever the test runner set."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _wait_for_signals() -> None:
    for _ in range(50):   # a signal's handler runs between two bytecodes of the main thread
        time.sleep(0.001)


def test_a_stop_signal_while_the_figures_are_written_arrives_once_they_are(ctrl_c_raises):
    written = []
    with pytest.raises(KeyboardInterrupt):
        with sigint_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            _wait_for_signals()
            written.append("figures")
        _wait_for_signals()
    assert written == ["figures"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_without_a_stop_signal_the_writing_runs_as_it_is(ctrl_c_raises):
    with sigint_deferred():
        _wait_for_signals()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_deferred_twice_the_signal_arrives_after_the_outer_block(ctrl_c_raises):
    """The local generator's stop defers it over the answers it records and, inside, the figures it writes."""
    done = []
    with pytest.raises(KeyboardInterrupt):
        with sigint_deferred():
            with sigint_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                _wait_for_signals()
            _wait_for_signals()
            done.append("answers and figures")
    assert done == ["answers and figures"]
