"""What else ran on the API's cores while the load ran, and how fast the first of them was: each second, the busy and
stolen time of those cores (/proc/stat), the CPU time of the API's own processes, and the CPU time a fixed piece of
work took on a thread pinned to that core (its speed: a core slowed by the host, a busy hyperthread sibling or a
lower clock takes longer for the same work, whatever waited for it). Written to the run folder (machine.json). The
judge reads the other work to name a stage run on a slower or faster machine than the rest of the run, which the
API's own figures cannot tell from a slower model; the speed it shows beside, as it moves with the API's own load."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import psutil
from runfolder import files

PERIOD_S = 1.0
UNIT_LOOPS = 20_000   # the fixed work: about a millisecond of pure Python on these machines
UNIT_TRIES = 3        # its least CPU time of a few tries: an interrupt inside one try is not the core's speed


def _unit() -> int:
    total = 0
    for i in range(UNIT_LOOPS):
        total += i * i
    return total


def unit_ms() -> float:
    """The CPU time (ms) this thread spends on the fixed work: the core's speed, not how long it waited for it."""
    best = float("inf")
    for _ in range(UNIT_TRIES):
        start = time.thread_time()
        _unit()
        best = min(best, time.thread_time() - start)
    return round(best * 1000, 4)


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
        self.run_dir, self.pids, self.cpus, self.period = Path(run_dir), api_pids, api_cpus, period_s
        self.samples: list[dict] = []
        self.speed: list[list[float]] = []    # [time, unit_ms] each period, on the API's first core
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, name="machine-monitor", daemon=True),
                         threading.Thread(target=self._time_core, name="core-speed", daemon=True)]

    def _sample(self) -> None:
        self.samples.append({"t": time.time(), "cores": _cores(self.cpus), "api_cpu_s": _cpu_of(self.pids)})

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.period)

    def _time_core(self) -> None:
        # This thread alone is pinned (Linux pins a thread by its native id), so the harness keeps its own cores.
        os.sched_setaffinity(threading.get_native_id(), {self.cpus[0]})
        while not self._stop.is_set():
            self.speed.append([round(time.time(), 3), unit_ms()])
            self._stop.wait(self.period)

    def start(self) -> "MachineMonitor":
        for t in self._threads:
            t.start()
        return self

    def figures(self) -> dict:
        """What was sampled so far, as machine.json holds it."""
        return {"period_s": self.period, "api_cpus": self.cpus, "api_pids": self.pids, "samples": list(self.samples),
                "unit": f"{UNIT_LOOPS} Python loop steps, least CPU time of {UNIT_TRIES} tries (ms)",
                "speed": list(self.speed)}

    def flush(self) -> Path:
        """What was sampled so far, to the run folder (the judge reads it while the run goes on)."""
        return files.MACHINE.write(self.run_dir, self.figures())

    def stop(self) -> Path:
        """Sampling ends (once: a second stop writes what the first did)."""
        if self._stop.is_set():
            return self.flush()
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self._sample()
        return self.flush()
