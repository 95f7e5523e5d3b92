"""Print every benchmark figure of slobench, measured side by side in one run on this machine, and keep them in
docs/benchmarks.md with the date, the machine and the commit: the one page the documentation quotes figures from."""
from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path

import psutil

from benchmarks import (answers_speed, api_throughput, drift_speed, generator_speed, inference, install_size,
                        instrument_error, known_knee, report_render)

PAGE = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
_lines: list[str] = []


def say(text: str = "") -> None:
    print(text, flush=True)
    _lines.append(text)


def _machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                  if line.startswith("model name")), "?") if cpuinfo.is_file() else platform.processor() or "?"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    return (f"{os.cpu_count()} x {model}, {psutil.virtual_memory().total / 2**30:.0f} GiB, {platform.platform()}, "
            f"Python {platform.python_version()}; commit {commit or '?'}")


def write_page() -> Path:
    PAGE.parent.mkdir(exist_ok=True)
    PAGE.write_text("# Measured figures\n\n"
                    f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, on {_machine()}.\n"
                    "Machines of this kind differ by up to 2x in speed: compare figures within one page, not across "
                    "pages. Each figure's method is in `benchmarks/`.\n\n```\n" + "\n".join(_lines) + "\n```\n")
    return PAGE


def main() -> None:
    say(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; "
          "server pinned to one core, wrk (1 thread, 32 connections) on another\n")
    rps = api_throughput.measure()
    bare = rps["bare FastAPI GET /json"]
    full = rps["/predict, metrics + recording"]
    off = rps["/predict, both off"]
    say("API throughput, one uvicorn worker (best of 2 x 8 s):")
    for name, value in rps.items():
        say(f"  {name:<32} {value:>9,.0f} req/s")
    say(f"  /predict vs bare route:          {full / bare:.2f}  (goal >= 0.60)")
    say(f"  metrics + recording overhead:    {(off - full) / off:+.1%} of throughput  (goal <= 10 %)")
    say(f"  forest, batches of 32 vs one a call: {rps['forest /predict, batches of 32'] / rps['forest /predict']:.2f}x "
        "the ceiling (wrk's 32 connections keep the queue full: the most batching can give)\n")
    inf = inference.measure()
    say("Model inference alone, microseconds a call (the linear scorer: pure Python; the forest: predict_proba):")
    for name, value in inf.items():
        say(f"  {name:<22} {value:10.1f}")
    say()
    d = drift_speed.measure()
    say(f"Drift check on {d['rows']:,} recorded rows: {d['seconds']:.1f} s (goal < 15 s) -> {d['decision']}")
    say(f"Recording: {d['bytes_per_row']:.0f} bytes a prediction in SQLite, every field kept (goal < 150)\n")
    a = answers_speed.measure()
    say(f"Every answer checked: {a['rows']:,} forest answers recomputed and compared in {a['check_s']:.1f} s (goal: "
        f"under 10 % of a default run's 4 to 5 minutes); the model's AUC estimated on them in {a['assess_s']:.1f} s\n")
    r = report_render.measure()
    say(f"report.html of a {r['seconds_of_run'] // 60}-minute run (1 s resolution, 6 stages): drawn up in "
          f"{r['render_s']:.2f} s, {r['html_mb']:.1f} MB (plotly.js {r['plotly_mb']:.1f} MB of it; "
          f"slo_report.json {r['json_mb']:.1f} MB)\n")
    long_s = int(os.environ.get("BENCH_LONG_S", "600"))
    g = generator_speed.measure(long_s=long_s)
    say("Load generator, one process on one core, against a raw ASGI target on another:")
    for name, r in (("64 closed users (no think time)", g["closed"]), ("open dispatcher, 8,000/s, 64 in flight", g["open"])):
        say(f"  {name:<34} {r['rps']:>8,.0f} req/s at {r['cpu']:.2f} core: {r['per_cpu_s']:>7,.0f} req per CPU-second")
    say(f"  dispatcher / closed per CPU-second: {g['open']['per_cpu_s'] / g['closed']['per_cpu_s']:.2f}  (goal >= 0.90)")
    start, end = g["rss_mib"]
    say(f"  generator memory over a {g['long_s']} s run at its ceiling: RSS {start:.0f} MiB at start, {end:.0f} MiB "
          "at the end\n")
    m = instrument_error.measure()
    e, (low, high) = m["median"], m["range_ms"]
    parts = ", ".join(f"{k} {v:g} ms" for k, v in e["parts"].items())
    say(f"The instrument's own error: a target that answers at once, {e['rps']:,.0f} req/s open model, generator at "
          f"{e['generator_cores']:.2f} core (median of {len(m['runs'])} runs):\n  client p99 {e['client_p99_ms']:g} ms "
          f"- server p99 {e['server_p99_ms']:g} ms = {e['gap_ms']:g} ms, range {low:g} to {high:g} ms  (goal <= 1 ms)\n"
          f"  attributed: {parts}; generator loop lag p99 {e['loop_lag_p99_ms']} ms, send lag p99 "
          f"{e['send_lag_p99_ms']} ms, API loop lag p99 {e['api_lag_p99_ms']} ms\n")
    runs = int(os.environ.get("BENCH_KNEE_RUNS", "1"))
    k = known_knee.measure(runs=runs, log=lambda *_: None)
    say(f"The README's run against a target whose knee is known (an M/M/1 queue, {k['service_ms']:g} ms a request, "
        f"knee {k['knee_rps']} req/s of the mix; a run says whether it held it, make coverage how often):")
    for n, r in enumerate(k["runs"], 1):
        width = f"width {r['width']:.0%} of its low end" if r["width"] is not None else "not closed"
        say(f"  run {n}: exit {r['exit_code']}, capacity {r['interval_rps']} req/s "
            f"({'holds' if r['held'] else 'misses'} the knee), {width}, {r['wall_s']:.0f} s")
    say()
    say("Install size by role (site-packages):")
    for name, mb in install_size.measure().items():
        say(f"  {name:<32} {mb:>7,.0f} MiB")
    print(f"\nwritten to {write_page()}")


if __name__ == "__main__":
    main()
