"""The base of every part of the report: frozen (built once, never changed) and strict (a field it does not know is
an error, so a damaged report is named, not half read)."""
from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
