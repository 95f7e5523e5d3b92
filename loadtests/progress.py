"""A run's progress, kept by the Locust master (or the only process): a live line at least every 2 s, a line per
finished stage, the timeline kept current, and the stages a look decided taken as they come."""
from __future__ import annotations

from typing import TYPE_CHECKING

import gevent

from loadtests import clock
from loadtests.windows import StageWindow, window_at
from loadtests.shape import stage_index_at

if TYPE_CHECKING:  # the generator that writes the run folder starts it (Generator._start_writing)
    from loadtests.generator import Generator

LIVE = "[slobench] live"
EVERY_S = 2.0


def live_line(w: StageWindow, stages: int, elapsed_s: float, users: int, rps: float, p95_ms: float | None,
              failures: int) -> str:
    """`[slobench] live stage 2/6 s2-1000rps: 12 s of 20 s (8 s left), 100 users, 998 req/s, client p95 4 ms,
    failures 0` for the stage running elapsed_s into the test."""
    into, length = elapsed_s - w.start_s, w.end_s - w.start_s
    if not w.sends_at(elapsed_s):   # held (loadtests/holds.py): how long so far, its end still moving
        return (f"{LIVE} stage {w.index + 1}/{stages} {w.name}: held for {elapsed_s - w.held_from_s:.0f} s (other "
                f"work took the API's core), {rps:.0f} req/s served of the queue it left")
    p95 = f"{p95_ms:.0f} ms" if p95_ms else "-"
    return (f"{LIVE} stage {w.index + 1}/{stages} {w.name}: {into:.0f} s of {length:.0f} s ({length - into:.0f} s left), "
            f"{users} users, {rps:.0f} req/s, client p95 {p95}, failures {failures}")


class StageProgress:
    """One test's progress, for the generator that writes its run folder: `run` is its loop, `finish` prints what
    the loop had not printed when the test stopped."""

    def __init__(self, generator: Generator, environment):
        self.g, self.environment = generator, environment
        self.printed = -1
        self.start_count: dict[int, tuple[int, float]] = {}   # stage -> (requests, when) at its measured start

    def run(self) -> None:
        """One line per finished stage, a live line every few seconds, and the timeline kept up to date (a Locust
        killed mid-stage leaves where it got to)."""
        g, environment = self.g, self.environment
        while g.wall_start is None:
            gevent.sleep(0.1)
        last_live = 0.0
        while True:
            g.wall_steps.sample()
            g.decisions.read()
            windows = g.windows
            elapsed = clock.now() - g.wall_start
            g.merged.series.sample_users(clock.now(), environment.runner.user_count)
            if clock.now() - last_live >= EVERY_S - 0.25:
                last_live = clock.now()
                w = window_at(windows, elapsed)
                if g.run_dir:
                    g.write_timeline()
                if w is not None:
                    total = environment.stats.total
                    print(live_line(w, len(windows), elapsed, environment.runner.user_count, total.current_rps,
                                    total.get_current_response_time_percentile(0.95), total.num_failures), flush=True)
            for w in windows:
                if w.index not in self.start_count and elapsed >= w.measure_from_s:
                    self.start_count[w.index] = (environment.stats.total.num_requests, clock.now())
            current = stage_index_at(g.profile, elapsed)
            self.finish(len(windows) - 1 if current is None else current - 1)
            if current is None:
                return
            gevent.sleep(0.5)

    def finish(self, upto: int) -> None:
        """Print the line of every stage up to `upto` not printed yet; keep stages.json current."""
        while self.printed < upto:
            self.printed += 1
            print(self.stage_line(self.printed), flush=True)
            if self.g.run_dir:
                self.g.write_timeline()

    def stage_line(self, index: int) -> str:
        g, windows = self.g, self.g.windows
        w, total = windows[index], self.environment.stats.total
        n0, t0 = self.start_count.get(w.index, (0, g.wall_start))
        rps = (total.num_requests - n0) / max(clock.now() - t0, 1e-9)
        offered = f"{w.offered_rps:.0f}" if w.offered_rps else "open"
        return (f"[slobench] stage {index + 1}/{len(windows)} {w.name}: {w.users} users, offered {offered} req/s, "
                f"achieved {rps:.0f} req/s, p95 {total.get_current_response_time_percentile(0.95) or 0:.0f} ms "
                f"(last 10 s), failures {total.num_failures}")
