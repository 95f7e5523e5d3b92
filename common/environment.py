"""Settings helpers every component shares: the repository as the default root of its paths, and one
message for a setting read from the environment that fails validation."""
from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

# Data, results and state default to folders of the repository (settings override each: DATA_DIR, RESULTS_DIR,
# STATE_DIR; the model's file is api.models.ModelSettings'), so an install without -e runs once they point elsewhere.
REPO_ROOT = Path(__file__).resolve().parent.parent


def environment_error(exc: ValidationError) -> str:
    """`error: environment: API_PORT: Input should be less than or equal to 65535`."""
    err = exc.errors()[0]
    where = f"{str(err['loc'][0]).upper()}: " if err["loc"] else ""  # a check across settings has no one field
    return f"error: environment: {where}{err['msg']}"


class Paths(BaseSettings):
    """Where data, results and state live: DATA_DIR, RESULTS_DIR, STATE_DIR."""
    model_config = SettingsConfigDict(extra="ignore", protected_namespaces=())

    data_dir: Path = REPO_ROOT / "data" / "streamflow"
    results_dir: Path = REPO_ROOT / "results"
    state_dir: Path = REPO_ROOT / ".state" / "stack"


def paths() -> Paths:
    """The paths as the environment sets them now."""
    return Paths()
