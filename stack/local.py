"""The local stack without Docker: the API and a real Prometheus, tracked by a state file."""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from stack import nginx, prometheus_server
from stack.procs import (StackError, api_command, free_port, http_get, identity, port_in_use, spawn, still_ours,
                         stop_pid, wait_until)
from stack.settings import StackSettings

STATE_FILE = "stack.json"


@dataclass
class StackState:
    api_url: str
    prometheus_url: str
    api_pid: int | None = None          # None: not started by this stack (with replicas: nginx's)
    prometheus_pid: int | None = None
    replicas: list[str] = field(default_factory=list)   # host:port of each API replica behind nginx
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
    if not all(still_ours(ident) for ident in state.owned.values()):
        return False
    # A busy machine can be slow to answer: a few tries before starting everything anew.
    for _ in range(3):
        if http_get(state.api_url + "/health", timeout=5)[0] == 200 and \
                prometheus_server.target_up(state.prometheus_url, max(1, len(state.replicas))):
            return True
        time.sleep(1)
    return False


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
            raise prometheus_server.PrometheusUnavailable(f"PROMETHEUS_URL={settings.prometheus_url} does not answer")
        external = settings.prometheus_url.rstrip("/")
    else:
        binary = prometheus_server.find_binary(settings.prometheus_bin, log=log)  # before anything starts

    api_port = free_port() if ephemeral_ports else settings.api_port
    prom_port = free_port() if ephemeral_ports else settings.prometheus_port
    for port, what, var in ((api_port, "API", "API_PORT"), (prom_port, "Prometheus", "PROMETHEUS_PORT")):
        if not (what == "Prometheus" and external) and port_in_use(port):
            raise StackError(f"port {port} for the {what} is taken by another process: set {var}")

    state = StackState(api_url=f"http://127.0.0.1:{api_port}", prometheus_url=external or f"http://127.0.0.1:{prom_port}",
                       predictions_db=str(predictions_db) if predictions_db else None,
                       cpus={"api": sorted(api_cpus or []), "prometheus": sorted(prometheus_cpus or [])})
    try:
        api = _start_api(settings, state, state_dir, api_port, predictions_db, api_cpus, log)
        if external:
            state.notes.append(f"using the Prometheus at {external} as is: it must scrape the API at "
                               f"127.0.0.1:{api_port} (job 'api'), or nothing will be judged")
        else:
            # Started while the API loads: Prometheus hands its first targets to the scraper only after its
            # discovery's 5 s update tick, which the API's start-up then overlaps.
            _start_prometheus(settings, state, state_dir, binary, api_port, prom_port, prometheus_cpus)
        if api is not None:
            wait_until(lambda: http_get(state.api_url + "/health")[0] == 200, 90, f"API on {state.api_url}", api,
                       state_dir / "logs" / "api.log")
        if not external:
            wait_until(lambda: prometheus_server.target_up(state.prometheus_url, max(1, len(state.replicas))), 30,
                       "Prometheus scraping the API (up == 1)")
    except BaseException:
        down(state_dir, log=lambda *_: None)
        raise
    state.save(state_dir)
    return state


def _start_api(settings: StackSettings, state: StackState, state_dir: Path, api_port: int,
               predictions_db: Path | None, api_cpus: set[int] | None, log):
    """One API process (returned, to wait for its health), or replicas behind nginx (None: nginx waited for them)."""
    if settings.api_replicas > 1:
        _start_replicas(settings, state, state_dir, api_port, predictions_db, api_cpus, log)
        return None
    env = {"API_PORT": str(api_port), "API_HOST": "127.0.0.1", "API_WORKERS": str(settings.api_workers)}
    if predictions_db:
        env["PREDICTIONS_DB"] = str(predictions_db)
    api = spawn(api_command(), state_dir / "logs" / "api.log", env=env, cpus=api_cpus)
    state.api_pid = api.pid
    state.owned["api"] = identity(api.pid)
    state.save(state_dir)
    return api


def _start_prometheus(settings: StackSettings, state: StackState, state_dir: Path, binary, api_port: int,
                      prom_port: int, prometheus_cpus: set[int] | None) -> None:
    """Prometheus on a fresh TSDB, scraping the API (or each replica) at the settings' interval."""
    config = state_dir / "prometheus.yml"
    rules = [settings.rules_file] if settings.rules_file and settings.rules_file.is_file() else []
    config.write_text(prometheus_server.render_config(state.replicas or f"127.0.0.1:{api_port}",
                                               settings.scrape_interval_s, rules))
    tsdb = state_dir / "tsdb"
    shutil.rmtree(tsdb, ignore_errors=True)
    prom = prometheus_server.start(binary, config, tsdb, prom_port, state_dir / "logs" / "prometheus.log",
                            cpus=prometheus_cpus)
    state.prometheus_pid = prom.pid
    state.owned["prometheus"] = identity(prom.pid)
    state.save(state_dir)


def replica_db(predictions_db: Path, i: int) -> Path:
    """Each replica records into its own file beside the run's predictions.db (merged after the run)."""
    return predictions_db.with_name(f"{predictions_db.stem}.r{i}{predictions_db.suffix}")


def _start_replicas(settings: StackSettings, state: StackState, state_dir: Path, port: int,
                    predictions_db: Path | None, cpus: set[int] | None, log) -> None:
    """N API processes on free ports, nginx on `port` in front of them (least connections)."""
    logs = state_dir / "logs"
    binary = nginx.find_binary(log)
    procs = []
    for i in range(1, settings.api_replicas + 1):
        replica_port = free_port()
        env = {"API_PORT": str(replica_port), "API_HOST": "127.0.0.1", "API_WORKERS": "1"}
        if predictions_db:
            env["PREDICTIONS_DB"] = str(replica_db(predictions_db, i))
        proc = spawn(api_command(), logs / f"api-r{i}.log", env=env, cpus=cpus)
        procs.append((f"127.0.0.1:{replica_port}", proc))
        state.replicas.append(f"127.0.0.1:{replica_port}")
        state.owned[f"r{i}"] = identity(proc.pid)
        state.save(state_dir)
    for i, (address, proc) in enumerate(procs, 1):
        wait_until(lambda a=address: http_get(f"http://{a}/health")[0] == 200, 90, f"API replica {i} on {address}",
                   proc, logs / f"api-r{i}.log")
    config = state_dir / "nginx.conf"
    config.write_text(nginx.render_config(f"127.0.0.1:{port}", state.replicas, state_dir))
    balancer = nginx.start(binary, config, state.api_url, logs / "nginx.log", cpus=cpus)
    state.api_pid = balancer.pid
    state.owned["nginx"] = identity(balancer.pid)
    state.save(state_dir)


def down(state_dir: Path, log=print) -> list[str]:
    """Stop exactly what up() started, after checking each process is still the one it started (pid, start
    time, command line): a pid reused by another process is left alone. The state file goes too."""
    state = StackState.load(state_dir)
    stopped = []
    if state:
        named = {"prometheus": state.prometheus_pid, "api": state.api_pid}
        # Prometheus first, then the balancer, then the APIs (which flush their recordings on SIGTERM).
        order = sorted(set(named) | set(state.owned), key=lambda k: (k != "prometheus", k != "nginx", k))
        for key in order:
            ident = state.owned.get(key)
            pid = (ident or {}).get("pid") or named.get(key)
            if not pid or (ident is None and any((o or {}).get("pid") == pid for o in state.owned.values())):
                continue  # with replicas, the API's pid is nginx's, stopped under its own name
            name = {"prometheus": "Prometheus", "api": "API", "nginx": "nginx"}.get(key, f"API replica {key}")
            if not still_ours(ident):
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
    scraped = "yes" if prometheus_server.target_up(state.prometheus_url) else "no"
    return [f"API         {state.api_url}  {api}  (pid {state.api_pid})",
            f"Prometheus  {state.prometheus_url}  {prom}  (pid {state.prometheus_pid})  scraping the API: {scraped}"]
