"""Settings of the local stack, read from the environment."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from stack.procs import ROOT


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    api_port: int = Field(8000, ge=0, le=65535)
    api_workers: int = Field(1, ge=1, le=64)
    api_replicas: int = Field(1, ge=1, le=16)   # > 1: that many API processes behind nginx
    prometheus_port: int = Field(9090, ge=0, le=65535)
    prometheus_bin: str | None = None
    prometheus_url: str | None = None  # a Prometheus that already runs: used as is
    scrape_interval_s: int = Field(1, ge=1, le=60)
    state_dir: Path = ROOT / ".state" / "stack"
    rules_file: Path | None = ROOT / "stack" / "rules" / "slo-rules.yml"
