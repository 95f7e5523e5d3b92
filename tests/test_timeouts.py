"""The tests' own schedule (tests/timeouts.py): each test's time bound from what it measured, and the longest first,
files kept whole, so that two workers end together."""
import pytest

from tests import timeouts

SEARCH = "tests/slo/stats/test_coverage.py::test_a_refined_runs_capacity_holds_the_knee_of_an_m_m_1_target"
E2E = "tests/loadtests/test_end_to_end.py"
CAPACITY = "tests/slobench/test_capacity_run.py::test_the_capacity_run_climbs_within_its_budget_and_keeps_a_full_run_folder"


@pytest.mark.parametrize("collected, first", [
    ([f"{E2E}::test_a", "tests/x/test_quick.py::test_b", CAPACITY, f"{E2E}::test_c"],
     [CAPACITY, f"{E2E}::test_a", f"{E2E}::test_c", "tests/x/test_quick.py::test_b"]),
    (["tests/slo/stats/test_coverage.py::test_other", SEARCH], [SEARCH, "tests/slo/stats/test_coverage.py::test_other"]),
    (["tests/x/test_b.py::test_1", "tests/x/test_a.py::test_2"], ["tests/x/test_b.py::test_1", "tests/x/test_a.py::test_2"]),
], ids=["the file with the longest measured tests first, each file whole and in its own order",
        "the longest coverage case first",
        "tests never measured keep the order they were collected in"])
def test_the_longest_run_first(collected, first):
    assert [collected[i] for i in timeouts.longest_first(collected)] == first


def test_a_test_is_bounded_by_twice_what_it_measured_and_never_under_the_floor():
    assert timeouts.bound(CAPACITY) == max(timeouts.MIN_S, 2 * timeouts.MEASURED_S[CAPACITY])
    assert timeouts.bound("tests/x/test_quick.py::test_b") == timeouts.DEFAULT_S
