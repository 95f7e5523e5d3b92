"""API settings, read from the environment and validated at start-up."""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from api.data import DEFAULT_DATA_DIR
from api.models import ModelSettings


class ApiSettings(ModelSettings):
    model_config = SettingsConfigDict(extra="ignore", protected_namespaces=())

    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=0, le=65535)
    api_workers: int = Field(1, ge=1, le=64)
    # Where predictions run (api/serving.py says why): auto = the forest in a thread, the linear scorer on the loop.
    api_predict_in: Literal["auto", "event_loop", "thread"] = "auto"
    api_predict_threads: int = Field(1, ge=1, le=64)
    api_batch_max: int = Field(1, ge=1, le=1024)        # > 1: adaptive micro-batching
    api_batch_wait_ms: float = Field(2.0, ge=0, le=1000)
    data_dir: Path = DEFAULT_DATA_DIR
    serving_as_of: str = "2024-02-29"
    predictions_db: Path | None = None  # None: predictions are not recorded; {hostname} names a replica's own file
    metrics_enabled: bool = True
    recorder_batch_size: int = Field(500, ge=1)
    recorder_flush_interval_s: float = Field(0.2, gt=0)
    max_body_bytes: int = Field(64 * 1024, ge=1024)

    @field_validator("predictions_db")
    @classmethod
    def _per_replica(cls, path: Path | None) -> Path | None:
        # Replicas sharing a volume (Compose `--scale api=N`) each record into their own file.
        return Path(str(path).replace("{hostname}", socket.gethostname())) if path is not None else None

    @model_validator(mode="after")
    def _batching_needs_a_thread(self) -> "ApiSettings":
        if self.api_batch_max > 1 and self.api_predict_in == "event_loop":
            raise ValueError("api_batch_max > 1 needs API_PREDICT_IN=thread or auto")
        return self
