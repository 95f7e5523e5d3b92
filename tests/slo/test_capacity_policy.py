"""The capacity search policy is pure: multiply until a failure, then bisect."""
import pytest

from slobench.capacity import next_rate


@pytest.mark.parametrize("tried, expected", [
    ([], 500),
    ([(500, "pass")], 800),
    ([(500, "pass"), (800, "pass"), (1280, "fail")], 1040),
    ([(500, "pass"), (800, "pass"), (1280, "fail"), (1040, "pass")], 1160),
    ([(500, "pass"), (800, "pass"), (1280, "fail"), (1040, "pass"), (1160, "pass"), (1220, "fail")], None),
    ([(500, "fail")], 312.5),
    ([(500, "pass"), (800, "insufficient")], 1280),
], ids=["start", "grow after a pass", "bisect after the first failure", "bisect again", "stop within 10 %",
        "step down when the start fails", "an insufficient step is neither pass nor fail"])
def test_next_rate(tried, expected):
    got = next_rate(tried, start=500, factor=1.6, max_rps=20_000, precision=0.1)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_the_search_stops_at_the_maximum_rate():
    assert next_rate([(12_800, "pass")], start=500, factor=1.6, max_rps=20_000, precision=0.1) is None
