"""A real nginx in front of API replicas (Debian's package, installed like Prometheus): config rendered per run."""
from __future__ import annotations

import subprocess
from pathlib import Path

from stack import system_tools
from stack.procs import StackError, http_get, spawn, wait_until


def find_binary(log=print) -> str:
    """nginx on PATH (or /usr/sbin), else apt-get as root on Debian/Ubuntu; else a clear error."""
    try:
        return system_tools.ensure((system_tools.NGINX,), log=log)["nginx"]
    except StackError as exc:
        raise StackError(f"API_REPLICAS > 1 needs nginx to balance the replicas: {exc}") from None


def render_config(listen: str, replicas: list[str], state_dir: Path) -> str:
    """Least-connections balancing over the replicas, loopback only; a refused connection goes to another
    replica (a request that never reached a dead one is not lost), a failed replica is skipped for 2 s."""
    servers = "".join(f"    server {r} max_fails=1 fail_timeout=2s;\n" for r in replicas)
    tmp = state_dir / "nginx-tmp"
    return (
        "# Written by slobench (stack/nginx.py) for API_REPLICAS.\n"
        "worker_processes 1;\n"
        "daemon off;\n"
        f"pid {state_dir / 'nginx.pid'};\n"
        f"error_log {state_dir / 'logs' / 'nginx-error.log'} warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        "  access_log off;\n"
        f"  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;\n"
        f"  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;\n"
        "  upstream api {\n    least_conn;\n" + servers + "    keepalive 64;\n  }\n"
        "  server {\n"
        f"    listen {listen};\n"
        "    location / {\n"
        "      proxy_pass http://api;\n"
        "      proxy_http_version 1.1;\n"
        "      proxy_set_header Connection \"\";\n"
        "      proxy_next_upstream error timeout http_502;\n"
        "      proxy_next_upstream_tries 3;\n"
        "    }\n"
        "  }\n"
        "}\n"
    )


def start(binary: str, config: Path, url: str, log: Path, cpus: set[int] | None = None):
    (config.parent / "nginx-tmp").mkdir(parents=True, exist_ok=True)
    check = subprocess.run([binary, "-t", "-q", "-c", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        raise StackError(f"nginx refused its config {config}: {check.stderr.strip()[-500:]}")
    proc = spawn([binary, "-c", str(config)], log, cpus=cpus)
    wait_until(lambda: http_get(url + "/health")[0] == 200, 30, f"nginx on {url}", proc, log)
    return proc
