"""The Locust process's configuration: the SLOBENCH_* variables the harness sets, typed and validated at start."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.environment import environment_error
from loadtests.profile import Profile, load_profile


# The custom parameter of Locust's start form naming the profile a web-UI test runs (loadtests/locustfile.py declares
# it; slobench's start page checks it and the live tab follows it).
PROFILE_OPTION = "slobench_profile"


class LocustProcessSettings(BaseSettings):
    """What loadtests/run.py (and `slobench ui`) pass to every Locust process, master and workers."""
    model_config = SettingsConfigDict(env_prefix="SLOBENCH_", extra="ignore", frozen=True)

    profile: str = "smoke"                     # a profile name or a YAML path
    spool: Path = Path(".")                    # where each process leaves its client files
    processes: int = Field(1, ge=1, le=1024)   # Locust processes sharing the load (open model: rate split)
    run_dir: Path | None = None                # headless: the run folder
    results_dir: Path | None = None            # web UI: each test gets a folder here
    locust_plugins: str = ""                   # modules to import in the Locust process (comma-separated)
    request_log: bool = False                  # debug: also keep every request's time and latency (grows with the run)
    saturation_rps: float | None = Field(None, gt=0)   # measured by the probe: places saturation_share stages
    knee_rps: float | None = Field(None, gt=0)   # predicted at it from the SLO file: places predicted_knee_share ones
    # Read by the live SLO tab (loadtests/webui/live_tab.py) in the web UI.
    prometheus_url: str | None = None
    slo: Path | None = None
    scrape_interval: float = Field(1.0, gt=0, le=600)
    instances: str = ""
    up_job: str = ""                           # the target's job, when found at the loaded address

    def as_env(self) -> dict[str, str]:
        """The variables that give a Locust process these settings (what the harness sets)."""
        return {f"SLOBENCH_{k.upper()}": str(v) for k, v in self.model_dump().items() if v is not None and v != ""}

    def profile_named(self, name_or_path: str) -> Profile:
        """A profile, its shares placed where the harness's probe put this process's."""
        return load_profile(name_or_path, self.saturation_rps, self.knee_rps)

    @property
    def plugins(self) -> list[str]:
        return [p for p in self.locust_plugins.split(",") if p]

    @property
    def instance_list(self) -> list[str] | None:
        return [i for i in self.instances.split(",") if i] or None


def load() -> LocustProcessSettings:
    """The settings, or the process stops with one line naming the bad variable."""
    try:
        return LocustProcessSettings()
    except ValidationError as exc:
        raise SystemExit(environment_error(exc).replace("environment: ", "environment: SLOBENCH_")) from None
