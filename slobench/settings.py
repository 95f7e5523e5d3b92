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
    api_replicas: int = Field(1, ge=1, le=16)   # > 1: that many API processes behind nginx (local stack)
    locust_processes: int = Field(1, ge=1, le=64)
    # Load generators on other hosts: the master waits for this many `slobench worker`s before the first stage,
    # listening on LOCUST_MASTER_BIND (loopback unless told otherwise).
    locust_workers: int = Field(0, ge=0, le=1024)
    locust_master_bind: str = Field("127.0.0.1:5557", pattern=r"^[^:]+:\d+$")
    request_log: bool = False            # debug: every Locust process also keeps its raw per-request log
    locust_web_port: int = Field(8089, ge=1, le=65535)
    # The target's scrape interval in seconds, when Prometheus cannot tell it (no targets API, too few up samples).
    scrape_interval: float | None = Field(None, gt=0, le=600)
    pin_cpus: bool = True                # API on core 0, Locust and Prometheus on core 1 (2-core machines)
    results_dir: Path = ROOT / "results"

    def generators(self):
        from loadtests.run import GeneratorPlan
        return GeneratorPlan(processes=self.locust_processes, workers=self.locust_workers,
                          master_bind=self.locust_master_bind, request_log=self.request_log)
