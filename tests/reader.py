"""A process's output read with deadlines: a quiet process can never hold a test past its bound."""
from __future__ import annotations

import queue
import subprocess
import threading
import time


class Lines:
    """Reads a process's stdout on a thread of its own; `until` and `rest` wait at most their timeout."""

    def __init__(self, proc: subprocess.Popen):
        self.proc, self.seen = proc, []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def until(self, found, timeout: float) -> bool:
        """Read lines until one satisfies `found` (True), the output ends or the deadline passes (False)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                return False
            if line is None:
                return False
            self.seen.append(line)
            if found(line):
                return True
        return False

    def rest(self, timeout: float) -> str:
        """Everything read, once the process has exited (waited for at most `timeout`) and its output ended."""
        self.proc.wait(timeout=timeout)
        self.until(lambda _: False, 5)
        return "".join(self.seen)
