"""The `slobench` command: loadtest, evaluate, ui. Thin: it parses, calls into the packages, prints."""
from __future__ import annotations

import argparse
import signal
import sys
import traceback
from pathlib import Path

from pydantic import ValidationError

from loadtests.probe_and_refine import MAX_LOOKS
from loadtests.profile import load_profile
from loadtests.progress import LIVE
from runfolder.files import TimelineError
from common.prometheus_api import PrometheusError
from common.specfile import SpecError
from slo.verdicts.evaluate import EvaluationError
from slo.verdicts.objectives import MAX_REPEATS, MIN_REPEATS
from slo.verdicts.report import Report, ReportError
from slo.reports.text import terminal
from slo.file.load import DEFAULT_SLO_PATH, load_slo
from common.environment import environment_error
from slobench import change_points
from slobench.history import collect as collect_history, rerender_all, write_index
from slobench.run_folder import BaselineError
from slobench.settings import HarnessSettings
from stack.procs import StackError
from common.exit_codes import MEANINGS, Exit
from runfolder import names

BUG_LINE = ("This is a bug in slobench, not a problem with your API or your files: please report it "
            "with the traceback above and the run folder.")


_live = {"pending": False}


def _say(line: str) -> None:
    """Print a line of the run; the live progress line rewrites itself on a terminal, elsewhere it is a plain line."""
    if line.startswith(LIVE) and sys.stdout.isatty():
        sys.stdout.write("\r" + line[len("[slobench] "):] + "\033[K")
        sys.stdout.flush()
        _live["pending"] = True
        return
    if _live["pending"]:
        sys.stdout.write("\r\033[K")
        _live["pending"] = False
    print(line, flush=True)


def _drift_check():
    from drift.check import check_run
    return check_run


def _drift_gate(report: Report, fail_on_drift: bool) -> tuple[int, str | None]:
    """(exit code, why) of one judged run: the SLO verdict comes first; a drift gate only turns a pass into its own
    code, or, when the drift check could not decide (an error, a skip, inputs that do not reconcile), into "cannot
    judge"."""
    code = report.verdict.exit_code
    if code != 0 or not fail_on_drift:
        return code, None
    if report.drift and report.drift.decision == "RETRAIN":
        return Exit.DRIFT, None
    problem = report.drift.gate_problem() if report.drift else "no drift check ran"
    return (Exit.CANNOT_JUDGE, f"--fail-on-drift: {problem}") if problem else (code, None)


def _summary(out_dir: Path, report: Report, fail_on_drift: bool = False) -> int:
    print()
    print(terminal(report, color=sys.stdout.isatty()))
    print(f"\nreports: {out_dir}/{names.REPORT_HTML} (also {names.SLO_REPORT}, {names.SLO_REPORT_MD}, {names.JUNIT})")
    code, problem = _drift_gate(report, fail_on_drift)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
    return code


def cmd_loadtest(args, settings: HarnessSettings) -> int:
    from slobench.pipeline import loadtest
    profile = load_profile(args.profile)
    spec = load_slo(args.slo)
    if args.repeat > 1:
        return _repeated(args, settings, profile, spec)
    run_dir = None
    try:
        run_dir, report = loadtest(settings, profile, spec, Path(args.slo), args.baseline,
                                   None if args.no_drift else _drift_check(), log=_say)
    except PrometheusError as exc:
        print(f"error: {exc}\nThe Locust data of the run are kept; judge it later with "
              f"`slobench evaluate results/latest --prometheus-url URL`.", file=sys.stderr)
        return Exit.CANNOT_JUDGE
    return _summary(run_dir, report, args.fail_on_drift)


def _repeated(args, settings: HarnessSettings, profile, spec) -> int:
    """--repeat N: the profile N times, each judged in its own run folder, then the repeat set's own report."""
    from slobench.pipeline import repeated
    if args.repeat < MIN_REPEATS:
        _say(f"note: {args.repeat} runs give the spread between them {args.repeat - 1} degree of freedom: pooled, "
             f"a share stays undecided unless results/ holds earlier runs like them; {MIN_REPEATS} or more decide "
             "far more often")
    set_dir, summary, reports = repeated(settings, profile, spec, Path(args.slo), args.baseline,
                                         None if args.no_drift else _drift_check(), args.repeat, log=_say)
    print()
    print((set_dir / names.REPEAT_REPORT_MD).read_text())
    print(f"repeat set: {set_dir / names.REPEAT_REPORT_MD} (runs: {', '.join(summary.runs)})")
    code = summary.verdict.exit_code
    if code != 0:
        return code
    # Each run through the same drift gate as a single run: a run that cannot be judged outweighs a drifted one.
    gates = [(run, *_drift_gate(r, args.fail_on_drift)) for run, r in zip(summary.runs, reports)]
    for run, gate, problem in gates:
        if problem:
            print(f"error: {run}: {problem}", file=sys.stderr)
    found = {gate for _, gate, _ in gates}
    return next((g for g in (Exit.CANNOT_JUDGE, Exit.DRIFT) if g in found), code)


def cmd_evaluate(args, settings: HarnessSettings) -> int:
    from slobench.judge import judge, output_dir
    run_dir = Path(args.run).resolve()
    if not run_dir.is_dir():
        print(f"error: {args.run}: no such run folder", file=sys.stderr)
        return Exit.CANNOT_JUDGE
    spec = load_slo(args.slo)
    drift = None
    if not args.no_drift:
        check = _drift_check()
        drift = lambda d, out: check(d, d / names.PREDICTIONS, out_dir=out)  # noqa: E731
    out_dir = output_dir(run_dir, spec, Path(args.slo))
    if out_dir != run_dir:
        print(f"the run was judged with another SLO file: its reports stay; this evaluation goes to {out_dir}")
    report = judge(run_dir, spec, args.prometheus_url, args.baseline, drift_check=drift, out_dir=out_dir)
    code = _summary(out_dir, report, args.fail_on_drift)
    print(f"history of runs: {write_index(run_dir.parent)}")
    return code


def cmd_report(args, settings: HarnessSettings) -> int:
    """Rebuild results/index.html; with --rerender, every run's report.html from its slo_report.json too."""
    results = Path(args.results or settings.results_dir)
    if not results.is_dir():
        print(f"error: {results}: no such results folder", file=sys.stderr)
        return Exit.CANNOT_JUDGE
    if args.rerender:
        redrawn, unreadable = rerender_all(results)
        for path in redrawn:
            print(f"redrawn: {path}")
        for why in unreadable:
            print(f"not redrawn: {why}", file=sys.stderr)
    print(f"history of runs: {write_index(results)}")
    for c in change_points.of_history(collect_history(results)[0]):
        print(f"change point: {c['profile']} {c['series']}: {c['before']:g} -> {c['after']:g} ({c['change']:+.1%}, "
              f"p = {c['p_value']:.1e}) from run {c['run']}")
    return Exit.PASS


def cmd_capacity(args, settings: HarnessSettings) -> int:
    """The profile's run with a larger refinement budget: its full reports, and the capacity interval."""
    from slobench.pipeline import loadtest
    from slobench.refine import for_capacity
    profile = for_capacity(load_profile(args.profile), args.budget_seconds, args.precision, args.step_seconds,
                           args.start_rps, args.looks)
    run_dir, report = loadtest(settings, profile, load_slo(args.slo), Path(args.slo), None,
                               _drift_check(), log=_say)
    code = _summary(run_dir, report)
    cap = report.capacity
    print(f"capacity: {cap.interval_rps} req/s" + (f" ({cap.width:.0%} wide)" if cap.width is not None
                                                     else "") + f", in {run_dir}")
    # The capacity is the answer asked for: the gate's verdict speaks only where the figures cannot be trusted or
    # the run did not finish (a run from --start-rps has no gated stage at all).
    if report.verdict.status in ("incomplete", "untrusted"):
        return code
    return Exit.PASS if cap.highest_passing_rps else Exit.FAIL


def cmd_ui(args, settings: HarnessSettings) -> int:
    from slobench.ui import serve
    return serve(settings, args.profile, load_profile(args.profile), load_slo(args.slo), _drift_check(), log=_say,
                 slo_path=Path(args.slo))


def cmd_worker(args, settings: HarnessSettings) -> int:
    from loadtests.run import run_worker
    from loadtests.profile import resolve
    log = settings.results_dir / f"worker-{args.master.replace(':', '_')}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    _say(f"Locust worker for the master at {args.master} (it runs the master's profile); log {log}; Ctrl-C to stop")
    # The master sends its profile when the worker joins; this one only starts the process.
    code = run_worker(resolve("smoke"), args.master, log, on_line=_say, request_log=settings.request_log)
    return Exit.PASS if code in (0, None) else Exit.CANNOT_JUDGE


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both stop a run cleanly (even where a shell started us with SIGINT ignored)."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)


# Errors whose message tells the user what to change (a file, a setting, a process): "error: ...", exit 2.
ACTIONABLE = (SpecError, EvaluationError, PrometheusError, StackError, BaselineError, TimelineError, ReportError)


def _at_least_one(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= n <= MAX_REPEATS:
        raise argparse.ArgumentTypeError(f"{n}: repeat between 1 and {MAX_REPEATS} times")
    return n


def cmd_dashboard(args, settings: HarnessSettings) -> int:
    from stack.dashboard import write
    spec = load_slo(args.slo)
    print(f"wrote {write(spec.latency_thresholds_s(), scope=spec.metrics.up_selector)}")
    return Exit.PASS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="slobench", description="Load-test a prediction API and judge it against its SLOs.")
    sub = parser.add_subparsers(dest="command", required=True)
    lt = sub.add_parser("loadtest", help="run a load profile end to end and judge it")
    lt.add_argument("--profile", default="default", help="profile name in loadtests/profiles/ or a YAML path")
    lt.add_argument("--repeat", type=_at_least_one, default=1,
                    help="run the profile N times and report each figure's median and spread (a repeat set)")
    ev = sub.add_parser("evaluate", help="re-judge a past run (from its saved Prometheus answers) against an SLO file")
    ev.add_argument("run", help="results/<run> folder")
    ev.add_argument("--prometheus-url", help="query this Prometheus again instead of the saved answers")
    ui = sub.add_parser("ui", help="Locust's web UI on 127.0.0.1:8089 against the local stack")
    ui.add_argument("--profile", default="default")
    cap = sub.add_parser("capacity", help="a run that refines its knee longer: the highest Poisson arrival rate that "
                                          "meets every objective, as an interval")
    cap.add_argument("--profile", default="default", help="the open-model profile whose ladder comes first")
    cap.add_argument("--start-rps", type=float, default=None,
                     help="instead of the profile's ladder, one step at this rate, then climb from it")
    cap.add_argument("--step-seconds", type=float, default=20, help="the shortest refinement step")
    cap.add_argument("--budget-seconds", type=float, default=300,
                     help="the refinement's wall time after the ladder (default 300)")
    cap.add_argument("--looks", type=int, default=1, choices=range(1, MAX_LOOKS + 1), metavar=f"1-{MAX_LOOKS}",
                     help="judge each step at this many looks while it runs and end it at the first that decides it "
                          "(default 1: at its end)")
    cap.add_argument("--precision", type=float, default=0.05,
                     help="stop once the interval is within this share of its low end (default 0.05)")
    wk = sub.add_parser("worker", help="a load-generator worker for a master on another host (make worker MASTER=...)")
    wk.add_argument("--master", required=True, help="the master's host[:port] (port 5557 by default)")
    rp = sub.add_parser("report", help="rebuild results/index.html, the history of runs (make report)")
    rp.add_argument("--results", help="the results folder (default RESULTS_DIR, results/)")
    rp.add_argument("--rerender", action="store_true", help="also redraw every run's report.html from its JSON")
    db = sub.add_parser("dashboard", help="write the Grafana dashboard with the SLO file's thresholds and scope")
    for p in (lt, ev, ui, cap, db):
        p.add_argument("--slo", default=str(DEFAULT_SLO_PATH), help="SLO file (default slo/slos.yaml)")
    for p in (lt, ev):
        p.add_argument("--baseline", type=Path, help="a previous run folder, or repeat set, to compare with")
        p.add_argument("--no-drift", action="store_true", help="skip the drift check")
        p.add_argument("--fail-on-drift", action="store_true",
                       help=f"exit {Exit.DRIFT} when the SLOs pass but the drift check says RETRAIN")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("loadtest", "ui", "capacity", "worker"):
        _stop_on_signals()
    try:
        settings = HarnessSettings()
        handler = {"loadtest": cmd_loadtest, "evaluate": cmd_evaluate, "ui": cmd_ui, "capacity": cmd_capacity,
                   "worker": cmd_worker, "report": cmd_report, "dashboard": cmd_dashboard}[args.command]
        code = handler(args, settings)
        if args.command in ("report", "dashboard"):
            return code
        # make turns every failing code into 2: this line keeps the meaning visible in its output.
        print(f"slobench: exit {code}: {MEANINGS.get(code, 'see the README')}", file=sys.stderr)
        return code
    except ValidationError as exc:
        print(environment_error(exc), file=sys.stderr)
    except ACTIONABLE as exc:
        print(f"error: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
    except Exception:  # noqa: BLE001 - anything else is ours to fix: say so, with the traceback
        traceback.print_exc()
        print(BUG_LINE, file=sys.stderr)
        return Exit.BUG
    return Exit.CANNOT_JUDGE
