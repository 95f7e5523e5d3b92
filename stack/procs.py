"""Start, watch and stop the local processes of the stack; all bound to loopback."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from common.environment import REPO_ROOT

import psutil

ROOT = REPO_ROOT  # where the stack's processes run


class StackError(RuntimeError):
    """A process of the stack could not start, answer or be reached; the message says what to do."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) == 0


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """(status, body); status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def wait_until(check: Callable[[], bool], timeout: float, what: str, proc: subprocess.Popen | None = None,
               log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if proc is not None and proc.poll() is not None:
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise StackError(f"{what}: process exited with code {proc.returncode}\n{tail}")
        time.sleep(0.1)
    raise StackError(f"{what}: not ready after {timeout:.0f} s")


def spawn(cmd: list[str], log: Path, env: dict | None = None, cwd: Path = ROOT,
          cpus: set[int] | None = None) -> subprocess.Popen:
    """Start a process in its own session (so the whole group can be stopped), output to log.

    cpus pins it (and the workers it forks) to those cores, so load generator and API do not fight.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    with open(log, "ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, **(env or {})}, cwd=cwd, start_new_session=True,
                                preexec_fn=pin)


def api_command() -> list[str]:
    return [sys.executable, "-m", "api"]


def _start_ticks(pid: int) -> int | None:
    """The process's start in clock ticks since boot (/proc/<pid>/stat, field 22): unlike psutil's create_time, it
    does not move when the wall clock is stepped (psutil adds the boot time, which the kernel re-derives from it)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def identity(pid: int, timeout: float = 5.0) -> dict:
    """What tells this process from a later one given the same pid: its start time and command line. Read once the
    command line shows: just after Popen returns, the new program may still be taking over (an empty cmdline was
    seen on one core), and a record of it would never match again."""
    proc = psutil.Process(pid)
    deadline = time.monotonic() + timeout
    cmdline = proc.cmdline()
    while not cmdline and time.monotonic() < deadline:
        time.sleep(0.01)
        cmdline = proc.cmdline()
    return {"pid": pid, "create_time": proc.create_time(), "start_ticks": _start_ticks(pid), "cmdline": cmdline}


def still_ours(ident: dict | None) -> bool:
    """True when the process recorded in `ident` still runs: same pid, same start time, same command line."""
    if not ident or not ident.get("pid"):
        return False
    try:
        proc = psutil.Process(ident["pid"])
        ticks = ident.get("start_ticks")
        same_start = (ticks == _start_ticks(ident["pid"]) if ticks is not None
                      else abs(proc.create_time() - ident["create_time"]) < 0.01)
        return same_start and proc.cmdline() == ident["cmdline"] and proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied, KeyError, TypeError):
        return False


def stop_pid(pid: int, timeout: float = 15.0) -> bool:
    """SIGTERM the process group, wait, then SIGKILL; True when something was stopped."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    except PermissionError:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + 5.0  # a killed process is gone (and reaped, if ours) before this returns
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return True


def pid_alive(pid: int) -> bool:
    try:
        # Reap it if it is our child, so a zombie does not count as alive.
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))
