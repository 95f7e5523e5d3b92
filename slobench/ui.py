"""Locust's web UI against the local stack: every test stopped in the UI gets a judged run folder (`make ui`)."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from loadtests import run as locust_run, sent
from loadtests.timeline import PROFILE_FILE
from loadtests.profile import Profile, resolve
from loadtests.requestlog import FILE_GLOB
from slo.reports.text import headline
from slobench.history import write_index
from slo.file.model import SloSpec
from slo.file.load import DEFAULT_SLO_PATH
from slobench import manifest as manifest_mod, sample_fit, scrape_fit
from slobench.judge import judge
from slobench.pipeline import cpu_plan, place_ladder, point_latest, resolve_target, served_model, start_stack
from slobench.settings import ROOT, HarnessSettings
from stack import local
from stack.procs import StackError, http_get, port_in_use, wait_until

UI_FILES = {"locust_stats.csv": "/stats/requests/csv", "locust_failures.csv": "/stats/failures/csv",
            "locust_report.html": "/stats/report?download=1"}


def collect_ui_run(run_dir: Path, ui_url: str, spool: Path, processes: int) -> None:
    """Bring the stopped test's files into its run folder: request logs, Locust's CSV and HTML report."""
    # Every process wrote its files before it reported stopping, and the master marks the test done after that.
    for part in [*spool.glob(FILE_GLOB), *spool.glob(sent.FILE_GLOB)]:
        shutil.move(str(part), run_dir / part.name)
    history = spool / "locust_stats_history.csv"
    if history.exists():
        shutil.copy(history, run_dir / history.name)
    for name, path in UI_FILES.items():
        status, body = http_get(ui_url + path, timeout=10)
        if status == 200:
            (run_dir / name).write_bytes(body)


def ran_profile(run_dir: Path, launched: Profile) -> Profile:
    """The profile the test ran (the start form may have chosen another than the one the UI was started with)."""
    path = run_dir / PROFILE_FILE
    return Profile.model_validate_json(path.read_text()) if path.is_file() else launched


EXIT_NOTHING_JUDGED = 2  # as a run that cannot be judged


def serve(settings: HarnessSettings, profile_name: str, profile: Profile, spec: SloSpec, drift_check, log=print,
          max_seconds: float | None = None, slo_path: Path = DEFAULT_SLO_PATH) -> int:
    """Run until Ctrl-C (or max_seconds); judge each test as it stops."""
    sample_fit.check(profile, spec, log)
    if port_in_use(settings.locust_web_port):
        raise StackError(f"port {settings.locust_web_port} for Locust's web UI is taken: set LOCUST_WEB_PORT")
    state_dir = ROOT / ".state" / f"ui-{settings.locust_web_port}"
    shutil.rmtree(state_dir, ignore_errors=True)
    spool = state_dir / "spool"
    spool.mkdir(parents=True)
    cpus = cpu_plan(settings)
    results = settings.results_dir
    results.mkdir(parents=True, exist_ok=True)
    target, prom, db, stack_state = start_stack(settings, state_dir, cpus, log)
    try:
        target_scope = resolve_target(settings, spec, prom, stack_state, log)
        spec, interval = target_scope.spec, target_scope.interval
        scrape_fit.check(profile, interval.seconds, interval.source)
        canary = manifest_mod.canaries((served_model(target) or {}).get("canary"), cpus["api"], cpus["locust"], log)
        saturation = place_ladder(target, profile, spec, cpus["locust"], log)[1] if profile.probe_plan else None
    except BaseException:
        if stack_state:
            local.down(state_dir / "stack", log=lambda *_: None)
        raise
    proc = locust_run.start_ui(resolve(profile_name), target, results, spool, settings.locust_web_port,
                               settings.generators(), cpus["locust"], log=state_dir / "locust.log", on_line=log,
                               extra_env={"SLOBENCH_LOCUST_PLUGINS": "slobench.live_tab,slobench.start_page", "SLOBENCH_PROMETHEUS_URL": prom,
                                          "SLOBENCH_SLO": str(slo_path), "SLOBENCH_SCRAPE_INTERVAL": str(interval.seconds),
                                          "SLOBENCH_INSTANCES": ",".join(target_scope.instances or []),
                                          "SLOBENCH_UP_JOB": spec.metrics.up_selector.get("job", "")},
                               saturation_rps=saturation and saturation.rps)
    ui_url = f"http://127.0.0.1:{settings.locust_web_port}"
    judged: set[Path] = set()
    last_code: int | None = None   # the newest judged test's exit code: stopping before any is no pass
    started = time.time()
    try:
        wait_until(lambda: http_get(ui_url + "/")[0] == 200, 60, "Locust web UI", proc, state_dir / "locust.log")
        log(f"Locust web UI: {ui_url} (profile {profile.name}, target {target}); Ctrl-C to stop")
        while max_seconds is None or time.time() - started < max_seconds:
            if proc.poll() is not None:
                raise StackError(f"Locust exited with code {proc.returncode}; see {state_dir / 'locust.log'}")
            for marker in sorted(results.glob("*-ui/locust_done.json")):
                run_dir = marker.parent
                if run_dir in judged or marker.stat().st_mtime < started:
                    continue
                judged.add(run_dir)
                collect_ui_run(run_dir, ui_url, spool, settings.locust_processes)
                man = manifest_mod.new(ran_profile(run_dir, profile), slo_path, settings)
                man["ran"] = {"api": {"url": target, "pid": stack_state and stack_state.api_pid},
                              "prometheus": {"url": prom}, "locust": {"web_ui": ui_url, "processes": settings.locust_processes}}
                man["canary"], man["probe"] = canary, saturation and saturation.as_dict()
                manifest_mod.write(run_dir, man)
                report = judge(run_dir, spec, prom, None,
                               (lambda d, out: drift_check(d, db, out_dir=out)) if drift_check else None,
                               scrape=interval, instances=target_scope.instances)
                last_code = report["verdict"]["exit_code"]
                point_latest(results, run_dir)
                write_index(results)
                for line in headline(report):
                    log(line)
                log(f"reports: {run_dir}/report.html")
            time.sleep(0.5)
    except KeyboardInterrupt:
        log("stopping the web UI and the stack")
    finally:
        locust_run.stop(proc)
        if stack_state:
            local.down(state_dir / "stack", log=lambda *_: None)
    if last_code is None:
        log("no test was run from the web UI: nothing was judged")
        return EXIT_NOTHING_JUDGED
    return last_code
