"""The harness holds the load where other work takes the API's core (slobench/holds.py): driven here with a fake clock
and a fake machine monitor, one sample a second of one core, as stack/monitor.py takes them."""
import pytest

from loadtests.profile import Profile
from runfolder import files
from slobench import holds as holds_mod
from slobench.holds import AHEAD_S, LEAD_S, SpellHolds

START = 1000.0


class FakeMonitor:
    """The API's one core, each second: other work takes other(t) of it and the API api(t)."""

    def __init__(self, clock, other, api):
        self.clock, self.other, self.api, self.cpus = clock, other, api, [0]

    @property
    def samples(self):
        out, busy, api = [], 0.0, 0.0
        t = START - 5
        while t <= self.clock["now"]:
            out.append({"t": t, "cores": {"0": [busy, 0.0, t]}, "api_cpu_s": api})
            busy, api = busy + self.other(t) + self.api(t), api + self.api(t)
            t += 1
        return out


def _profile(max_s=90.0):
    return Profile.model_validate({"name": "o", "kind": "open", "settle_s": 1, "hold": {"max_s": max_s},
                                   "stages": [{"name": "a", "rate_rps": 20, "duration_s": 30},
                                              {"name": "b", "rate_rps": 40, "duration_s": 30}]})


def _watch(tmp_path, monkeypatch, other, api, until, max_s=90.0):
    """Every half second from the stages' start to `until`: the holds written and the log."""
    clock = {"now": START}
    monkeypatch.setattr(holds_mod.time, "time", lambda: clock["now"])
    files.TIMELINE.write(tmp_path, {"wall_start": START, "stages": []})
    said = []
    watch = SpellHolds(tmp_path, _profile(max_s), FakeMonitor(clock, other, api), said.append)
    while clock["now"] < until:
        watch.tick()
        clock["now"] += 0.5
    return watch, said


def busy_loop(begin, end, share=0.5):
    return lambda t: share if begin <= t < end else 0.01


def queue_served(spell_end, served_s, busy=0.5):
    """The API busy beside the loop and serving its queue for served_s after it, then idle (nothing arrives)."""
    return lambda t: busy if t < spell_end + served_s else 0.05


@pytest.mark.parametrize("other, api, held", [
    (lambda t: 0.01, lambda t: 0.3, {}),
    (lambda t: 0.02 + 0.01 * (t % 3), lambda t: 0.5, {}),
    (lambda t: 0.7 - 0.004 * (t - START), lambda t: 0.2 + 0.004 * (t - START), {}),
    (busy_loop(START + 15, START + 30), queue_served(START + 30, 6), {"a": (17 + LEAD_S, 36 + AHEAD_S)}),
    (busy_loop(START + 3, START + 30), queue_served(START + 30, 0), {}),
    (lambda t: 0.94 if START + 20 <= t < START + 26 else 0.5,
     lambda t: 0.02 if START + 20 <= t < START + 26 else 0.5, {}),
    (busy_loop(START + 15, START + 30, share=0.98), lambda t: 0.0 if START + 15 <= t < START + 30 else 0.04,
     {"a": (17 + LEAD_S, 32 + AHEAD_S)}),
    (busy_loop(START + 15, START + 30), lambda t: 0.9 if t < START + 15 else queue_served(START + 30, 0)(t),
     {"a": (17 + LEAD_S, 32 + AHEAD_S)}),
], ids=["a quiet machine never holds",
        "a few hundredths more from second to second is no spell",
        "a machine shared all along, its share falling as the API's load rises, never holds",
        "a busy loop on the API's core holds the stage until it stops and the API served its queue",
        "a spell before the run's usual share is known holds nothing",
        "a machine shared all along, the API idle for seconds (a refinement step's start, the API drained): other "
        "work takes what the API leaves, and nothing holds",
        "a busy loop on the core of an API at light load, whose own CPU reads nothing in whole clock ticks beside "
        "it, holds the stage",
        "a busy loop on the core of an API near saturation, which keeps half the core beside it, holds the stage"])
def test_the_load_holds_where_other_work_takes_the_apis_core(tmp_path, monkeypatch, other, api, held):
    watch, said = _watch(tmp_path, monkeypatch, other, api, until=START + 50)
    got = {name: (h["from_s"], h["until_s"]) for name, h in watch.holds.items()}
    assert got.keys() == held.keys()
    for name, (from_s, until_s) in held.items():
        assert got[name][0] == pytest.approx(from_s, abs=1.0) and got[name][1] == pytest.approx(until_s, abs=1.5)
        assert files.HOLDS.read(tmp_path)[name]["until_s"] == got[name][1]   # what the generator reads
        assert [w.name for w in watch.profile.windows()] == ["a", "a-again", "b"]
        assert any("the load holds at a" in line for line in said) and any("hold at a ended" in line for line in said)


def test_holds_stop_at_max_s_and_the_stage_run_again_is_not_held_again(tmp_path, monkeypatch):
    watch, said = _watch(tmp_path, monkeypatch, busy_loop(START + 15, START + 200), lambda t: 0.5, until=START + 60,
                         max_s=10.0)
    (name, h), = watch.holds.items()
    assert name == "a" and h["until_s"] - h["from_s"] == pytest.approx(10.0, abs=0.01)
    assert [w.name for w in watch.profile.windows()] == ["a", "a-again", "b"]


def test_without_a_hold_section_or_a_monitor_nothing_is_watched(tmp_path):
    plain = _profile().model_copy(update={"hold": None})
    assert not SpellHolds(tmp_path, plain, FakeMonitor({"now": START}, None, None)).planned
    assert not SpellHolds(tmp_path, _profile(), None).planned


def test_a_hold_and_the_looks_at_the_same_run_move_one_profile(tmp_path, monkeypatch):
    """A look ended stage a at 25 s; a busy loop from 15 s holds it, and the looks judge the windows the hold moved."""
    class Looks:
        planned = True
        profile = _profile().ended_at("a", 25.0)
    clock = {"now": START}
    monkeypatch.setattr(holds_mod.time, "time", lambda: clock["now"])
    files.TIMELINE.write(tmp_path, {"wall_start": START, "stages": []})
    watch = SpellHolds(tmp_path, _profile(), FakeMonitor(clock, busy_loop(START + 15, START + 30),
                                                         queue_served(START + 30, 2)), lambda line: None, Looks)
    while clock["now"] < START + 40:
        watch.tick()
        clock["now"] += 0.5
    a, again, b = Looks.profile.windows()
    assert (a.name, again.name, b.name) == ("a", "a-again", "b") and again.end_s - again.start_s == 30
    assert Looks.profile.ended_early == {"a": 30} and watch.profile is Looks.profile
