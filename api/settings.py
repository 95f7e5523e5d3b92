"""API settings, read from the environment and validated at start-up."""
from __future__ import annotations

import socket
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.data import DEFAULT_DATA_DIR
from api.model import DEFAULT_MODEL_PATH


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", protected_namespaces=())

    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=0, le=65535)
    api_workers: int = Field(1, ge=1, le=64)
    model_path: Path = DEFAULT_MODEL_PATH
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
