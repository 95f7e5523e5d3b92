"""API settings, read from the environment and validated at start-up."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
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
    predictions_db: Path | None = None  # None: predictions are not recorded
    metrics_enabled: bool = True
    recorder_batch_size: int = Field(500, ge=1)
    recorder_flush_interval_s: float = Field(0.2, gt=0)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
