"""The system programs slobench runs (Prometheus, nginx, Chromium, ip): found, installed with apt as root when
missing, or named with the one line that installs them. Used by `make loadtest`, `make test` and the stack."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from stack.procs import StackError

SBIN = ("/usr/sbin", "/sbin")  # nginx and ip live here; a non-login shell may not have them on PATH


@dataclass(frozen=True)
class Tool:
    command: str   # what runs
    package: str   # Debian's package that brings it
    why: str       # what needs it


PROMETHEUS = Tool("prometheus", "prometheus", "the local stack's metrics (make loadtest, make test)")
PROMTOOL = Tool("promtool", "prometheus", "checking generated rules and panel queries (make test, make rules)")
NGINX = Tool("nginx", "nginx", "API replicas behind a balancer (API_REPLICAS > 1, make test)")
CHROMIUM = Tool("chromium", "chromium", "opening reports and the web UI in a browser (make test)")
IP = Tool("ip", "iproute2", "network namespaces as separate hosts (make test)")

FOR_TESTS = (PROMETHEUS, PROMTOOL, NGINX, CHROMIUM, IP)


def locate(command: str) -> str | None:
    """PATH first, then the sbin folders a non-login root shell may lack."""
    found = shutil.which(command)
    if found:
        return found
    for folder in SBIN:
        path = os.path.join(folder, command)
        if os.access(path, os.X_OK):
            return path
    return None


@dataclass(frozen=True)
class Plan:
    """What to do about the missing tools: install these packages, or tell the user this line."""
    install: tuple[str, ...] = ()
    instruction: str = ""


def plan(missing: list[Tool], is_root: bool, has_apt: bool) -> Plan:
    """Install with apt as root where apt exists; otherwise one line that says how."""
    packages = tuple(dict.fromkeys(t.package for t in missing))
    if not packages:
        return Plan()
    if is_root and has_apt:
        return Plan(install=packages)
    why = "you are not root" if not is_root else "apt-get is not available"
    names = ", ".join(t.command for t in missing)
    return Plan(instruction=f"{names} missing and not installed ({why}): "
                            f"sudo apt-get install -y {' '.join(packages)}")


def apt_install(packages: tuple[str, ...], log=print) -> None:
    """`apt-get update` then install, quietly; raises StackError with apt's own last words on failure."""
    log(f"installing with apt-get (as root): {' '.join(packages)} ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=600)
    done = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=1200)
    if done.returncode != 0:
        raise StackError(f"apt-get install {' '.join(packages)} failed: {done.stderr.strip()[-500:]}")


def ensure(tools: tuple[Tool, ...], install: bool = True, log=print) -> dict[str, str]:
    """Every tool's path; installs the missing ones as root, else raises StackError with the one line to run."""
    missing = [t for t in tools if locate(t.command) is None]
    decided = plan(missing, os.geteuid() == 0, install and shutil.which("apt-get") is not None)
    if decided.instruction:
        raise StackError(decided.instruction)
    if decided.install:
        apt_install(decided.install, log)
        still = [t.command for t in tools if locate(t.command) is None]
        if still:
            raise StackError(f"apt-get ran but {', '.join(still)} still cannot be found")
    return {t.command: locate(t.command) for t in tools}


def main() -> int:
    """`python -m stack.system_tools`: what `make test` needs, installed or named; exit 2 when missing."""
    try:
        found = ensure(FOR_TESTS, log=lambda line: print(line, file=sys.stderr))
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("system tools: " + ", ".join(sorted(found)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
