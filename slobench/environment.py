"""One message for a setting read from the environment that fails validation (every component's Settings)."""
from __future__ import annotations

from pydantic import ValidationError


def environment_error(exc: ValidationError) -> str:
    """`error: environment: API_PORT: Input should be less than or equal to 65535`."""
    err = exc.errors()[0]
    return f"error: environment: {str(err['loc'][0]).upper()}: {err['msg']}"
