"""One session with a target: the stack started (or the running API found), what it serves, the SLO file scoped to
it, the machine's speed, and what every run folder's manifest says of them. A load run (`make loadtest`, `make
capacity`) holds one for its one run; the web UI holds one for every test it judges."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from common.prometheus_api import Prometheus
from slo.file.model import SloSpec
from slo.prometheus import scrape
from slo.prometheus.scrape import ScrapeInterval
from slobench import manifest as manifest_mod
from slobench.judge import judge
from slobench.settings import HarnessSettings
from stack import local
from stack.procs import StackError, http_get
from stack.settings import StackSettings
from runfolder import names


def refuse_unjudgeable(settings: HarnessSettings) -> None:
    """Before anything starts or is written: an API slobench does not start needs the Prometheus that scrapes it."""
    if settings.target_url and not settings.prometheus_url:
        raise StackError("TARGET_URL needs PROMETHEUS_URL: the Prometheus that scrapes that API")


def cpu_plan(settings: HarnessSettings) -> dict[str, set[int] | None]:
    """On 2+ cores: the API alone on core 0; Locust and Prometheus share core 1."""
    cores = sorted(os.sched_getaffinity(0))
    if not settings.pin_cpus or len(cores) < 2:
        return {"api": None, "locust": None, "prometheus": None}
    return {"api": {cores[0]}, "locust": set(cores[1:]), "prometheus": set(cores[1:])}


def start_stack(settings: HarnessSettings, folder: Path, cpus: dict, log=print
                ) -> tuple[str, str, Path | None, local.StackState | None]:
    """(target URL, Prometheus URL, predictions DB or None, the stack state when started here, in folder/stack)."""
    if settings.target_url:
        log(f"using the running API {settings.target_url} and Prometheus {settings.prometheus_url}")
        return settings.target_url.rstrip("/"), settings.prometheus_url.rstrip("/"), None, None
    stack_settings = StackSettings(api_port=settings.api_port or 8000, prometheus_port=settings.prometheus_port or 9090,
                                   api_workers=settings.api_workers, api_replicas=settings.api_replicas,
                                   prometheus_url=settings.prometheus_url)
    db = folder / names.PREDICTIONS
    state = local.up(stack_settings, state_dir=folder / "stack", predictions_db=db, api_cpus=cpus["api"],
                     prometheus_cpus=cpus["prometheus"],
                     ephemeral_ports=settings.api_port is None and settings.prometheus_port is None, log=log)
    for note in state.notes:
        log(f"note: {note}")
    log(f"stack up: API {state.api_url} (core {sorted(cpus['api'] or [])}), Prometheus {state.prometheus_url}")
    return state.api_url, state.prometheus_url, db, state


def served_model(target: str) -> dict | None:
    """What the target says it serves (/health: the model, its version, where predictions run, workers); None
    when it does not say (an API that is not ours)."""
    status, body = http_get(target + "/health", timeout=5)
    try:
        doc = json.loads(body) if status == 200 else None
    except ValueError:
        return None
    return {k: doc[k] for k in ("model", "model_version", "serving", "workers", "n_jobs", "canary")
            if k in doc} if isinstance(doc, dict) else None


def instances_of(state: local.StackState | None, settings: HarnessSettings | None = None) -> list[str] | None:
    """The instance labels of the judged API: the static target of an API this run started, else TARGET_INSTANCES
    (None: the whole job)."""
    if state is not None:
        return list(state.replicas) or [state.api_url.removeprefix("http://")]
    listed = [i.strip() for i in ((settings and settings.target_instances) or "").split(",") if i.strip()]
    return listed or None


@dataclass(frozen=True)
class JudgedTarget:
    """What a run judges: the SLO file scoped to the target's job, its instances, its scrape interval."""
    spec: SloSpec
    instances: list[str] | None
    interval: ScrapeInterval


def resolve_target(settings: HarnessSettings, spec: SloSpec, prom: str, state: local.StackState | None,
                   log=print) -> JudgedTarget:
    """The target's job, instances and scrape interval, from Prometheus. An API this run started is found by its
    instance (one this Prometheus does not scrape, with PROMETHEUS_URL, is refused before any load, never judged on
    no data); a running API (TARGET_URL) by the active target at its address, whatever its job is called; else the
    SLO file's up selector."""
    selector, instances = dict(spec.metrics.up_selector), instances_of(state, settings)
    client = Prometheus(prom, timeout=10, retries=0)
    if state is None and settings.target_url:
        found = scrape.scope_at(scrape.targets_at(client, settings.target_url), selector)
        if found is not None:
            selector, at = found
            instances = instances or at
            log(f"judging job {selector['job']!r}, instance(s) {', '.join(at)}: the target Prometheus scrapes at "
                f"{settings.target_url}")
            spec = spec.model_copy(update={"metrics": spec.metrics.model_copy(update={"up_selector": selector})})
    if state is not None and state.prometheus_pid is None:
        instance = instances[0]
        found = scrape.from_targets(client, {**selector, "instance": instance}) or \
            scrape.from_up_samples(client, {**selector, "instance": instance})
        if found is None:
            raise StackError(f"PROMETHEUS_URL={prom} does not scrape the API this run started at {instance} "
                             f"(no target with {selector} and instance=\"{instance}\"): nothing could be judged. "
                             f"Add that target to its scrape config and set API_PORT={instance.rsplit(':', 1)[1]}, "
                             "or point TARGET_URL at an API it already scrapes")
        interval = found if settings.scrape_interval is None else scrape.discover(prom, selector, settings.scrape_interval)
    else:
        interval = scrape.discover(prom, selector, settings.scrape_interval)
    log(f"scrape interval: {interval.seconds:g} s ({interval.source}{': ' + interval.detail if interval.detail else ''})")
    return JudgedTarget(spec, instances, interval)


@dataclass
class Session:
    """The target of one or more runs, and what each run folder's manifest and judge take from it."""
    settings: HarnessSettings
    folder: Path                       # where the stack keeps its state and the API its recording
    cpus: dict[str, set[int] | None]
    target: str
    prometheus: str
    db: Path | None
    started_here: local.StackState | None
    judged: JudgedTarget
    served: dict = field(default_factory=dict)
    canary: dict | None = None

    @classmethod
    def open(cls, settings: HarnessSettings, spec: SloSpec, folder: Path, log=print) -> "Session":
        """The stack up (or the running API found), scoped and timed; what it started is stopped on failure."""
        refuse_unjudgeable(settings)
        cpus = cpu_plan(settings)
        target, prom, db, state = start_stack(settings, folder, cpus, log)
        try:
            served = served_model(target) or {}
            judged = resolve_target(settings, spec, prom, state, log)
            canary = manifest_mod.canaries(served.pop("canary", None), cpus["api"], cpus["locust"], log)
        except BaseException:
            if state:
                local.down(folder / "stack", log=lambda *_: None)
            raise
        return cls(settings, folder, cpus, target, prom, db, state, judged, served, canary)

    def close(self) -> None:
        if self.started_here:
            local.down(self.folder / "stack", log=lambda *_: None)

    def ran(self) -> dict:
        """What ran where, for the manifest: the API (started here or not, its workers, replicas, cores and what it
        serves), Prometheus, the generators, and what shared the machine."""
        s, state, cpus = self.settings, self.started_here, self.cpus
        return {"api": {"url": self.target, "started_here": bool(state), "pid": state and state.api_pid,
                        "cpus": sorted(cpus["api"] or []), "workers": s.api_workers,
                        "replicas": state.replicas if state else [], "serving": self.served or None,
                        "predictions_db": str(self.db) if self.db else None},
                "prometheus": {"url": self.prometheus, "pid": state and state.prometheus_pid,
                               "cpus": sorted(cpus["prometheus"] or [])},
                "locust": {"processes": s.locust_processes, "cpus": sorted(cpus["locust"] or []),
                           "remote_workers": s.locust_workers,
                           "master_bind": s.locust_master_bind if s.locust_workers else None},
                "shared_machine": f"{os.cpu_count()} cores shared by API, Locust and Prometheus"}

    def manifest_sections(self) -> dict:
        """What a run folder's manifest takes from this session: what ran where, the canaries, the scope."""
        spec = self.judged.spec
        return {"ran": self.ran(), "canary": self.canary, "scrape_interval": self.judged.interval.as_dict(),
                "scope": {**spec.metrics.up_selector, "instances": self.judged.instances}}

    def judge(self, run_dir: Path, baseline: Path | None, drift_check) -> dict:
        """The run judged on this session's Prometheus, scope and scrape interval; drift from its recording."""
        return judge(run_dir, self.judged.spec, self.prometheus, baseline,
                     (lambda d, out: drift_check(d, self.db, out_dir=out)) if drift_check else None,
                     scrape=self.judged.interval, instances=self.judged.instances)
