"""Profiles are refused before any load when their windows are too short for the scrape interval."""
import pytest

from loadtests.profile import load_profile
from slo.verdicts.scrape_fit import MIN_SCRAPES_PER_WINDOW, ProfileTooShort, check, max_scrape_interval_s


@pytest.mark.parametrize("profile, works_at", [("smoke", 1), ("default", 1), ("long", 15), ("open", 1)],
                         ids=["smoke at 1 s", "default at 1 s", "long at 15 s (Compose stacks scrape every 10-15 s)",
                              "open at 1 s"])
def test_each_shipped_profile_works_at_the_interval_it_is_sized_for(profile, works_at):
    p = load_profile(profile)
    check(p, works_at)
    assert max_scrape_interval_s(p) >= works_at


def test_a_profile_too_short_names_each_stage_the_interval_and_the_duration_it_needs():
    with pytest.raises(ProfileTooShort) as exc:
        check(load_profile("default"), 10, "targets API")
    text = str(exc.value)
    assert "profile default is too short for a scrape interval of 10 s (learned from targets API)" in text
    assert f"holds fewer than {MIN_SCRAPES_PER_WINDOW} scrapes at 10 s; it needs at least 60 s measured" in text
    assert "stage s2-knee60" in text and "no load was sent" in text
