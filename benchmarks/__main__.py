"""Print every benchmark figure of slobench, measured side by side in one run on this machine."""
from __future__ import annotations

import os
import platform

from benchmarks import api_throughput, drift_speed, inference, install_size


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
    print("Install size by role (site-packages):")
    for name, mb in install_size.measure().items():
        print(f"  {name:<32} {mb:>7,.0f} MiB")


if __name__ == "__main__":
    main()
