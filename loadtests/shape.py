"""The stepped load shape: tick() depends only on elapsed time and the declared stages."""
from __future__ import annotations

from loadtests.profile import Profile


def users_at(profile: Profile, elapsed_s: float, processes: int = 1) -> tuple[int, float] | None:
    """(users, spawn_rate) the test should have at elapsed_s; None once every stage is over.

    An open-model profile runs one dispatcher user per Locust process for its whole length."""
    window = profile.stage_at(elapsed_s)
    if window is None:
        return None
    if profile.kind == "open":
        return processes, 1000.0
    stage = profile.stages[window.index]
    return stage.users, stage.spawn_rate


def stage_index_at(profile: Profile, elapsed_s: float) -> int | None:
    window = profile.stage_at(elapsed_s)
    return None if window is None else window.index
