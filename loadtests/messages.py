"""What a Locust master and its workers say to each other beyond Locust's own messages, one class per role: the profile
and its handshake, the clock, the start of the stage windows, a stage a look ended or the harness held, each worker's
final figures."""
from __future__ import annotations

from typing import TYPE_CHECKING

import gevent

from loadtests import clock, handshake

if TYPE_CHECKING:  # a generator builds its role's messages (Generator.for_runner)
    from loadtests.generator import Generator

CLOCK_ROUNDS = 5   # hello round trips a worker makes when it joins: the shortest measures its clock offset


class WorkerMessages:
    """A worker: says hello (and measures its clock), takes the master's profile or refuses it, starts its stage
    windows when the master starts, and sends its final figures when the last stage is over."""

    def __init__(self, generator: Generator, runner):
        self.generator, self.runner = generator, runner
        runner.register_message("slobench_start", self.on_start)
        runner.register_message("slobench_profile", self.on_profile)
        runner.register_message("slobench_stage_ended", self.on_stage_ended)
        runner.register_message("slobench_stage_held", self.on_stage_held)
        gevent.spawn(self.hello)

    def hello(self) -> None:
        # Asked for once this worker listens (a message sent as it connected could come too early); a few round
        # trips measure its clock against the master's.
        for _ in range(CLOCK_ROUNDS):
            self.runner.send_message("slobench_hello", {"worker": self.generator.figures.worker, "sent": clock.now()})
            gevent.sleep(0.05)

    def on_start(self, environment, msg, **_) -> None:
        g = self.generator
        # The master's start on this worker's clock: the windows are placed as the master places them.
        g.wall_start = msg.data["wall_start"] - (g.clock or {}).get("offset_s", 0.0)
        g.processes = msg.data.get("processes")
        g.final_sent = False
        # In a headless run the master quits as the profile ends and keeps listening half a second only: each
        # worker sends its final figures on its own when the last stage is over.
        self.send_final_at_the_end()

    def send_final_at_the_end(self) -> None:
        g = self.generator
        gevent.spawn_later(max(0.0, g.wall_start + g.profile.total_s + 0.3 - clock.now()), self._send_final_if_over)

    def _send_final_if_over(self) -> None:
        g = self.generator
        if g.wall_start is not None and clock.now() < g.wall_start + g.profile.total_s:
            return   # a hold moved the last stage's end later: the call it made sends them then
        self.send_final()

    def on_stage_ended(self, environment, msg, **_) -> None:
        """A stage the master ended at a look: its windows move here too, and so does the end of the last stage."""
        g = self.generator
        if g.wall_start is not None and g.decisions.end_stage(msg.data["stage"], msg.data["end_s"]):
            self.send_final_at_the_end()   # the earlier one fires too late to matter: send_final sends once

    def on_stage_held(self, environment, msg, **_) -> None:
        """A stage the master held: its windows move here too, and so does the end of the last stage."""
        g, d = self.generator, msg.data
        if g.wall_start is not None and g.decisions.hold_stage(d["stage"], d["from_s"], d["until_s"]):
            self.send_final_at_the_end()

    def on_profile(self, environment, msg, **_) -> None:
        g = self.generator
        if "sent" in msg.data:  # an answer to this worker's hello: it also measures the clock
            offset_s, rtt_s = clock.offset(msg.data["sent"], msg.data["master_time"], clock.now())
            # The tightest exchange wins, until the windows are placed with it: the offset the report shows is the
            # one every request was placed by (a later, tighter exchange had moved requests at a window's edge).
            if g.wall_start is None and (g.clock is None or rtt_s < g.clock["rtt_s"]):
                g.clock = {"offset_s": offset_s, "rtt_s": rtt_s}
        if g.profile.model_dump(mode="json") == msg.data["profile"] and g.profile_taken:
            return  # a later exchange: only the clock was measured again
        profile, refused = handshake.accept(msg.data)
        if refused:
            print(f"[slobench] refused by this worker: {refused}", flush=True)
            self.runner.send_message("slobench_refused", {"reason": refused, "worker": g.figures.worker})
            gevent.spawn_later(0.5, self.runner.quit)
            return
        g.take(profile)
        g.profile_taken = True
        print(f"[slobench] worker runs the master's profile {g.profile.name}", flush=True)

    def send_final(self) -> None:
        g = self.generator
        if not g.final_sent:
            g.final_sent = True
            g.figures.sample_cpu()
            self.runner.send_message("slobench_final", {**g.figures.delta(), "clock": g.clock})


class MasterMessages:
    """The master: owns the profile (each worker runs the master's, whatever it was started with), hands it over
    before a test starts, tells the workers when the stage windows start, and gathers their final figures."""

    def __init__(self, generator: Generator, runner):
        self.generator, self.runner = generator, runner
        runner.register_message("slobench_refused", self.on_refused)
        runner.register_message("slobench_hello", self.on_hello)
        runner.register_message("slobench_final", self.on_final)

    def on_refused(self, environment, msg, **_) -> None:
        print(f"[slobench] a worker refused to join ({msg.data.get('worker')}): {msg.data['reason']}", flush=True)

    def on_hello(self, environment, msg, **_) -> None:
        self.runner.send_message("slobench_profile", {**self.generator.offer(), "sent": msg.data["sent"],
                                                      "master_time": clock.now()}, client_id=msg.node_id)

    def on_final(self, environment, msg, **_) -> None:
        self.generator.merged.add(msg.data)
        self.generator.finals.add(msg.data["worker"])

    def profile_chosen(self) -> None:
        """A profile the web UI's start form chose goes to the workers before the start message."""
        self.runner.send_message("slobench_profile", self.generator.offer())

    def start(self, wall_start: float) -> None:
        self.runner.send_message("slobench_start", {"wall_start": wall_start, "processes": self.runner.worker_count})

    def stage_ended(self, stage: str, end_s: float) -> None:
        """A stage a look decided ends `end_s` into the windows on every worker as here."""
        self.runner.send_message("slobench_stage_ended", {"stage": stage, "end_s": end_s})

    def stage_held(self, stage: str, from_s: float, until_s: float) -> None:
        """A stage held from `from_s` to `until_s` into the windows on every worker as here."""
        self.runner.send_message("slobench_stage_held", {"stage": stage, "from_s": from_s, "until_s": until_s})
