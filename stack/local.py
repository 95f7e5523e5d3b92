"""The local stack without Docker: the API and a real Prometheus, tracked by a state file."""
from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from stack import prometheus
from stack.procs import (StackError, api_command, free_port, http_get, identity, port_in_use, spawn, still_ours,
                         stop_pid, wait_until)
from stack.settings import StackSettings

STATE_FILE = "stack.json"


@dataclass
class StackState:
    api_url: str
    prometheus_url: str
    api_pid: int | None = None          # None: not started by this stack
    prometheus_pid: int | None = None
    # pid, start time and command line of what this stack started: a pid alone may name another process later.
    owned: dict = field(default_factory=dict)
    predictions_db: str | None = None
    cpus: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def save(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        (state_dir / STATE_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, state_dir: Path) -> "StackState | None":
        path = state_dir / STATE_FILE
        return cls(**json.loads(path.read_text())) if path.is_file() else None


def _healthy(state: StackState) -> bool:
    api_ok = http_get(state.api_url + "/health")[0] == 200
    started_alive = all(still_ours(state.owned.get(k)) for k, p in (("api", state.api_pid),
                                                                  ("prometheus", state.prometheus_pid)) if p)
    return api_ok and started_alive and prometheus.target_up(state.prometheus_url)


def up(settings: StackSettings, state_dir: Path | None = None, predictions_db: Path | None = None,
       api_cpus: set[int] | None = None, prometheus_cpus: set[int] | None = None,
       ephemeral_ports: bool = False, log=print) -> StackState:
    """Start what is not running yet and wait until Prometheus sees the API up; idempotent."""
    state_dir = Path(state_dir or settings.state_dir)
    previous = StackState.load(state_dir)
    if previous and _healthy(previous):
        log(f"stack already running: API {previous.api_url}, Prometheus {previous.prometheus_url}")
        return previous
    if previous:
        down(state_dir, log=lambda *_: None)

    external = None
    if settings.prometheus_url:
        if http_get(settings.prometheus_url.rstrip("/") + "/-/ready")[0] != 200:
            raise prometheus.PrometheusUnavailable(f"PROMETHEUS_URL={settings.prometheus_url} does not answer")
        external = settings.prometheus_url.rstrip("/")
    else:
        binary = prometheus.find_binary(settings.prometheus_bin, log=log)  # before anything starts

    api_port = free_port() if ephemeral_ports else settings.api_port
    prom_port = free_port() if ephemeral_ports else settings.prometheus_port
    for port, what, var in ((api_port, "API", "API_PORT"), (prom_port, "Prometheus", "PROMETHEUS_PORT")):
        if not (what == "Prometheus" and external) and port_in_use(port):
            raise StackError(f"port {port} for the {what} is taken by another process: set {var}")

    state = StackState(api_url=f"http://127.0.0.1:{api_port}", prometheus_url=external or f"http://127.0.0.1:{prom_port}",
                       predictions_db=str(predictions_db) if predictions_db else None,
                       cpus={"api": sorted(api_cpus or []), "prometheus": sorted(prometheus_cpus or [])})
    logs = state_dir / "logs"
    try:
        env = {"API_PORT": str(api_port), "API_HOST": "127.0.0.1", "API_WORKERS": str(settings.api_workers)}
        if predictions_db:
            env["PREDICTIONS_DB"] = str(predictions_db)
        api = spawn(api_command(), logs / "api.log", env=env, cpus=api_cpus)
        state.api_pid = api.pid
        state.owned["api"] = identity(api.pid)
        state.save(state_dir)
        wait_until(lambda: http_get(state.api_url + "/health")[0] == 200, 90, f"API on {state.api_url}", api, logs / "api.log")
        if external:
            state.notes.append(f"using the Prometheus at {external} as is: it must scrape the API at "
                               f"127.0.0.1:{api_port} (job 'api'), or nothing will be judged")
        else:
            config = state_dir / "prometheus.yml"
            rules = [settings.rules_file] if settings.rules_file and settings.rules_file.is_file() else []
            config.write_text(prometheus.render_config(f"127.0.0.1:{api_port}", settings.scrape_interval_s, rules))
            tsdb = state_dir / "tsdb"
            shutil.rmtree(tsdb, ignore_errors=True)
            prom = prometheus.start(binary, config, tsdb, prom_port, logs / "prometheus.log", cpus=prometheus_cpus)
            state.prometheus_pid = prom.pid
            state.owned["prometheus"] = identity(prom.pid)
            state.save(state_dir)
            wait_until(lambda: prometheus.target_up(state.prometheus_url), 30, "Prometheus scraping the API (up == 1)")
    except BaseException:
        down(state_dir, log=lambda *_: None)
        raise
    state.save(state_dir)
    return state


def down(state_dir: Path, log=print) -> list[str]:
    """Stop exactly what up() started, after checking each process is still the one it started (pid, start
    time, command line): a pid reused by another process is left alone. The state file goes too."""
    state = StackState.load(state_dir)
    stopped = []
    if state:
        for name, key, pid in (("Prometheus", "prometheus", state.prometheus_pid), ("API", "api", state.api_pid)):
            if not pid:
                continue
            if not still_ours(state.owned.get(key)):
                log(f"{name} (pid {pid}) is not the process this stack started any more: left alone")
                continue
            if stop_pid(pid):
                stopped.append(f"{name} (pid {pid})")
        (state_dir / STATE_FILE).unlink(missing_ok=True)
        shutil.rmtree(state_dir / "tsdb", ignore_errors=True)
    log("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    return stopped


def status(state_dir: Path) -> list[str]:
    state = StackState.load(state_dir)
    if state is None:
        return ["local stack: not running"]
    api = "up" if http_get(state.api_url + "/health")[0] == 200 else "DOWN"
    prom = "up" if http_get(state.prometheus_url + "/-/ready")[0] == 200 else "DOWN"
    scraped = "yes" if prometheus.target_up(state.prometheus_url) else "no"
    return [f"API         {state.api_url}  {api}  (pid {state.api_pid})",
            f"Prometheus  {state.prometheus_url}  {prom}  (pid {state.prometheus_pid})  scraping the API: {scraped}"]
