"""The master's profile for its workers: taken by a worker of the same slobench, refused with the reason otherwise."""
import pytest

from loadtests import handshake
from loadtests.profile import load_profile


def test_a_worker_of_the_same_version_takes_the_masters_profile():
    profile = load_profile("default")
    taken, refused = handshake.accept(handshake.offer(profile))
    assert refused is None and taken == profile


@pytest.mark.parametrize("change, says", [
    (lambda d: d.update(version="0.0.1+other"), "this worker runs slobench"),
    (lambda d: d["profile"].update(kind="sideways"), "the master's profile cannot be loaded here: kind"),
    (lambda d: d.pop("profile"), "the master's profile cannot be loaded here"),
], ids=["another version of slobench", "a profile this version cannot read", "no profile at all"])
def test_a_worker_refuses_what_it_cannot_run_and_says_why(change, says):
    offered = handshake.offer(load_profile("smoke"))
    change(offered)
    taken, refused = handshake.accept(offered)
    assert taken is None and says in refused
