"""Print every benchmark figure of slobench, measured side by side in one run on this machine."""
from __future__ import annotations

import os
import platform

from benchmarks import api_throughput, drift_speed, generator, inference, install_size, instrument_error, report_render


def main() -> None:
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; "
          "server pinned to one core, wrk (1 thread, 32 connections) on another\n")
    rps = api_throughput.measure()
    bare = rps["bare FastAPI GET /json"]
    full = rps["/predict, metrics + recording"]
    off = rps["/predict, both off"]
    print("API throughput, one uvicorn worker (best of 2 x 8 s):")
    for name, value in rps.items():
        print(f"  {name:<32} {value:>9,.0f} req/s")
    print(f"  /predict vs bare route:          {full / bare:.2f}  (goal >= 0.60)")
    print(f"  metrics + recording overhead:    {(off - full) / off:+.1%} of throughput  (goal <= 10 %)\n")
    inf = inference.measure()
    print("Model inference alone (per prediction):")
    for name, value in inf.items():
        print(f"  {name:<22} {value:8.2f}")
    print()
    d = drift_speed.measure()
    print(f"Drift check on {d['rows']:,} recorded rows: {d['seconds']:.1f} s (goal < 15 s) -> {d['decision']}")
    print(f"Recording: {d['bytes_per_row']:.0f} bytes a prediction in SQLite, every field kept (goal < 150)\n")
    r = report_render.measure()
    print(f"report.html of a {r['seconds_of_run'] // 60}-minute run (1 s resolution, 6 stages): drawn up in "
          f"{r['render_s']:.2f} s, {r['html_mb']:.1f} MB (plotly.js {r['plotly_mb']:.1f} MB of it; "
          f"slo_report.json {r['json_mb']:.1f} MB)\n")
    long_s = int(os.environ.get("BENCH_LONG_S", "600"))
    g = generator.measure(long_s=long_s)
    print("Load generator, one process on one core, against a raw ASGI target on another:")
    for name, r in (("64 closed users (no think time)", g["closed"]), ("open dispatcher, 8,000/s, 64 in flight", g["open"])):
        print(f"  {name:<34} {r['rps']:>8,.0f} req/s at {r['cpu']:.2f} core: {r['per_cpu_s']:>7,.0f} req per CPU-second")
    print(f"  dispatcher / closed per CPU-second: {g['open']['per_cpu_s'] / g['closed']['per_cpu_s']:.2f}  (goal >= 0.90)")
    start, end = g["rss_mib"]
    print(f"  generator memory over a {g['long_s']} s run at its ceiling: RSS {start:.0f} MiB at start, {end:.0f} MiB "
          "at the end\n")
    m = instrument_error.measure()
    e, (low, high) = m["median"], m["range_ms"]
    parts = ", ".join(f"{k} {v:g} ms" for k, v in e["parts"].items())
    print(f"The instrument's own error: a target that answers at once, {e['rps']:,.0f} req/s open model, generator at "
          f"{e['generator_cores']:.2f} core (median of {len(m['runs'])} runs):\n  client p99 {e['client_p99_ms']:g} ms "
          f"- server p99 {e['server_p99_ms']:g} ms = {e['gap_ms']:g} ms, range {low:g} to {high:g} ms  (goal <= 1 ms)\n"
          f"  attributed: {parts}; generator loop lag p99 {e['loop_lag_p99_ms']} ms, send lag p99 "
          f"{e['send_lag_p99_ms']} ms, API loop lag p99 {e['api_lag_p99_ms']} ms\n")
    print("Install size by role (site-packages):")
    for name, mb in install_size.measure().items():
        print(f"  {name:<32} {mb:>7,.0f} MiB")


if __name__ == "__main__":
    main()
