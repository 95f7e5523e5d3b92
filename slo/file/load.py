"""Which SLO file this is, and the typed model it gives: slobench's own format as is, OpenSLO v1 and Sloth
prometheus/v1 mapped onto it (slo/file/openslo.py, slo/file/sloth.py)."""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from common.specfile import SpecError, load_yaml, spec_error
from slo.file.model import SloSpec
from slo.file.openslo import from_openslo
from slo.file.sloth import from_sloth

DEFAULT_SLO_PATH = Path(__file__).resolve().parent.parent / "slos.yaml"


def read(path: Path | str) -> tuple[dict, str]:
    """(raw dict for SloSpec, file name): slobench's format as is, the others mapped."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: file not found")
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except yaml.YAMLError:
        return load_yaml(path)  # its message names the line
    first = docs[0] if docs and isinstance(docs[0], dict) else {}
    if str(first.get("apiVersion", "")).startswith("openslo"):
        return from_openslo(docs, path.name), path.name
    if first.get("version") == "prometheus/v1":
        return from_sloth(first, path.name), path.name
    if len(docs) == 1 and first:
        return first, path.name  # slobench's own file, already parsed
    return load_yaml(path)  # empty, several documents or not a mapping: its message says which


def load_slo(path: Path | str = DEFAULT_SLO_PATH) -> SloSpec:
    """slobench's own SLO file, or an OpenSLO v1 or Sloth prometheus/v1 file mapped onto it."""
    raw, name = read(path)
    try:
        return SloSpec.model_validate(raw)
    except ValidationError as exc:
        raise spec_error(exc, name, raw) from None
