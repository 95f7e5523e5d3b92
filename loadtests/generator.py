"""One Locust process's run, one class per role as Locust's runners are: a local process sends the load and writes
the run folder, a master writes it from its workers' figures, a worker sends. Each keeps the profile it runs, its
scenario, its recorders and, by role, the run folder, the stage progress and its own probes. Locust's Environment
holds it (`environment.slobench`); the listeners in locustfile.py and the web UI's plugins read it there."""
from __future__ import annotations

import time
from pathlib import Path

import gevent
from locust.runners import MasterRunner, WorkerRunner

from loadtests import clock, handshake, timeline
from loadtests.client_figures import Merger, StageRecorder
from loadtests.decisions import HarnessDecisions
from loadtests.messages import MasterMessages, WorkerMessages
from loadtests.profile import Profile
from loadtests.progress import StageProgress
from loadtests.requestlog import RequestLog
from loadtests.sent import SentRecorder
from loadtests.process_settings import PROFILE_OPTION, LocustProcessSettings
from loadtests.shape import stage_index_at
from loadtests.stop_signal import sigint_deferred
from loadtests.tasks import Tasks
from runfolder import files, names

PROBE_S = 0.02  # the event-loop probe's period: 50 wake-ups a second


class Generator:
    """What this process keeps for its test, whatever its role: built at Locust's init, renewed at each test start.
    for_runner picks the role's class."""

    def __init__(self, settings: LocustProcessSettings, profile: Profile):
        self.settings = settings
        self.profile_source = settings.profile
        self.take(profile)
        self.figures = StageRecorder(profile)   # this process's client figures, sent to the master as they come
        self.merged = Merger()                  # the master's (or the only process's) merge of every process's
        self.log, self.sent = None, None
        self.run_dir: Path | None = None
        self.processes: int | None = None       # among how many processes the open model splits its rate
        self.clock: dict | None = None          # a worker's offset from the master's clock
        self.wall_steps = clock.WallSteps()     # where the machine's wall clock stepped during the test
        self.profile_taken = False
        self.final_sent = False
        self.finals: set[str] = set()
        self.joined: set[str] = set()           # a worker lost mid-run still counts as expected
        self.progress: StageProgress | None = None   # a process that writes the run folder: its progress loop
        self.greenlets: list = []
        self.messages = None
        self.decisions = HarnessDecisions(self)   # stages the harness ended or held while the load runs
        self._windows: tuple = (None, [])       # (the profile they are of, its stage windows)

    @staticmethod
    def for_runner(settings: LocustProcessSettings, profile: Profile, runner) -> Generator:
        """The role's generator, with its messages to the other role (loadtests/messages.py) where it has one."""
        if isinstance(runner, MasterRunner):
            g = MasterGenerator(settings, profile)
            g.messages = MasterMessages(g, runner)
        elif isinstance(runner, WorkerRunner):
            g = WorkerGenerator(settings, profile)
            g.messages = WorkerMessages(g, runner)
        else:
            g = LocalGenerator(settings, profile)
        return g

    @property
    def wall_start(self) -> float | None:
        """When the test's stage windows started, on this process's clock (None between tests): kept once, by the
        recorder that places every request in its window."""
        return self.figures.wall_start

    @wall_start.setter
    def wall_start(self, value: float | None) -> None:
        self.figures.wall_start = value

    @property
    def windows(self) -> list:
        """The stage windows of the profile this process runs, as they stand (a stage ended at a look moves them)."""
        if self._windows[0] is not self.profile:
            self._windows = (self.profile, self.profile.windows())
        return self._windows[1]

    def take(self, profile: Profile) -> None:
        """Run `profile` from the next test on: its traffic tables and task weights (the next test start builds
        its figures and recorder from it)."""
        self.profile = profile
        self.scenario = Tasks(profile, self.keep)

    def keep(self, response, endpoint: str, user_id: str | None, features_json: str, request_id: str,
             latency_s: float) -> None:
        """Record a 2xx answer's inputs (what was sent), its outputs when the body carries them, and its latency."""
        if 200 <= (getattr(response, "status_code", 0) or 0) < 300:
            self.sent.answer(request_id, endpoint, user_id, features_json, response.text, latency_s)

    def chosen_profile(self, runner) -> Profile | None:
        """The profile a web UI start form named, taken before its test starts (checked there already); None when
        it is the one running."""
        chosen = getattr(runner.environment.parsed_options, PROFILE_OPTION, None)
        if not chosen or chosen == self.profile_source:
            return None
        self.take(self.settings.profile_named(chosen))
        self.profile_source = chosen
        print(f"[slobench] the web UI's start form chose profile {self.profile.name}", flush=True)
        return self.profile

    def begin(self) -> None:
        """The load shape's clock starts: the stage windows start now (and where the machine's wall clock lies)."""
        self.wall_start = clock.now()
        self.wall_steps = clock.WallSteps()
        self.wall_steps.sample()

    def on_request(self, request_type, name, response_time, response_length, exception, response=None, **_):
        status = getattr(response, "status_code", 0) or 0
        ts = clock.now()  # one stamp: the merged figures and the debug log place the request in the same window
        self.figures.add(name, response_time, exception is None, status, ts)
        if self.log is not None:
            self.log.add(name, response_time, exception is None, status, ts)

    def start(self, environment) -> None:
        """A test starts: fresh recorders (the windows' start kept: the shape may have set it already)."""
        self.log = RequestLog() if self.settings.request_log else None
        self.sent = SentRecorder(self.settings.spool, self.profile.scenario.outputs)
        wall_start, self.figures = self.wall_start, StageRecorder(self.profile)
        self.wall_start = wall_start
        self.merged, self.finals = Merger(), set()

    def stop(self, environment) -> None:
        """A test stops: the windows' start forgotten until the next."""
        self.wall_start = None

    def _start_sending(self) -> None:
        """A process that sends requests samples its CPU and probes its event loop."""
        self.greenlets = [gevent.spawn(self._cpu_sampler), gevent.spawn(self._loop_lag_probe)]

    def _stop_sending(self) -> None:
        for greenlet in self.greenlets:
            greenlet.kill()
        if self.greenlets:
            self.figures.sample_cpu()
        self.greenlets = []

    def _close_recorders(self) -> None:
        self.sent.close()
        if self.log is not None:
            self.settings.spool.mkdir(parents=True, exist_ok=True)
            self.log.save(self.settings.spool)

    def _start_writing(self, environment) -> None:
        """A process that writes the run folder: a new one, the profile this test runs (the web UI's start form may
        have chosen it), and the progress loop."""
        self.run_dir = self._new_run_dir()
        if self.run_dir:
            (self.run_dir / names.PROFILE).write_text(self.profile.model_dump_json(indent=1) + "\n")
        self.progress = StageProgress(self, environment)
        gevent.spawn(self.progress.run)

    def _finish_writing(self, environment) -> None:
        """The timeline, the merged figures and the marker the runner waits for, whole even where the stop signal
        arrives meanwhile (sigint_deferred)."""
        if not (self.run_dir and self.wall_start and self.progress):
            return
        with sigint_deferred():
            self._write_finals(environment)

    def _write_finals(self, environment) -> None:
        # The shape may end the test before the progress loop saw the last stage finish.
        reached = stage_index_at(self.profile, clock.now() - self.wall_start)
        self.progress.finish(len(self.profile.stages) - 1 if reached is None else reached - 1)
        self.write_timeline()
        self._gather_finals(environment.runner)
        self.merged.save(self.run_dir)
        # The runner watches for this marker to collect the reports (headless and web UI alike).
        files.LOCUST_DONE.write(self.run_dir, {"stopped_at": clock.now()})

    def write_timeline(self) -> None:
        """stages.json as far as the test got, its windows on the machine's wall clock (clock.WallSteps)."""
        files.TIMELINE.write(self.run_dir, timeline.build(self.profile, self.wall_start, steps=self.wall_steps))

    def _gather_finals(self, runner) -> None:
        """Where the merged figures come from besides what this process merged: nothing but on a master."""

    def offer(self) -> dict:
        return handshake.offer(self.profile)

    def _loop_lag_probe(self):
        """How late this process's gevent hub wakes a sleeping greenlet: the delay every request it times may
        carry."""
        while True:
            before = time.perf_counter()
            gevent.sleep(PROBE_S)
            self.figures.lag("loop", max(0.0, time.perf_counter() - before - PROBE_S))

    def _cpu_sampler(self):
        while True:
            self.figures.sample_cpu()
            gevent.sleep(0.5)

    def _new_run_dir(self) -> Path | None:
        if self.settings.run_dir:
            return self.settings.run_dir
        results = self.settings.results_dir
        if not results:
            return None
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        path = Path(results) / f"{stamp}-{self.profile.name}-ui"
        path.mkdir(parents=True, exist_ok=True)
        (Path(results) / ".ui-pending").write_text(str(path) + "\n")
        return path


class LocalGenerator(Generator):
    """The only process: it sends the load and writes the run folder."""

    def start(self, environment) -> None:
        super().start(environment)
        self._start_writing(environment)
        self._start_sending()

    def stop(self, environment) -> None:
        with sigint_deferred():   # the answers recorded and the figures: whole, whenever the stop signal comes
            self._stop_sending()
            self.merged.add(self.figures.delta())
            self._close_recorders()
            self._finish_writing(environment)
        super().stop(environment)


class MasterGenerator(Generator):
    """A master: it sends nothing; it hands its profile to the workers, tells them when the windows start, and
    writes the run folder from their figures."""

    def chosen_profile(self, runner) -> Profile | None:
        chosen = super().chosen_profile(runner)
        if chosen:  # to the workers before the start message
            self.messages.profile_chosen()
        return chosen

    def begin(self) -> None:
        super().begin()
        # Before any spawn message: the workers place their requests in the same stage windows.
        self.messages.start(self.wall_start)

    def start(self, environment) -> None:
        super().start(environment)
        self._start_writing(environment)

    def stop(self, environment) -> None:
        self._finish_writing(environment)
        super().stop(environment)

    def _gather_finals(self, runner, timeout: float = 10.0) -> None:
        """Wait (bounded) for every worker's final figures before the merged file is written."""
        deadline = clock.now() + timeout
        while len(self.finals) < runner.worker_count and clock.now() < deadline:
            gevent.sleep(0.1)
        expected = max(runner.worker_count, len(self.joined))
        self.merged.finals = {"expected": expected, "received": len(self.finals)}
        if len(self.finals) < expected:
            print(f"[slobench] only {len(self.finals)} of {expected} workers sent their final figures", flush=True)


class WorkerGenerator(Generator):
    """A worker: it sends its share of the load in the master's windows and sends its figures to the master."""

    def start(self, environment) -> None:
        super().start(environment)
        self._start_sending()

    def stop(self, environment) -> None:
        self._stop_sending()
        self.messages.send_final()  # before the worker reports it stopped: the master has it at its own test_stop
        self._close_recorders()
        super().stop(environment)
