"""Locust scenarios of the StreamFlow API, driven by a declared profile (SLOBENCH_PROFILE): the user classes, the
load shape and thin listeners. Each process's run lives on `environment.slobench` (loadtests/generator.py); what a
master and its workers say to each other, in loadtests/messages.py; the weighted tasks, in loadtests/tasks.py.

Run by loadtests/run.py, headless or with the web UI. The master (or the only process) writes the stage timeline
and the merged client figures, and prints one progress line per stage.
"""
from __future__ import annotations

import importlib
import sys

import gevent
from locust import LoadTestShape, constant, constant_throughput, events, task
from locust.contrib.fasthttp import FastHttpUser

from loadtests import process_settings
from loadtests.generator import Generator
from loadtests.open_model import OpenSchedule, Retimed, open_session
from loadtests.profile import shipped
from loadtests.shape import users_at

SETTINGS = process_settings.load()
# The sent-predictions writer runs in a native thread: a short GIL switch interval keeps it from holding the event
# loop that times requests for the default 5 ms at a time.
sys.setswitchinterval(0.0005)
# Extensions the harness plugs in (e.g. the live SLO tab of `make ui`), by module name.
for plugin in SETTINGS.plugins:
    importlib.import_module(plugin)


class ChurnApiUser(FastHttpUser):
    """One client of the API, waiting for each answer (closed model)."""

    host = "http://127.0.0.1:8000"

    def wait_time(self):
        rate = self.environment.slobench.profile.scenario.rate_per_user
        return (constant_throughput(rate) if rate > 0 else constant(0))(self)

    @task
    def ask(self):
        """One request, drawn by the scenario's weights (the profile taken last: the master may have sent its own)."""
        self.environment.slobench.scenario.pick()(self.client)


class ChurnApiOpenUser(FastHttpUser):
    """The open-model dispatcher of this process (loadtests/open_model.py)."""

    wait_time = constant(0)
    host = "http://127.0.0.1:8000"

    def __init__(self, environment):
        super().__init__(environment)
        g = environment.slobench
        self.schedule = OpenSchedule(g.profile, g.processes or SETTINGS.processes, on_arrival=g.figures.count_arrival,
                                     on_lag=lambda seconds: g.figures.lag("send", seconds),
                                     on_error=lambda exc: g.figures.sender_error(), windows_now=lambda: g.windows)
        self.retimed = Retimed(environment.events.request)
        self.open_client = open_session(self, self.retimed, g.profile.max_concurrency)

    @task
    def dispatch(self):
        g = self.environment.slobench
        # In one process the timeline's start is known here: the schedule's windows are then exactly its.
        self.schedule.run(lambda: g.scenario.pick()(self.open_client), self.retimed, g.wall_start)
        gevent.sleep(3600)  # the schedule is done; the shape ends the test


class StagedShape(LoadTestShape):
    """Steps through the profile's stages; pure in elapsed time."""

    def reset_time(self):
        g = self.runner.environment.slobench
        g.chosen_profile(self.runner)
        super().reset_time()
        g.begin()

    def tick(self):
        processes = getattr(self.runner, "worker_count", 1) or 1
        profile = self.runner.environment.slobench.profile
        step = users_at(profile, self.get_run_time(), processes)
        return None if step is None else (*step, [ChurnApiUser if profile.kind == "closed" else ChurnApiOpenUser])


@events.init_command_line_parser.add_listener
def _profile_option(parser):
    parser.add_argument(f"--{process_settings.PROFILE_OPTION.replace('_', '-')}", default=SETTINGS.profile,
                        include_in_web_ui=True,
                        help=f"the load profile START runs: one shipped ({', '.join(shipped())}) or a YAML file")


@events.init.add_listener
def _on_init(environment, **_):
    """This process's run on the environment (its role's generator), and its listeners bound to it."""
    g = environment.slobench = Generator.for_runner(SETTINGS, SETTINGS.profile_named(SETTINGS.profile),
                                                    environment.runner)
    environment.events.request.add_listener(g.on_request)
    environment.events.test_start.add_listener(lambda environment, **_: g.start(environment))
    environment.events.test_stop.add_listener(lambda environment, **_: g.stop(environment))
    environment.events.report_to_master.add_listener(
        lambda client_id, data, **_: data.update(slobench=g.figures.delta()))
    environment.events.worker_report.add_listener(
        lambda client_id, data, **_: g.merged.add(data["slobench"]) if "slobench" in data else None)
    environment.events.worker_connect.add_listener(lambda client_id, **_: _joined(g, client_id))


def _joined(g: Generator, client_id: str) -> None:
    g.joined.add(client_id)  # a worker lost mid-run still counts as expected
    print(f"[slobench] worker joined: {client_id}", flush=True)
