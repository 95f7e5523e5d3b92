"""Run Locust for one profile (headless) or its web UI, as a bounded subprocess on loopback."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from loadtests.profile import Placement, Profile
from loadtests.process_settings import LocustProcessSettings
from runfolder import names

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


@dataclass(frozen=True)
class GeneratorPlan:
    """Who sends the load: `processes` Locust processes on this host, or a master here waiting for `workers`
    Locust workers from other hosts (`slobench worker`), listening on master_bind (host:port)."""
    processes: int = 1
    workers: int = 0
    master_bind: str = "127.0.0.1:5557"
    request_log: bool = False   # debug: every process also keeps its raw per-request log

    @property
    def count(self) -> int:
        """How many processes share the load (the open model splits its arrival rate among them)."""
        return self.workers or self.processes


def locust_command(target_url: str, processes: int | GeneratorPlan, extra: list[str]) -> list[str]:
    gen = processes if isinstance(processes, GeneratorPlan) else GeneratorPlan(processes=processes)
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host", target_url, "--loglevel", "WARNING"]
    if gen.workers:
        host, port = gen.master_bind.rsplit(":", 1)
        cmd += ["--master", "--master-bind-host", host, "--master-bind-port", port,
                "--expect-workers", str(gen.workers), "--expect-workers-max-wait", "300"]
    elif gen.processes > 1:
        cmd += ["--processes", str(gen.processes)]
    return cmd + extra


def worker_command(master: str) -> list[str]:
    """A Locust worker for a master at host[:port] (5557 by default)."""
    host, _, port = master.partition(":")
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker", "--master-host", host,
            "--master-port", port or "5557", "--loglevel", "WARNING"]


def _pipe(proc: subprocess.Popen, log: Path, on_line) -> threading.Thread:
    def pump():
        with open(log, "a") as out:
            for line in proc.stdout:
                out.write(line)
                if line.startswith("[slobench]"):
                    on_line(line.rstrip())
    t = threading.Thread(target=pump, daemon=True)
    t.start()
    return t


def _env(profile_path: Path, spool: Path, run_dir: Path | None = None, results_dir: Path | None = None,
         processes: int | GeneratorPlan = 1, placement: Placement | None = None) -> dict:
    gen = processes if isinstance(processes, GeneratorPlan) else GeneratorPlan(processes=processes)
    settings = LocustProcessSettings(profile=str(profile_path), spool=spool, processes=gen.count, run_dir=run_dir,
                                     results_dir=results_dir, request_log=gen.request_log,
                                     saturation_rps=placement and placement.saturation_rps,
                                     knee_rps=placement and placement.knee_rps)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SLOBENCH_")}
    return {**inherited, "PYTHONUNBUFFERED": "1", **settings.as_env()}


def _pin(cpus):
    return (lambda: os.sched_setaffinity(0, cpus)) if cpus else None


def run_headless(profile_path: Path, profile: Profile, target_url: str, run_dir: Path,
                 processes: int | GeneratorPlan = 1, cpus: set[int] | None = None, on_line=print,
                 stop_when: Callable[[], bool] | None = None, on_tick: Callable[[], None] | None = None) -> int:
    """Run every stage; Ctrl-C stops Locust cleanly (its reports are still written), and so does `stop_when`
    answering True (asked every half second: a step that ended when decided). `on_tick` is called every half second
    while Locust runs (the looks at the profile's stages). Returns Locust's exit code."""
    # Failed requests are the judge's to weigh: Locust's own exit code then says only whether it ran to its end.
    extra = ["--headless", "--csv", str(run_dir / names.LOCUST_CSV_PREFIX), "--csv-full-history",
             "--html", str(run_dir / names.LOCUST_REPORT), "--only-summary", "--exit-code-on-error", "0"]
    proc = subprocess.Popen(locust_command(target_url, processes, extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, env=_env(profile_path, run_dir, run_dir=run_dir, processes=processes,
                                     placement=profile.placement),
                            start_new_session=True, preexec_fn=_pin(cpus))
    pump = _pipe(proc, run_dir / names.LOCUST_LOG, on_line)
    try:
        # The shape stops by itself; the margin covers start-up, remote workers joining, report writing and the
        # holds the profile allows (loadtests/holds.py).
        waits = 300 if isinstance(processes, GeneratorPlan) and processes.workers else 0
        held = profile.hold.max_s if profile.hold else 0
        _wait(proc, profile.total_s + 90 + waits + held, stop_when, on_tick)
    except (KeyboardInterrupt, subprocess.TimeoutExpired) as exc:
        on_line("[slobench] stopping Locust (" + ("Ctrl-C" if isinstance(exc, KeyboardInterrupt) else "time bound") + ")")
        stop(proc)
        if isinstance(exc, KeyboardInterrupt):
            pump.join(timeout=5)
            raise
    pump.join(timeout=5)
    return proc.returncode


def _wait(proc: subprocess.Popen, timeout_s: float, stop_when: Callable[[], bool] | None,
          on_tick: Callable[[], None] | None = None) -> None:
    """Until Locust ends by itself, or `stop_when` says so (then it is stopped as Ctrl-C stops it)."""
    if stop_when is None and on_tick is None:
        proc.wait(timeout=timeout_s)
        return
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None:
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(proc.args, timeout_s)
        if on_tick is not None:
            on_tick()
        if stop_when is not None and stop_when():
            stop(proc)
            return
        time.sleep(0.5)


def start_ui(profile_path: Path, target_url: str, results_dir: Path, spool: Path, port: int, processes: int = 1,
             cpus: set[int] | None = None, log: Path | None = None, on_line=print, extra_env: dict | None = None,
             placement: Placement | None = None) -> subprocess.Popen:
    """Locust's web UI on 127.0.0.1:port; every test started there gets its own run folder."""
    extra = ["--web-host", "127.0.0.1", "--web-port", str(port), "--csv", str(spool / names.LOCUST_CSV_PREFIX),
             "--csv-full-history"]
    proc = subprocess.Popen(locust_command(target_url, processes, extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True,
                            env={**_env(profile_path, spool, results_dir=results_dir, processes=processes,
                                      placement=placement), **(extra_env or {})},
                            start_new_session=True, preexec_fn=_pin(cpus))
    _pipe(proc, log or (results_dir / ".locust-ui.log"), on_line)
    return proc


def run_worker(profile_path: Path, master: str, log: Path, on_line=print, request_log: bool = False) -> int:
    """A Locust worker on this host for a master elsewhere; runs until the master quits (or Ctrl-C)."""
    env = _env(profile_path, log.parent, processes=GeneratorPlan(request_log=request_log))
    proc = subprocess.Popen(worker_command(master), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, env=env, start_new_session=True)
    pump = _pipe(proc, log, on_line)
    try:
        proc.wait()
    except KeyboardInterrupt:
        stop(proc)
        raise
    finally:
        pump.join(timeout=5)
    return proc.returncode


def stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGINT, as Ctrl-C in a terminal (Locust stops its test and the generator writes the run folder: its
    timeline, figures and answers; measured: on SIGTERM Locust 2.47 dies at once and writes none of them), then
    SIGKILL the whole group if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass
