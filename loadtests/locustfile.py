"""Locust scenarios of the StreamFlow API, driven by a declared profile (SLOBENCH_PROFILE).

Run by loadtests/run.py, headless or with the web UI. Each process logs its requests; the master
(or the only process) writes the stage timeline and prints one progress line per stage.
"""
from __future__ import annotations

import gc
import importlib
import json
import random
import sys
import time
import uuid
from pathlib import Path

import gevent
from locust import LoadTestShape, constant, constant_throughput, events, task
from locust.contrib.fasthttp import FastHttpSession, FastHttpUser
from locust.runners import MasterRunner, WorkerRunner

from loadtests import clock, handshake, settings as process_settings, timeline
from loadtests.client_figures import Merger, StageRecorder
from loadtests.open_model import OpenSchedule, Retimed
from loadtests.profile import Profile, load_profile, shipped, window_at
from loadtests.progress import EVERY_S, live_line
from loadtests.requestlog import RequestLog
from loadtests.sent import SentRecorder
from loadtests.shape import stage_index_at, users_at
from loadtests.traffic import load_traffic

SETTINGS = process_settings.load()
# The sent-predictions writer runs in a native thread: a short GIL switch interval keeps it from holding the event
# loop that times requests for the default 5 ms at a time.
sys.setswitchinterval(0.0005)
PROFILE = load_profile(SETTINGS.profile)
# Extensions the harness plugs in (e.g. the live SLO tab of `make ui`), by module name.
for _plugin in SETTINGS.plugins:
    importlib.import_module(_plugin)
SPOOL = SETTINGS.spool

def _traffic(profile: Profile) -> tuple:
    """(user ids, payloads, each user's features as JSON, each payload as JSON) the profile's scenario draws from:
    for /predict by user id, that user's 14 features in the snapshot the generator draws from (what a served
    prediction's inputs are), for drift against any API; serialized once."""
    ids, payloads = load_traffic(profile.scenario.traffic)
    serving = payloads if profile.scenario.traffic == "serving" else load_traffic("serving")[1]
    return ids, payloads, {u: json.dumps(f) for u, f in zip(ids, serving)}, [json.dumps(p) for p in payloads]


def _freeze_heap() -> None:
    """Move what is loaded so far out of the garbage collector's sight: a full collection over the traffic tables
    stalls the loop that times requests for about 50 ms (54 ms measured after import)."""
    gc.collect()
    gc.freeze()


IDS, PAYLOADS, _USER_FEATURES, _PAYLOAD_JSON = _traffic(PROFILE)
_freeze_heap()
_log = RequestLog() if SETTINGS.request_log else None  # the raw per-request log: a debug option
_sent = SentRecorder(SPOOL, PROFILE.scenario.outputs)
_figures = StageRecorder(PROFILE)   # this process's client figures, sent to the master as they come
_merged = Merger()                  # the master's (or the only process's) merge of every process's figures
_state: dict = {"wall_start": None, "run_dir": None, "final_sent": False, "finals": set(), "joined": set(),
               "clock": None, "profile_taken": False, "profile_source": SETTINGS.profile}
CLOCK_ROUNDS = 5   # hello round trips a worker makes when it joins: the shortest measures its clock offset


def _take(profile: Profile) -> None:
    """Run `profile` from the next test on: its traffic tables loaded and its task weights (the next test start
    builds its figures and recorder from it)."""
    global PROFILE, IDS, PAYLOADS, _USER_FEATURES, _PAYLOAD_JSON, _WEIGHTED
    PROFILE = profile
    IDS, PAYLOADS, _USER_FEATURES, _PAYLOAD_JSON = _traffic(PROFILE)
    _WEIGHTED = _weighted(PROFILE)
    _freeze_heap()


@events.init_command_line_parser.add_listener
def _profile_option(parser):
    parser.add_argument(f"--{process_settings.PROFILE_OPTION.replace('_', '-')}", default=SETTINGS.profile,
                        include_in_web_ui=True,
                        help=f"the load profile START runs: one shipped ({', '.join(shipped())}) or a YAML file")


def _chosen_profile(runner) -> None:
    """A test started from the web UI runs the profile its start form names (checked there before it starts);
    the master hands it to its workers before the start message."""
    chosen = getattr(runner.environment.parsed_options, process_settings.PROFILE_OPTION, None)
    if not chosen or chosen == _state["profile_source"]:
        return
    _take(load_profile(chosen))
    _state["profile_source"] = chosen
    print(f"[slobench] the web UI's start form chose profile {PROFILE.name}", flush=True)
    if isinstance(runner, MasterRunner):
        runner.send_message("slobench_profile", handshake.offer(PROFILE))


def _keep(response, endpoint: str, user_id: str | None, features_json: str, request_id: str) -> None:
    """Record a 2xx answer's inputs (what was sent), and its outputs when the body carries them."""
    if 200 <= (getattr(response, "status_code", 0) or 0) < 300:
        _sent.answer(request_id, endpoint, user_id, features_json, response.text)


def _predict_user(client):
    user, rid = random.choice(IDS), uuid.uuid4().hex
    _keep(client.post("/predict", json={"user_id": user}, name="/predict", headers={"X-Request-ID": rid}),
          "/predict", user, _USER_FEATURES[user], rid)


def _predict_features(client):
    i, rid = random.randrange(len(PAYLOADS)), uuid.uuid4().hex
    _keep(client.post("/predict/features", json=PAYLOADS[i], name="/predict/features", headers={"X-Request-ID": rid}),
          "/predict/features", None, _PAYLOAD_JSON[i], rid)


def _health(client):
    client.get("/health", name="/health")


# Every request is named by its route, as the API's endpoint label.
_TASKS = {"predict_user": _predict_user, "predict_features": _predict_features, "health": _health}


def _weighted(profile: Profile) -> tuple[tuple, tuple]:
    """(tasks, weights) of the profile's scenario, the tasks with no weight left out."""
    return tuple(zip(*[(_TASKS[n], w) for n, w in profile.scenario.weights.items() if w > 0]))


_WEIGHTED = _weighted(PROFILE)


def _pick():
    """One task at random by the profile's weights (the profile taken last: the master may have sent its own)."""
    return random.choices(*_WEIGHTED)[0]


class ChurnApiUser(FastHttpUser):
    """One client of the API, waiting for each answer (closed model)."""

    host = "http://127.0.0.1:8000"

    def wait_time(self):
        rate = PROFILE.scenario.rate_per_user
        return (constant_throughput(rate) if rate > 0 else constant(0))(self)

    @task
    def one(self):
        _pick()(self.client)


class ChurnApiOpenUser(FastHttpUser):
    """The open-model dispatcher of this process (loadtests/open_model.py)."""

    wait_time = constant(0)
    host = "http://127.0.0.1:8000"

    def __init__(self, environment):
        super().__init__(environment)
        self.schedule = OpenSchedule(PROFILE, _state.get("processes") or SETTINGS.processes,
                                     on_arrival=_figures.count_arrival,
                                     on_lag=lambda seconds: _figures.lag("send", seconds),
                                     on_error=lambda exc: _figures.sender_error())
        self.retimed = Retimed(environment.events.request)
        self.open_client = FastHttpSession(base_url=self.host, request_event=self.retimed, user=self,
                                           concurrency=PROFILE.max_concurrency)

    @task
    def dispatch(self):
        # In one process the timeline's start is known here: the schedule's windows are then exactly its.
        self.schedule.run(lambda: _pick()(self.open_client), self.retimed, _state["wall_start"])
        gevent.sleep(3600)  # the schedule is done; the shape ends the test


class StagedShape(LoadTestShape):
    """Steps through the profile's stages; pure in elapsed time."""

    def reset_time(self):
        _chosen_profile(self.runner)
        super().reset_time()
        _state["wall_start"] = _figures.wall_start = clock.now()
        if isinstance(self.runner, MasterRunner):
            # Before any spawn message: the workers place their requests in the same stage windows.
            self.runner.send_message("slobench_start", {"wall_start": _state["wall_start"],
                                                        "processes": self.runner.worker_count})

    def tick(self):
        processes = getattr(self.runner, "worker_count", 1) or 1
        step = users_at(PROFILE, self.get_run_time(), processes)
        return None if step is None else (*step, [ChurnApiUser if PROFILE.kind == "closed" else ChurnApiOpenUser])


@events.request.add_listener
def _on_request(request_type, name, response_time, response_length, exception, response=None, **_):
    status = getattr(response, "status_code", 0) or 0
    ts = clock.now()  # one stamp: the merged figures and the debug log place the request in the same window
    _figures.add(name, response_time, exception is None, status, ts)
    if _log is not None:
        _log.add(name, response_time, exception is None, status, ts)


@events.init.add_listener
def _on_init(environment, **_):
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        def on_start(environment, msg, **_):
            # The master's start on this worker's clock: the windows are placed as the master places them.
            wall_start = msg.data["wall_start"] - (_state["clock"] or {}).get("offset_s", 0.0)
            _state["wall_start"] = _figures.wall_start = wall_start
            _state["processes"] = msg.data.get("processes")  # the open model splits its rate among them
            _state["final_sent"] = False
            # In a headless run the master quits as the profile ends and keeps listening half a second only:
            # each worker sends its final figures on its own when the last stage is over.
            gevent.spawn_later(max(0.0, wall_start + PROFILE.total_s + 0.3 - clock.now()), _send_final,
                               environment.runner)
        runner.register_message("slobench_start", on_start)

        def on_profile(environment, msg, **_):
            if "sent" in msg.data:  # an answer to this worker's hello: it also measures the clock
                offset_s, rtt_s = clock.offset(msg.data["sent"], msg.data["master_time"], clock.now())
                if _state["clock"] is None or rtt_s < _state["clock"]["rtt_s"]:  # the tightest exchange wins
                    _state["clock"] = {"offset_s": offset_s, "rtt_s": rtt_s}
            if PROFILE.model_dump(mode="json") == msg.data["profile"] and _state["profile_taken"]:
                return  # a later exchange: only the clock was measured again
            profile, refused = handshake.accept(msg.data)
            if refused:
                print(f"[slobench] refused by this worker: {refused}", flush=True)
                environment.runner.send_message("slobench_refused", {"reason": refused,
                                                                     "worker": _figures.worker})
                gevent.spawn_later(0.5, environment.runner.quit)
                return
            _take(profile)
            _state["profile_taken"] = True
            print(f"[slobench] worker runs the master's profile {PROFILE.name}", flush=True)
        runner.register_message("slobench_profile", on_profile)

        def hello(runner):
            # Asked for once this worker listens (a message sent as it connected could come too early); a few
            # round trips measure its clock against the master's.
            for _ in range(CLOCK_ROUNDS):
                runner.send_message("slobench_hello", {"worker": _figures.worker, "sent": clock.now()})
                gevent.sleep(0.05)
        gevent.spawn(hello, runner)
    if isinstance(runner, MasterRunner):
        def on_refused(environment, msg, **_):
            print(f"[slobench] a worker refused to join ({msg.data.get('worker')}): {msg.data['reason']}", flush=True)
        runner.register_message("slobench_refused", on_refused)

        def on_hello(environment, msg, **_):
            # The master owns the profile: each worker runs the master's, whatever it was started with.
            environment.runner.send_message("slobench_profile", {**handshake.offer(PROFILE), "sent": msg.data["sent"],
                                                                 "master_time": clock.now()}, client_id=msg.node_id)
        runner.register_message("slobench_hello", on_hello)

        def on_final(environment, msg, **_):
            _merged.add(msg.data)
            _state["finals"].add(msg.data["worker"])
        runner.register_message("slobench_final", on_final)


def _send_final(runner) -> None:
    if not _state["final_sent"]:
        _state["final_sent"] = True
        _figures.sample_cpu()
        runner.send_message("slobench_final", {**_figures.delta(), "clock": _state["clock"]})


def _wait_for_finals(runner, timeout: float = 10.0) -> None:
    """The master waits (bounded) for every worker's final figures before it writes the merged file."""
    deadline = clock.now() + timeout
    while len(_state["finals"]) < runner.worker_count and clock.now() < deadline:
        gevent.sleep(0.1)
    expected = max(runner.worker_count, len(_state["joined"]))
    _merged.finals = {"expected": expected, "received": len(_state["finals"])}
    if len(_state["finals"]) < expected:
        print(f"[slobench] only {len(_state['finals'])} of {expected} workers sent their final figures",
              flush=True)


@events.report_to_master.add_listener
def _on_report_to_master(client_id, data, **_):
    data["slobench"] = _figures.delta()


@events.worker_report.add_listener
def _on_worker_report(client_id, data, **_):
    if "slobench" in data:
        _merged.add(data["slobench"])


@events.worker_connect.add_listener
def _on_worker_connect(client_id, **_):
    _state["joined"].add(client_id)  # a worker lost mid-run still counts as expected
    print(f"[slobench] worker joined: {client_id}", flush=True)


PROBE_S = 0.02  # the event-loop probe's period: 50 wake-ups a second


def _loop_lag_probe():
    """How late this process's gevent hub wakes a sleeping greenlet: the delay every request it times may carry."""
    while True:
        before = time.perf_counter()
        gevent.sleep(PROBE_S)
        _figures.lag("loop", max(0.0, time.perf_counter() - before - PROBE_S))


def _cpu_sampler():
    while True:
        _figures.sample_cpu()
        gevent.sleep(0.5)


def _progress_line(environment, index: int, start_count: dict) -> str:
    windows = PROFILE.windows()
    w, total = windows[index], environment.stats.total
    n0, t0 = start_count.get(w.index, (0, _state["wall_start"]))
    rps = (total.num_requests - n0) / max(clock.now() - t0, 1e-9)
    offered = f"{w.offered_rps:.0f}" if w.offered_rps else "open"
    return (f"[slobench] stage {index + 1}/{len(windows)} {w.name}: {w.users} users, offered {offered} req/s, "
            f"achieved {rps:.0f} req/s, p95 {total.get_current_response_time_percentile(0.95) or 0:.0f} ms "
            f"(last 10 s), failures {total.num_failures}")


def _progress(environment):
    """Master or local runner: one line per finished stage, and the timeline kept up to date."""
    while _state["wall_start"] is None:
        gevent.sleep(0.1)
    start_count = _state["start_count"] = {}
    windows = PROFILE.windows()
    last_live = 0.0
    while True:
        elapsed = clock.now() - _state["wall_start"]
        _merged.series.sample_users(clock.now(), environment.runner.user_count)
        if clock.now() - last_live >= EVERY_S - 0.25:
            last_live = clock.now()
            w = window_at(windows, elapsed)
            if _state["run_dir"]:  # kept current: a Locust killed mid-stage leaves where it got to
                timeline.write(_state["run_dir"], timeline.build(PROFILE, _state["wall_start"]))
            if w is not None:
                total = environment.stats.total
                print(live_line(w, len(windows), elapsed, environment.runner.user_count, total.current_rps,
                                total.get_current_response_time_percentile(0.95), total.num_failures), flush=True)
        for w in windows:
            if w.index not in start_count and elapsed >= w.measure_from_s:
                start_count[w.index] = (environment.stats.total.num_requests, clock.now())
        current = stage_index_at(PROFILE, elapsed)
        _finish_stages(environment, len(windows) - 1 if current is None else current - 1)
        if current is None:
            return
        gevent.sleep(0.5)


def _finish_stages(environment, upto: int) -> None:
    """Print the line of every stage up to `upto` not printed yet; keep stages.json current."""
    while _state["printed"] < upto:
        _state["printed"] += 1
        print(_progress_line(environment, _state["printed"], _state.get("start_count", {})), flush=True)
        if _state["run_dir"]:
            timeline.write(_state["run_dir"], timeline.build(PROFILE, _state["wall_start"]))


@events.test_start.add_listener
def _on_test_start(environment, **_):
    global _log, _sent, _figures, _merged
    _log = RequestLog() if SETTINGS.request_log else None
    _sent = SentRecorder(SPOOL, PROFILE.scenario.outputs)
    wall_start, _figures = _figures.wall_start, StageRecorder(PROFILE)
    _figures.wall_start = wall_start
    _merged = Merger()
    _state["finals"] = set()
    if not isinstance(environment.runner, WorkerRunner):
        _state["run_dir"] = _new_run_dir()
        if _state["run_dir"]:  # the profile this test runs (the web UI's start form may have chosen it)
            (_state["run_dir"] / timeline.PROFILE_FILE).write_text(PROFILE.model_dump_json(indent=1) + "\n")
        _state["printed"] = -1
        gevent.spawn(_progress, environment)
    if not isinstance(environment.runner, MasterRunner):
        _state["sampler"] = gevent.spawn(_cpu_sampler)
        _state["probe"] = gevent.spawn(_loop_lag_probe)


@events.test_stop.add_listener
def _on_test_stop(environment, **_):
    if _state.get("sampler"):
        _state["sampler"].kill()
        _figures.sample_cpu()
    if _state.get("probe"):
        _state["probe"].kill()
    if isinstance(environment.runner, WorkerRunner):
        # Sent before the worker reports it stopped, so the master has it when its own test_stop fires.
        _send_final(environment.runner)
    elif not isinstance(environment.runner, MasterRunner):
        _merged.add(_figures.delta())
    if not isinstance(environment.runner, MasterRunner):
        _sent.close()
        if _log is not None:
            SPOOL.mkdir(parents=True, exist_ok=True)
            _log.save(SPOOL)
    if not isinstance(environment.runner, WorkerRunner) and _state["run_dir"] and _state["wall_start"]:
        # The shape may end the test before the progress loop saw the last stage finish.
        reached = stage_index_at(PROFILE, clock.now() - _state["wall_start"])
        _finish_stages(environment, len(PROFILE.stages) - 1 if reached is None else reached - 1)
        run_dir = _state["run_dir"]
        timeline.write(run_dir, timeline.build(PROFILE, _state["wall_start"]))
        if isinstance(environment.runner, MasterRunner):
            _wait_for_finals(environment.runner)
        _merged.save(run_dir)
        # The runner watches for this marker to collect the reports (headless and web UI alike).
        (run_dir / "locust_done.json").write_text(json.dumps({"stopped_at": clock.now()}) + "\n")
    _state["wall_start"] = None


def _new_run_dir() -> Path | None:
    if SETTINGS.run_dir:
        return SETTINGS.run_dir
    results = SETTINGS.results_dir
    if not results:
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = Path(results) / f"{stamp}-{PROFILE.name}-ui"
    path.mkdir(parents=True, exist_ok=True)
    (Path(results) / ".ui-pending").write_text(str(path) + "\n")
    return path
