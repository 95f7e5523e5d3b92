"""Drift settings from the environment: DRIFT_THRESHOLD, DRIFT_MIN_ROWS, DRIFT_MAX_AUC_DROP."""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from drift.decision import DEFAULT_MAX_AUC_DROP, DEFAULT_THRESHOLD


class DriftSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DRIFT_", extra="ignore")

    threshold: float = Field(DEFAULT_THRESHOLD, gt=0, le=1)
    min_rows: int = Field(200, ge=1)
    # How far the served model's ROC AUC may fall below the reference month's before it calls for retraining.
    max_auc_drop: float = Field(DEFAULT_MAX_AUC_DROP, gt=0, lt=1)
