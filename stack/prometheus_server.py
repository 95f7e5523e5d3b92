"""Find (or install) a real Prometheus binary, write its config, start it and query it."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from common.prometheus_api import Prometheus, PrometheusError, matchers
from stack import system_tools
from stack.procs import StackError, http_get, spawn, wait_until


class PrometheusUnavailable(StackError):
    """No Prometheus binary and no way to install one; the message lists the options."""


OPTIONS = (
    "  - install it: `apt-get install -y prometheus` (as root), or a release from prometheus.io;\n"
    "  - point PROMETHEUS_BIN at a prometheus binary;\n"
    "  - point PROMETHEUS_URL at a running Prometheus that scrapes the API;\n"
    "  - or use the Docker Compose stack: `make compose-up`."
)


def find_binary(configured: str | None, install: bool = True, log=print) -> str:
    """PROMETHEUS_BIN, then PATH, then apt-get when root on Debian/Ubuntu; else a clear error."""
    if configured:
        if os.access(configured, os.X_OK):
            return configured
        raise PrometheusUnavailable(f"PROMETHEUS_BIN={configured} is not an executable file. Options:\n{OPTIONS}")
    try:
        return system_tools.ensure((system_tools.PROMETHEUS,), install=install, log=log)["prometheus"]
    except StackError as exc:
        raise PrometheusUnavailable(f"{exc}\nOptions:\n{OPTIONS}") from None


def render_config(api_target: str | list[str], scrape_interval_s: int, rule_files: list[Path] = ()) -> str:
    """Prometheus scraping the API (every replica, when a list) as job `api`."""
    config = {
        "global": {"scrape_interval": f"{scrape_interval_s}s", "evaluation_interval": f"{scrape_interval_s}s"},
        **({"rule_files": [str(p) for p in rule_files]} if rule_files else {}),
        "scrape_configs": [{"job_name": "api", "metrics_path": "/metrics", "static_configs": [
            {"targets": [api_target] if isinstance(api_target, str) else list(api_target)}]}],
    }
    return "# Written by slobench (stack/prometheus_server.py) for the local stack.\n" + yaml.safe_dump(config, sort_keys=False)


def start(binary: str, config: Path, data_dir: Path, port: int, log: Path,
          cpus: set[int] | None = None) -> subprocess.Popen:
    """Start Prometheus on 127.0.0.1:port; the admin API stays off (its default)."""
    cmd = [binary, f"--config.file={config}", f"--storage.tsdb.path={data_dir}",
           f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=2d", "--log.level=warn"]
    proc = spawn(cmd, log, cpus=cpus)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_get(url + "/-/ready")[0] == 200, 60, f"Prometheus on {url}", proc, log)
    return proc


def target_up(url: str, targets: int = 1) -> bool:
    """Prometheus has scraped `targets` API instances and found them all up."""
    try:
        up = [r["value"][1] for r in Prometheus(url, timeout=2, retries=0).query(f"up{matchers({'job': 'api'})}")]
        return len(up) >= targets and all(v == "1" for v in up)
    except PrometheusError:
        return False
