"""What else ran on the API's cores while the load ran: each second, the busy and stolen time of those cores
(/proc/stat) and the CPU time of the API's own processes, written to the run folder (machine.json). The judge
reads it to name a stage run on a machine that was slowed (another process, or the hypervisor, took the API's
core), which the API's own figures cannot tell from a slower model."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psutil

MACHINE_FILE = "machine.json"
PERIOD_S = 1.0


def _cores(cpus: list[int]) -> dict[str, list[float]]:
    """{core: [busy seconds, stolen seconds, all seconds]} since boot."""
    per = psutil.cpu_times(percpu=True)
    out = {}
    for c in cpus:
        t = per[c]
        steal = getattr(t, "steal", 0.0)
        busy = t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
        out[str(c)] = [busy, steal, busy + steal + t.idle + getattr(t, "iowait", 0.0)]
    return out


def _cpu_of(pids: list[int]) -> float | None:
    """The CPU seconds the processes (and their children, e.g. uvicorn's workers) used since they started."""
    total, seen = 0.0, False
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            for p in [proc, *proc.children(recursive=True)]:
                t = p.cpu_times()
                total += t.user + t.system
                seen = True
        except psutil.Error:
            continue
    return total if seen else None


class MachineMonitor:
    """Samples the API's cores and processes every PERIOD_S on a thread of its own until stopped."""

    def __init__(self, run_dir: Path, api_pids: list[int], api_cpus: list[int], period_s: float = PERIOD_S):
        self.path, self.pids, self.cpus, self.period = Path(run_dir) / MACHINE_FILE, api_pids, api_cpus, period_s
        self.samples: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="machine-monitor", daemon=True)

    def _sample(self) -> None:
        self.samples.append({"t": time.time(), "cores": _cores(self.cpus), "api_cpu_s": _cpu_of(self.pids)})

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.period)

    def start(self) -> "MachineMonitor":
        self._thread.start()
        return self

    def stop(self) -> Path:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sample()
        self.path.write_text(json.dumps({"period_s": self.period, "api_cpus": self.cpus, "api_pids": self.pids,
                                         "samples": self.samples}) + "\n")
        return self.path


def read(run_dir: Path) -> dict | None:
    path = Path(run_dir) / MACHINE_FILE
    return json.loads(path.read_text()) if path.is_file() else None
