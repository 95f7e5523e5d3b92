"""One load run end to end: the stack up, Locust through the profile, the SLO and drift verdicts, the stack down
(`make loadtest`)."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from loadtests import client_figures, probe, run as locust_run
from loadtests.profile import Profile
from loadtests.timeline import PROFILE_FILE
from slo.prometheus import scrape
from common.prometheus import Prometheus
from slo.prometheus.scrape import ScrapeInterval
from slo.file.model import SloSpec
from slobench import manifest as manifest_mod, sample_fit, scrape_fit
from slobench.history import write_index
from slobench.judge import judge
from slobench.refine import Refinement
from slobench.run_folder import ENDED_FILE
from slobench.settings import HarnessSettings
from stack import local, monitor
from stack.procs import StackError, http_get
from stack.settings import StackSettings


def new_run_dir(results: Path, profile: str) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = results / f"{stamp}-{profile}"
    n = 1
    while path.exists():
        n += 1
        path = results / f"{stamp}-{profile}-{n}"
    path.mkdir(parents=True)
    return path


def point_latest(results: Path, run_dir: Path) -> None:
    link = results / "latest"
    tmp = results / ".latest.tmp"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run_dir.name)
    os.replace(tmp, link)


def cpu_plan(settings: HarnessSettings) -> dict[str, set[int] | None]:
    """On 2+ cores: the API alone on core 0; Locust and Prometheus share core 1."""
    cores = sorted(os.sched_getaffinity(0))
    if not settings.pin_cpus or len(cores) < 2:
        return {"api": None, "locust": None, "prometheus": None}
    return {"api": {cores[0]}, "locust": set(cores[1:]), "prometheus": set(cores[1:])}


def start_stack(settings: HarnessSettings, run_dir: Path, cpus: dict, log=print) -> tuple[str, str, Path | None, local.StackState | None]:
    """(target URL, Prometheus URL, predictions DB or None, the stack state when started here)."""
    if settings.target_url:
        log(f"using the running API {settings.target_url} and Prometheus {settings.prometheus_url}")
        return settings.target_url.rstrip("/"), settings.prometheus_url.rstrip("/"), None, None
    stack_settings = StackSettings(api_port=settings.api_port or 8000, prometheus_port=settings.prometheus_port or 9090,
                                   api_workers=settings.api_workers, api_replicas=settings.api_replicas,
                                   prometheus_url=settings.prometheus_url)
    db = run_dir / "predictions.db"
    state = local.up(stack_settings, state_dir=run_dir / "stack", predictions_db=db, api_cpus=cpus["api"],
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


def merge_replica_recordings(db: Path, replicas: int) -> None:
    """Each replica recorded into its own file: one predictions.db for accuracy and drift (the files stay)."""
    from api.record_schema import merge_files
    merge_files(db, [p for p in (local.replica_db(db, i) for i in range(1, replicas + 1)) if p.is_file()])


def instances_of(state: local.StackState | None, settings: HarnessSettings | None = None) -> list[str] | None:
    """The instance labels of the judged API: the static target of an API this run started, else TARGET_INSTANCES
    (None: the whole job)."""
    if state is not None:
        return list(state.replicas) or [state.api_url.removeprefix("http://")]
    listed = [i.strip() for i in ((settings and settings.target_instances) or "").split(",") if i.strip()]
    return listed or None


def place_ladder(target: str, profile: Profile, spec: SloSpec, cpus: set[int] | None, log=print
                 ) -> tuple[Profile, probe.Saturation]:
    """The target's saturation measured, the profile's shares of it turned into rates (and their stages checked
    for size as any declared rate is), before any stage starts."""
    plan = profile.probe_plan
    log(f"measuring what {target} serves of the profile's mix: closed-loop clients at concurrency "
        f"{', '.join(map(str, plan.concurrency))}, {plan.warm_s + plan.seconds:g} s each")
    saturation = probe.measure(target, profile, log, cpus)
    log(saturation.sentence())
    if not profile.needs_probe:
        return profile, saturation
    placed = profile.placed(saturation.rps)
    for line in placed.outline():
        log(f"  {line}")
    if placed.placement.skipped:
        log(f"  skipped, as placed at or below a declared rate before them: {', '.join(placed.placement.skipped)}")
    sample_fit.check(placed, spec, log)
    return placed, saturation


def machine_monitor(run_dir: Path, state: local.StackState | None, api_cpus: set[int] | None
                    ) -> monitor.MachineMonitor | None:
    """For an API this run started on cores of its own: each second of the load, what other work took of them."""
    pids = [ident["pid"] for name, ident in ((state.owned if state else {}) or {}).items()
            if name == "api" or (name.startswith("r") and name[1:].isdigit())]
    if not pids or not api_cpus:
        return None
    return monitor.MachineMonitor(run_dir, pids, sorted(api_cpus)).start()


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


def placed_for_run(profile: Profile, placed_at: float | None, target: str, spec: SloSpec, cpus: set[int] | None,
                   man: dict, log=print) -> Profile:
    """The profile this run sends: its shares placed at a repeat set's saturation when given, else at the one its
    probe measures now (recorded in the manifest), else as declared."""
    if placed_at and profile.needs_probe:
        log(f"stages placed at the repeat set's first measured saturation, {placed_at:g} req/s")
        profile = profile.placed(placed_at)
    elif profile.probe_plan:
        profile, saturation = place_ladder(target, profile, spec, cpus, log)
        man["probe"] = saturation.as_dict()
    man["profile"] = profile.model_dump(mode="json")
    return profile


def run_load(settings: HarnessSettings, profile: Profile, target: str, run_dir: Path,
             started_here: local.StackState | None, cpus: dict, log=print, then=None) -> tuple[int | None, bool]:
    """Locust through the profile (as this run holds it: placed, refined, renamed), then `then(monitor)` (the
    refinement) after a load that ran to its end, the API's cores watched meanwhile; (Locust's exit code,
    interrupted), also written to the run folder (ended.json)."""
    interrupted, code = False, None
    path = run_dir / PROFILE_FILE
    path.write_text(profile.model_dump_json(indent=1) + "\n")
    watch = machine_monitor(run_dir, started_here, cpus["api"])
    try:
        code = locust_run.run_headless(path, profile, target, run_dir, settings.generators(), cpus["locust"],
                                       on_line=log)
        if code == 0 and then is not None:
            then(watch)
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: judging what was collected")
    finally:
        if watch is not None:
            watch.stop()
    (run_dir / ENDED_FILE).write_text(json.dumps({"locust_exit_code": code, "interrupted": interrupted}) + "\n")
    return code, interrupted


def loadtest(settings: HarnessSettings, profile: Profile, spec: SloSpec, slo_path: Path,
             baseline: Path | None, drift_check, log=print, placed_at: float | None = None) -> tuple[Path, dict | None]:
    """Run one profile end to end; returns (run folder, report). Stops what it started, Ctrl-C included. With
    placed_at, a ladder of shares is placed at that saturation (a repeat set's first run's) instead of probing."""
    if settings.target_url and not settings.prometheus_url:
        raise StackError("TARGET_URL needs PROMETHEUS_URL: the Prometheus that scrapes that API")
    sample_fit.check(profile, spec, log)  # before anything starts: stages too short to decide are refused
    run_dir = new_run_dir(settings.results_dir, profile.name)
    point_latest(settings.results_dir, run_dir)
    man = manifest_mod.new(profile, slo_path, settings)
    man["started"] = time.time()
    cpus = cpu_plan(settings)
    log(f"run folder: {run_dir}")
    started_here = None
    try:
        target, prom, db, started_here = start_stack(settings, run_dir, cpus, log)
        pids = (started_here.api_pid, started_here.prometheus_pid) if started_here else (None, None)
        served = served_model(target) or {}
        man["ran"] = {"api": {"url": target, "started_here": bool(started_here), "pid": pids[0],
                              "cpus": sorted(cpus["api"] or []), "workers": settings.api_workers,
                              "replicas": started_here.replicas if started_here else [],
                              "predictions_db": str(db) if db else None, "serving": served or None},
                      "prometheus": {"url": prom, "pid": pids[1], "cpus": sorted(cpus["prometheus"] or [])},
                      "locust": {"processes": settings.locust_processes, "cpus": sorted(cpus["locust"] or []),
                                 "remote_workers": settings.locust_workers,
                                 "master_bind": settings.locust_master_bind if settings.locust_workers else None},
                      "shared_machine": f"{os.cpu_count()} cores shared by API, Locust and Prometheus"}
        judged = resolve_target(settings, spec, prom, started_here, log)
        spec, interval = judged.spec, judged.interval
        man["canary"] = manifest_mod.canaries(served.pop("canary", None), cpus["api"], cpus["locust"], log)
        man["scrape_interval"] = interval.as_dict()
        man["scope"] = {**spec.metrics.up_selector, "instances": judged.instances}
        manifest_mod.write(run_dir, man)
        scrape_fit.check(profile, interval.seconds, interval.source)  # before any load is sent
        profile = placed_for_run(profile, placed_at, target, spec, cpus["locust"], man, log)
        manifest_mod.write(run_dir, man)
        log(f"Locust: profile {profile.name}, {len(profile.stages)} stages, {profile.total_s:.0f} s"
            + (f", then up to {profile.refine.budget_s:g} s of steps toward the knee" if profile.refine else ""))
        refinement = Refinement(run_dir, profile, target, prom, judged, settings.generators(), cpus["locust"],
                                log) if profile.refine else None
        code, interrupted = run_load(settings, profile, target, run_dir, started_here, cpus, log,
                                     then=refinement and (lambda watch: man.update(refine=refinement.run(watch))))
        if code not in (None, 0):
            log(f"Locust exited with code {code}: the run is incomplete (see {run_dir}/locust.log)")
        if not (run_dir / "stages.json").is_file():
            raise StackError(f"the load stopped before its first stage began (Locust exit code {code}"
                             + (", interrupted" if interrupted else "") + f"): nothing to judge; see {run_dir}/locust.log")
        if started_here and started_here.replicas and db is not None:
            merge_replica_recordings(db, len(started_here.replicas))
        report = judge(run_dir, spec, prom, baseline,
                       (lambda d, out: drift_check(d, db, out_dir=out)) if drift_check else None,
                       scrape=interval, instances=judged.instances)
        man["interrupted"] = interrupted
        index = write_index(settings.results_dir)
        log(f"history of runs: {index}")
        return run_dir, report
    finally:
        if started_here:
            local.down(run_dir / "stack", log=lambda *_: None)
        man["finished"] = time.time()
        stages_file = run_dir / "stages.json"
        if stages_file.exists():
            man["stages"] = json.loads(stages_file.read_text())
        merged = client_figures.load(run_dir)
        if merged is not None:  # each remote worker's clock against the master's, as measured when it joined
            man["clocks"] = merged.get("clocks") or {}
        manifest_mod.write(run_dir, man)


def repeated(settings: HarnessSettings, profile: Profile, spec: SloSpec, slo_path: Path,
             baseline: Path | None, drift_check, n: int, log=print) -> tuple[Path, dict, list[dict]]:
    """The profile n times, each a full run with its own folder (and its own stack start, so the spread includes
    what a fresh start changes), then the repeat set's report in a folder of its own beside them; returns the set's
    folder, its summary and each run's report. A ladder of shares is placed once, from the first run's probe, so
    every repeat offers the same rates and its stages pool."""
    from slo.verdicts import repeats

    reports, placed_at = [], None
    for i in range(1, n + 1):
        log(f"[slobench] repeat {i} of {n}")
        _, report = loadtest(settings, profile, spec, slo_path, baseline, drift_check, log, placed_at)
        reports.append(report)
        placed_at = placed_at or (((report or {}).get("manifest") or {}).get("probe") or {}).get("rps")
    set_dir = new_run_dir(settings.results_dir, f"{profile.name}-x{n}")
    summary = repeats.summarize(reports, spec.confidence_level)
    repeats.write(set_dir, summary)
    write_index(settings.results_dir)
    return set_dir, summary, reports
