"""The base of every part of the report: frozen (built once, never changed) and strict (a field it does not know is
an error, so a damaged report is named, not half read)."""
from pydantic import BaseModel, ConfigDict, ValidationError


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def first_error(e: ValidationError) -> str:
    """The first field a report's JSON does not fit, as a path and what is wrong: `stages[0].name: Field required`."""
    first = e.errors()[0]
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
    return f"{path}: {first['msg']}"
