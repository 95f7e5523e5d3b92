"""A real nginx in front of API replicas (Debian's package, installed like Prometheus): config rendered per run."""
from __future__ import annotations

import subprocess
from pathlib import Path

import jinja2

from stack import system_tools
from stack.procs import StackError, http_get, spawn, wait_until

TEMPLATES = Path(__file__).parent / "templates"


def find_binary(log=print) -> str:
    """nginx on PATH (or /usr/sbin), else apt-get as root on Debian/Ubuntu; else a clear error."""
    try:
        return system_tools.ensure((system_tools.NGINX,), log=log)["nginx"]
    except StackError as exc:
        raise StackError(f"API_REPLICAS > 1 needs nginx to balance the replicas: {exc}") from None


def render_config(listen: str, replicas: list[str], state_dir: Path) -> str:
    """Least-connections balancing over the replicas, loopback only; a refused connection goes to another
    replica (a request that never reached a dead one is not lost), a failed replica is skipped for 2 s."""
    for value in (listen, *replicas, str(state_dir)):
        if any(c in value for c in ";{}\n\"'"):  # nginx syntax: a value cannot carry it into the config
            raise StackError(f"nginx config: {value!r} is not a plain address or path")
    template = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                                  keep_trailing_newline=True).get_template("nginx.conf.j2")
    return template.render(listen=listen, replicas=replicas, state_dir=state_dir, tmp=state_dir / "nginx-tmp")


def start(binary: str, config: Path, url: str, log: Path, cpus: set[int] | None = None):
    (config.parent / "nginx-tmp").mkdir(parents=True, exist_ok=True)
    check = subprocess.run([binary, "-t", "-q", "-c", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        raise StackError(f"nginx refused its config {config}: {check.stderr.strip()[-500:]}")
    proc = spawn([binary, "-c", str(config)], log, cpus=cpus)
    wait_until(lambda: http_get(url + "/health")[0] == 200, 30, f"nginx on {url}", proc, log)
    return proc
