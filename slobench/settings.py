"""Settings of a harness run, read from the environment (the Makefile passes them through)."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.environment import REPO_ROOT

ROOT = REPO_ROOT


class HarnessSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    target_url: str | None = None        # an API the harness did not start
    prometheus_url: str | None = None    # its Prometheus (required with target_url)
    # The target's `instance` labels in that Prometheus (comma-separated), when its job holds other instances too.
    target_instances: str | None = None
    api_port: int | None = Field(None, ge=1, le=65535)        # None: a free port
    prometheus_port: int | None = Field(None, ge=1, le=65535)
    api_workers: int = Field(1, ge=1, le=64)
    locust_processes: int = Field(1, ge=1, le=64)
    locust_web_port: int = Field(8089, ge=1, le=65535)
    # The target's scrape interval in seconds, when Prometheus cannot tell it (no targets API, too few up samples).
    scrape_interval: float | None = Field(None, gt=0, le=600)
    pin_cpus: bool = True                # API on core 0, Locust and Prometheus on core 1 (2-core machines)
    results_dir: Path = ROOT / "results"
