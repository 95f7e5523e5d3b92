"""Locust's web UI against the local stack: every test stopped in the UI gets a judged run folder (`make ui`)."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from common.exit_codes import Exit
from loadtests import run as locust_run, sent
from loadtests.profile import Placement, Profile, resolve
from loadtests.requestlog import FILE_GLOB
from slo.reports.text import headline
from slobench.history import write_index
from slo.file.model import SloSpec
from slo.file.load import DEFAULT_SLO_PATH
from slo.verdicts import sample_fit, scrape_fit
from slobench import manifest as manifest_mod
from slobench.pipeline import machine_monitor, point_latest
from slobench.probing import place_ladder
from slobench.session import Session
from slobench.settings import ROOT, HarnessSettings
from stack.procs import StackError, http_get, port_in_use, wait_until
from runfolder import files, names

UI_FILES = {names.LOCUST_STATS: "/stats/requests/csv", names.LOCUST_FAILURES: "/stats/failures/csv",
            names.LOCUST_REPORT: "/stats/report?download=1"}


def collect_ui_run(run_dir: Path, ui_url: str, spool: Path, processes: int) -> None:
    """Bring the stopped test's files into its run folder: request logs, Locust's CSV and HTML report."""
    # Every process wrote its files before it reported stopping, and the master marks the test done after that.
    for part in [*spool.glob(FILE_GLOB), *spool.glob(sent.FILE_GLOB)]:
        shutil.move(str(part), run_dir / part.name)
    history = spool / names.LOCUST_STATS_HISTORY
    if history.exists():
        shutil.copy(history, run_dir / history.name)
    for name, path in UI_FILES.items():
        status, body = http_get(ui_url + path, timeout=10)
        if status == 200:
            (run_dir / name).write_bytes(body)


def ran_profile(run_dir: Path, launched: Profile) -> Profile:
    """The profile the test ran (the start form may have chosen another than the one the UI was started with)."""
    path = run_dir / names.PROFILE
    return Profile.model_validate_json(path.read_text()) if path.is_file() else launched


def serve(settings: HarnessSettings, profile_name: str, profile: Profile, spec: SloSpec, drift_check, log=print,
          max_seconds: float | None = None, slo_path: Path = DEFAULT_SLO_PATH) -> int:
    """Run until Ctrl-C (or max_seconds); judge each test as it stops, in a run folder with the full manifest a load
    run writes (one session: the same stack, scope and canaries for every test)."""
    sample_fit.check(profile, spec, log)
    if port_in_use(settings.locust_web_port):
        raise StackError(f"port {settings.locust_web_port} for Locust's web UI is taken: set LOCUST_WEB_PORT")
    state_dir = ROOT / ".state" / f"ui-{settings.locust_web_port}"
    shutil.rmtree(state_dir, ignore_errors=True)
    spool = state_dir / "spool"
    spool.mkdir(parents=True)
    settings.results_dir.mkdir(parents=True, exist_ok=True)
    session = Session.open(settings, spec, state_dir, log)
    try:
        scrape_fit.check(profile, session.judged.interval.seconds, session.judged.interval.source)
        placed, saturation = _probed(session, profile, state_dir, log) if profile.probe_plan else (profile, None)
        proc = _start_ui(session, profile_name, spool, slo_path, state_dir, placed.placement, log)
    except BaseException:
        session.close()
        raise
    try:
        return _judge_each_test(session, proc, profile, slo_path, spool, state_dir, saturation, drift_check, log,
                                max_seconds)
    finally:
        locust_run.stop(proc)
        session.close()


def _probed(session: Session, profile: Profile, state_dir: Path, log):
    """The profile placed from the probe, the API's cores watched while it runs, as a load run's probe is
    (slobench/probing.py: measured again where other work took them)."""
    watch = machine_monitor(state_dir, session.started_here, session.cpus["api"])
    try:
        return place_ladder(session.target, profile, session.judged.spec, session.cpus["locust"], log, watch)
    finally:
        if watch is not None:
            watch.stop()


def _start_ui(session: Session, profile_name: str, spool: Path, slo_path: Path, state_dir: Path,
              placement: Placement | None, log):
    """Locust's web UI with the live tab and the start page, told where this session's Prometheus and scope are."""
    s, judged = session.settings, session.judged
    return locust_run.start_ui(
        resolve(profile_name), session.target, s.results_dir, spool, s.locust_web_port, s.generators(),
        session.cpus["locust"], log=state_dir / names.LOCUST_LOG, on_line=log,
        extra_env={"SLOBENCH_LOCUST_PLUGINS": "loadtests.webui.live_tab,loadtests.webui.start_page",
                   "SLOBENCH_PROMETHEUS_URL": session.prometheus, "SLOBENCH_SLO": str(slo_path),
                   "SLOBENCH_SCRAPE_INTERVAL": str(judged.interval.seconds),
                   "SLOBENCH_INSTANCES": ",".join(judged.instances or []),
                   "SLOBENCH_UP_JOB": judged.spec.metrics.up_selector.get("job", "")},
        placement=placement)


def _judge_each_test(session: Session, proc, profile: Profile, slo_path: Path, spool: Path, state_dir: Path,
                     saturation, drift_check, log, max_seconds: float | None) -> int:
    """Each test stopped in the UI, judged in its run folder as it stops; the newest one's exit code (stopping
    before any test ran is no pass)."""
    results, ui_url = session.settings.results_dir, f"http://127.0.0.1:{session.settings.locust_web_port}"
    judged: set[Path] = set()
    last_code: int | None = None
    started = time.time()
    try:
        wait_until(lambda: http_get(ui_url + "/")[0] == 200, 60, "Locust web UI", proc, state_dir / names.LOCUST_LOG)
        log(f"Locust web UI: {ui_url} (profile {profile.name}, target {session.target}); Ctrl-C to stop")
        while max_seconds is None or time.time() - started < max_seconds:
            if proc.poll() is not None:
                raise StackError(f"Locust exited with code {proc.returncode}; see {state_dir / names.LOCUST_LOG}")
            for marker in sorted(results.glob(f"*-ui/{names.LOCUST_DONE}")):
                run_dir = marker.parent
                if run_dir in judged or marker.stat().st_mtime < started:
                    continue
                judged.add(run_dir)
                collect_ui_run(run_dir, ui_url, spool, session.settings.locust_processes)
                man = {**manifest_mod.new(ran_profile(run_dir, profile), slo_path, session.settings),
                       **session.manifest_sections()}
                man["ran"]["locust"]["web_ui"] = ui_url
                man["probe"] = saturation and saturation.as_dict()
                files.MANIFEST.write(run_dir, man)
                report = session.judge(run_dir, None, drift_check)
                last_code = report.verdict.exit_code
                point_latest(results, run_dir)
                write_index(results)
                for line in headline(report):
                    log(line)
                log(f"reports: {run_dir / names.REPORT_HTML}")
            time.sleep(0.5)
    except KeyboardInterrupt:
        log("stopping the web UI and the stack")
    if last_code is None:
        log("no test was run from the web UI: nothing was judged")
        return Exit.CANNOT_JUDGE  # as a run that cannot be judged
    return last_code
