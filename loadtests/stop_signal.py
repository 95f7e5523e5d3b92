"""The stop signal's timing inside a Locust process: SIGINT (loadtests.run.stop, Ctrl-C in a terminal) ends the test,
but never while the run folder's figures are being written."""
from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def sigint_deferred() -> Iterator[None]:
    """Ctrl-C (SIGINT, the harness's stop: loadtests.run.stop) waits until the block is done, then arrives: a step a
    look decided near its end got it as Locust wrote the step's figures, and the KeyboardInterrupt cut the writing
    (no client figures; its throughput was judged against the nominal rate). Outside the main thread it cannot be
    caught, and the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived = []
    previous = signal.signal(signal.SIGINT, lambda *_: arrived.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if arrived:
            os.kill(os.getpid(), signal.SIGINT)
