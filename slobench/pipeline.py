"""One load run end to end: the stack up, Locust through the profile, the SLO and drift verdicts, the stack down
(`make loadtest`)."""
from __future__ import annotations

import os
import time
from pathlib import Path

from loadtests import run as locust_run
from loadtests.profile import Profile
from slo.file.model import SloSpec
from slo.verdicts import sample_fit, scrape_fit
from slo.verdicts.report import Report
from slo.verdicts.report.repeat_set import RepeatSet
from slobench import manifest as manifest_mod
from slobench.history import like_runs, write_index
from slobench.holds import SpellHolds
from slobench.ladder_looks import LadderLooks
from slobench.probing import place, place_ladder
from slobench.refine import Refinement
from slobench.run_folder import load_report
from slobench.session import Session, refuse_unjudgeable
from slobench.settings import HarnessSettings
from stack import local, monitor
from stack.procs import StackError
from runfolder import files, names


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


def merge_replica_recordings(db: Path, replicas: int) -> None:
    """Each replica recorded into its own file: one predictions.db for accuracy and drift (the files stay)."""
    from api.record_schema import merge_files
    merge_files(db, [p for p in (local.replica_db(db, i) for i in range(1, replicas + 1)) if p.is_file()])


def machine_monitor(run_dir: Path, state: local.StackState | None, api_cpus: set[int] | None
                    ) -> monitor.MachineMonitor | None:
    """For an API this run started on cores of its own: each second from the probe to the load's end, what other work
    took of them."""
    pids = [ident["pid"] for name, ident in ((state.owned if state else {}) or {}).items()
            if name == "api" or (name.startswith("r") and name[1:].isdigit())]
    if not pids or not api_cpus:
        return None
    return monitor.MachineMonitor(run_dir, pids, sorted(api_cpus)).start()


def placed_for_run(profile: Profile, placed_at: float | None, target: str, spec: SloSpec, cpus: set[int] | None,
                   man: dict, log=print, watch: monitor.MachineMonitor | None = None) -> Profile:
    """The profile this run sends: its shares placed at a repeat set's saturation when given, else at the one its
    probe measures now (recorded in the manifest), else as declared."""
    if placed_at and profile.needs_probe:
        log(f"stages placed at the repeat set's first measured saturation, {placed_at:g} req/s")
        profile = place(profile, spec, placed_at)
    elif profile.probe_plan:
        profile, saturation = place_ladder(target, profile, spec, cpus, log, watch)
        man["probe"] = saturation.as_dict()
    man["profile"] = profile.model_dump(mode="json")
    return profile


def run_load(settings: HarnessSettings, profile: Profile, target: str, run_dir: Path,
             watch: monitor.MachineMonitor | None, cpus: dict, log=print, then=None,
             looks: LadderLooks | None = None, holds: SpellHolds | None = None) -> tuple[int | None, bool]:
    """Locust through the profile (as this run holds it: placed, refined, renamed), its stages declared with looks
    ended when `looks` decides them, held where `holds` finds other work took the API's core, then `then(watch)` (the
    refinement) after a load that ran to its end, the API's cores watched meanwhile (`watch`, stopped once the load
    ended); (Locust's exit code, interrupted), also written to the run folder (ended.json)."""
    interrupted, code = False, None
    path = run_dir / names.PROFILE
    path.write_text(profile.model_dump_json(indent=1) + "\n")
    try:
        code = locust_run.run_headless(path, profile, target, run_dir, settings.generators(), cpus["locust"],
                                       on_line=log, on_tick=_every_tick(looks, holds))
        if code == 0 and then is not None:
            then(watch)
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: judging what was collected")
    finally:
        if watch is not None:
            watch.stop()
    files.ENDED.write(run_dir, {"locust_exit_code": code, "interrupted": interrupted})
    return code, interrupted


def _every_tick(*watchers: LadderLooks | SpellHolds | None):
    """What the harness asks every half second while Locust runs: each planned watcher's tick; None without one."""
    ticks = [w.tick for w in watchers if w is not None and w.planned]
    if not ticks:
        return None

    def tick() -> None:
        for each in ticks:
            each()
    return tick


def loadtest(settings: HarnessSettings, profile: Profile, spec: SloSpec, slo_path: Path,
             baseline: Path | None, drift_check, log=print, placed_at: float | None = None) -> tuple[Path, dict | None]:
    """Run one profile end to end; returns (run folder, report). Stops what it started, Ctrl-C included. With
    placed_at, a ladder of shares is placed at that saturation (a repeat set's first run's) instead of probing."""
    refuse_unjudgeable(settings)
    sample_fit.check(profile, spec, log)  # before anything starts: stages too short to decide are refused
    run_dir = new_run_dir(settings.results_dir, profile.name)
    point_latest(settings.results_dir, run_dir)
    man = {**manifest_mod.new(profile, slo_path, settings), "started": time.time()}
    log(f"run folder: {run_dir}")
    session, watch = None, None
    try:
        session = Session.open(settings, spec, run_dir, log)
        man.update(session.manifest_sections())
        files.MANIFEST.write(run_dir, man)
        scrape_fit.check(profile, session.judged.interval.seconds, session.judged.interval.source)  # before any load
        watch = machine_monitor(run_dir, session.started_here, session.cpus["api"])   # the probe's seconds too
        profile = placed_for_run(profile, placed_at, session.target, session.judged.spec, session.cpus["locust"], man,
                                 log, watch)
        files.MANIFEST.write(run_dir, man)
        code, interrupted = _load(session, profile, run_dir, man, watch, log)
        report = session.judge(run_dir, baseline, drift_check)
        man["interrupted"] = interrupted
        log(f"history of runs: {write_index(settings.results_dir)}")
        return run_dir, report
    finally:
        if watch is not None:
            watch.stop()
        if session is not None:
            session.close()
        _finish_manifest(run_dir, man)


def _load(session: Session, profile: Profile, run_dir: Path, man: dict, watch: monitor.MachineMonitor | None,
          log=print) -> tuple[int | None, bool]:
    """Locust through the profile, then the refinement; the replicas' recordings merged. Refused when the load
    stopped before its first stage began: nothing to judge."""
    refine = profile.refine
    log(f"Locust: profile {profile.name}, {len(profile.stages)} stages, {profile.total_s:.0f} s"
        + (f", then up to {refine.budget_s:g} s of steps toward the knee" if refine else "")
        + (f", the whole run within {refine.run_budget_s:g} s" if refine and refine.run_budget_s else ""))
    refinement = Refinement(run_dir, profile, session.target, session.prometheus, session.judged,
                            session.settings.generators(), session.cpus["locust"], log,
                            run_started=man["started"]) if refine else None
    looks = LadderLooks(run_dir, profile, session.judged, session.prometheus, log)
    code, interrupted = run_load(session.settings, profile, session.target, run_dir, watch, session.cpus, log,
                                 then=refinement and (lambda watch: man.update(refine=refinement.run(watch))),
                                 looks=looks, holds=SpellHolds(run_dir, profile, watch, log, looks))
    if code not in (None, 0):
        log(f"Locust exited with code {code}: the run is incomplete (see {run_dir / names.LOCUST_LOG})")
    if not files.TIMELINE.exists(run_dir):
        raise StackError(f"the load stopped before its first stage began (Locust exit code {code}"
                         + (", interrupted" if interrupted else "") + f"): nothing to judge; see {run_dir / names.LOCUST_LOG}")
    state = session.started_here
    if state and state.replicas and session.db is not None:
        merge_replica_recordings(session.db, len(state.replicas))
    return code, interrupted


def _finish_manifest(run_dir: Path, man: dict) -> None:
    """When the run ended, its stage timeline, and each remote worker's clock against the master's."""
    man["finished"] = time.time()
    if files.TIMELINE.exists(run_dir):
        man["stages"] = files.TIMELINE.read(run_dir)
    merged = files.CLIENT_STATS.read(run_dir)
    if merged is not None:
        man["clocks"] = merged.get("clocks") or {}
    files.MANIFEST.write(run_dir, man)


def repeated(settings: HarnessSettings, profile: Profile, spec: SloSpec, slo_path: Path,
             baseline: Path | None, drift_check, n: int, log=print) -> tuple[Path, RepeatSet, list[Report | None]]:
    """The profile n times, each a full run with its own folder (and its own stack start, so the spread includes
    what a fresh start changes), then the repeat set's report in a folder of its own beside them; returns the set's
    folder, its summary and each run's report. A ladder of shares is placed once, from the first run's probe, so
    every repeat offers the same rates and its stages pool."""
    from slo.reports.repeat_set import write
    from slo.verdicts import repeats

    reports, placed_at = [], None
    for i in range(1, n + 1):
        log(f"[slobench] repeat {i} of {n}")
        _, report = loadtest(settings, profile, spec, slo_path, baseline, drift_check, log, placed_at)
        reports.append(report)
        placed_at = placed_at or (report and report.manifest and report.manifest.probe_rps())
    set_dir = new_run_dir(settings.results_dir, f"{profile.name}-x{n}")
    judged = [r for r in reports if r is not None]
    history = like_runs(settings.results_dir, profile.name, spec.model_dump(mode="json"),
                        judged[0].manifest if judged else None, exclude={r.run.id for r in judged})
    summary = repeats.summarize(reports, spec.confidence_level, history)
    if baseline is not None and all(reports):   # a repeat that was not judged has no figures to compare
        summary = repeats.against_baseline(summary, reports, load_report(baseline), spec)
    write(set_dir, summary)
    write_index(settings.results_dir)
    return set_dir, summary, reports
