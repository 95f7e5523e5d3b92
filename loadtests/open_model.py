"""Open-model load: requests start on a Poisson (or constant) schedule whether earlier ones answered or not.

One dispatcher user per Locust process. Latency is measured from each request's intended start, so a
slow API cannot hide its slowness by slowing the load down (coordinated omission); the request event
carries it to the process's client figures (loadtests/client_figures.py, HDR histograms per stage).
Arrivals that find max_concurrency requests in flight are dropped, and counted with the sent ones.
"""
from __future__ import annotations

import random
import time

import gevent

from loadtests import clock
from loadtests.profile import Profile
from loadtests.windows import StageWindow, window_at

HOLD_POLL_S = 0.25   # how often a held dispatcher looks whether the hold moved or ended


class Retimed:
    """Stands in for Locust's request event: re-times each request from its intended start, then fires."""

    def __init__(self, event):
        self.event, self.intended = event, {}

    def fire(self, **meta):
        intended = self.intended.pop(gevent.getcurrent(), None)
        if intended is not None:
            meta["response_time"] = (time.perf_counter() - intended) * 1000
        self.event.fire(**meta)


def open_session(user, request_event, concurrency: int):
    """The dispatcher's client: one pool of `concurrency` connections, with FastHttpUser's own timeouts (60 s) and no
    retry, as a FastHttpUser's client has. A session built bare takes geventhttpclient's defaults instead, 5 s and
    three retries: every request whose answer took over 5 s was sent again, up to four times, exactly where the queue
    builds. After a minute of other work on the API's core, the API still served requests sent again 22 s before,
    which no client waited for any more, and the run spent 22 s of its budget waiting for that queue to drain."""
    from locust.contrib.fasthttp import FastHttpSession   # here: importing Locust patches the process for gevent
    return FastHttpSession(base_url=user.host, request_event=request_event, user=user, concurrency=concurrency,
                           network_timeout=user.network_timeout, connection_timeout=user.connection_timeout,
                           max_retries=0)


class OpenSchedule:
    """The arrival schedule of one process. Sent and dropped arrivals are counted (on_arrival) in each stage's
    measured window only (ramp and settle excluded), the window the server's figures cover, by intended start.
    """

    def __init__(self, profile: Profile, processes: int, seed: int | None = None, on_arrival=None, on_lag=None,
                 on_error=None, windows_now=None):
        self.profile, self.processes = profile, max(1, processes)
        self.rng = random.Random(seed)
        self.t0 = None
        self.wall_t0 = None
        self.windows = profile.windows()
        # windows_now(): the stage windows as they stand, asked at each arrival; a stage ended at a look moves them
        # (loadtests/decisions.py). Without it, the profile's own.
        self.windows_now = windows_now or (lambda: self.windows)
        self.in_flight = 0
        # on_error(exception): an arrival counted as sent whose sender raised, so it never became a request.
        self.on_error = on_error or (lambda exc: None)
        # on_arrival(stage index, dropped): the process's client figures count what was sent and dropped.
        self.on_arrival = on_arrival or (lambda stage, dropped: None)
        # on_lag(seconds): how late a request started against its intended start (the generator's own error).
        self.on_lag = on_lag or (lambda seconds: None)

    def measured_stage_at(self, t: float) -> int | None:
        """The stage whose measured window holds t, or None (ramp, settle, or after the last stage)."""
        w = window_at(self.windows, t - self.t0, measured=True)
        return None if w is None else w.index

    def start(self, wall_start: float | None = None) -> None:
        """Anchor the schedule: at the run's wall-clock start when known (so its windows are the timeline's), else now."""
        now_wall, now = clock.now(), time.perf_counter()
        self.wall_t0 = wall_start if wall_start is not None else now_wall
        self.t0 = now - (now_wall - self.wall_t0)

    def gap(self, window: StageWindow) -> float:
        rate = window.offered_rps / self.processes
        return self.rng.expovariate(rate) if self.profile.arrival == "poisson" else 1.0 / rate

    def run(self, send, retimed: Retimed, wall_start: float | None = None) -> None:
        """Dispatch until the last stage ends; send(intended) performs one request.

        The hot loop of the open model: one raw greenlet per request and a plain in-flight count (a gevent
        Pool costs a semaphore and a set per request), the stage looked up once per arrival."""
        self.start(wall_start)
        limit, windows_now, t0 = self.profile.max_concurrency, self.windows_now, self.t0
        intended = max(t0, time.perf_counter())
        windows = windows_now()
        stage = window_at(windows, intended - t0)
        while stage is not None:
            intended += self.gap(stage)
            delay = intended - time.perf_counter()
            if delay > 0:
                gevent.sleep(delay)
            elapsed = intended - t0
            if elapsed >= stage.end_s or windows_now() is not windows:
                windows = self.windows = windows_now()
                stage = window_at(windows, elapsed)
                if stage is None:
                    break
            if not stage.sends_at(elapsed):   # held (loadtests/holds.py): nothing is sent until it runs again
                gevent.sleep(HOLD_POLL_S)
                intended = max(intended, time.perf_counter())
                continue
            measured = stage.index if elapsed >= stage.measure_from_s else None
            if self.in_flight >= limit:
                if measured is not None:
                    self.on_arrival(measured, True)
                continue
            if measured is not None:
                self.on_arrival(measured, False)
            self.in_flight += 1
            gevent.spawn_raw(self._one, send, retimed, intended)
        deadline = time.perf_counter() + 30
        while self.in_flight and time.perf_counter() < deadline:
            gevent.sleep(0.05)

    def _one(self, send, retimed, intended):
        me = gevent.getcurrent()
        retimed.intended[me] = intended
        self.on_lag(max(0.0, time.perf_counter() - intended))
        try:
            send()
        except Exception as exc:  # noqa: BLE001 - a raw greenlet must not die loudly: counted, not swallowed
            self.on_error(exc)
        finally:
            retimed.intended.pop(me, None)
            self.in_flight -= 1
