"""The live progress line of a run, printed by the Locust master (or the only process) at least every 2 s."""
from __future__ import annotations

from loadtests.profile import StageWindow

LIVE = "[slobench] live"
EVERY_S = 2.0


def live_line(w: StageWindow, stages: int, elapsed_s: float, users: int, rps: float, p95_ms: float | None,
              failures: int) -> str:
    """`[slobench] live stage 2/6 s2-1000rps: 12 s of 20 s (8 s left), 100 users, 998 req/s, client p95 4 ms,
    failures 0` for the stage running elapsed_s into the test."""
    into, length = elapsed_s - w.start_s, w.end_s - w.start_s
    p95 = f"{p95_ms:.0f} ms" if p95_ms else "-"
    return (f"{LIVE} stage {w.index + 1}/{stages} {w.name}: {into:.0f} s of {length:.0f} s ({length - into:.0f} s left), "
            f"{users} users, {rps:.0f} req/s, client p95 {p95}, failures {failures}")
