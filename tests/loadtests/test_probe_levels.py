"""What the saturation probe reads from its levels (loadtests.probe.saturation_of): the best level, or the busy one
where the target served less once kept busy."""
import pytest

from loadtests.probe import Level, fell, saturation_of


def level(concurrency: int, rps: float, half: float = 2.0) -> Level:
    return Level(concurrency, rps, rps - half, rps + half, answered=round(rps * 4), failed=0)


@pytest.mark.parametrize("levels, taken, note", [
    ([level(1, 41.0), level(2, 62.2), level(4, 61.0)], 62.2, None),
    ([level(1, 40.5), level(2, 42.0), level(4, 48.0)], 48.0, "still rising"),
    ([level(1, 41.25, 5.7), level(2, 40.0, 5.9), level(4, 20.5, 2.3)], 20.5, "served less when kept busy"),
    ([level(1, 50.0, 6.0), level(2, 48.0), level(4, 45.0)], 50.0, None),
    ([level(4, 30.0)], 30.0, None),
    ([level(1, 48.0), level(2, 56.75), level(4, 37.25, 7.7), level(4, 57.0)], 57.0, "not when measured again"),
    ([level(1, 41.25, 5.7), level(2, 40.0, 5.9), level(4, 20.5, 2.3), level(4, 21.0, 2.3)], 21.0,
     "measured twice"),
], ids=["a plateau takes the best level",
        "a throughput still rising at the top takes the top and says so",
        "a target served less once kept busy takes the busy figure, as under a busy loop on its core",
        "a fall within the noise keeps the best level",
        "one level is the saturation",
        "a fall that passed when the level was measured again was a slow spell of the machine: the best level",
        "a fall that stayed when the level was measured again is the target's: the busy figure"])
def test_the_saturation_read_from_the_levels(levels, taken, note):
    saturation = saturation_of(levels, busy=0.1)
    assert saturation.rps == taken and saturation.low < taken < saturation.high
    assert (note is None and not saturation.notes) or any(note in n for n in saturation.notes)


def test_a_busy_probe_client_is_named():
    assert any("busy 90% of a core" in n for n in saturation_of([level(1, 10.0)], busy=0.9).notes)


@pytest.mark.parametrize("levels, again", [
    ([level(1, 48.0), level(2, 56.75), level(4, 37.25, 7.7)], True),
    ([level(1, 41.0), level(2, 62.2), level(4, 61.0)], False),
    ([level(1, 50.0, 6.0), level(2, 48.0), level(4, 45.0)], False),
], ids=["a busy level under the best with confidence is measured again",
        "a plateau is not", "a fall within the noise is not"])
def test_which_probes_measure_their_busy_level_again(levels, again):
    assert fell(levels) is again
