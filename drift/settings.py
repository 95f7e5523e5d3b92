"""Drift settings from the environment: DRIFT_THRESHOLD, DRIFT_MIN_ROWS."""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from drift.decision import DEFAULT_THRESHOLD


class DriftSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DRIFT_", extra="ignore")

    threshold: float = Field(DEFAULT_THRESHOLD, gt=0, le=1)
    min_rows: int = Field(200, ge=1)
