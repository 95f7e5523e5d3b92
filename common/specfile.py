"""Spec files (SLO, load profile): YAML loading, one strict pydantic base, and pydantic errors turned into
path-like messages: `slos.yaml: objectives[p99].threshold_ms: must be > 0`."""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError


class SpecError(ValueError):
    """A spec file (SLO or load profile) is missing, unreadable or invalid; the message names the file and field."""


def _message(err: dict) -> str:
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required"
    for key, op in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
        if key in ctx and kind.startswith(("greater", "less")):
            value = ctx[key]
            return f"must be {op} {value:g}" if isinstance(value, (int, float)) else f"must be {op} {value}"
    return err["msg"].removeprefix("Value error, ")


def _path(loc: tuple, raw) -> str:
    out, node = "", raw
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            out += f"[{name or part}]"
            node = item
        else:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, dict):
                # A discriminated union adds the tag ('latency_quantile') to the path: skip it.
                if out and part not in ("__root__",) and part.islower() and part in _TAGS:
                    continue
                node = None
            out += f".{part}" if out else str(part)
    return out


_TAGS: set[str] = set()


def register_tags(*tags: str) -> None:
    _TAGS.update(tags)


def spec_error(exc: ValidationError, filename: str, raw) -> SpecError:
    """pydantic's errors as one SpecError, a line each, naming the file and the field's path."""
    lines = [f"{filename}: {_path(tuple(e['loc']), raw) or '(top level)'}: {_message(e)}" for e in exc.errors()]
    return SpecError("\n".join(lines))


class Strict(BaseModel):
    """The base of every model read from a spec file: unknown keys are errors, values are frozen."""
    model_config = ConfigDict(extra="forbid", frozen=True)


def load_yaml(path: Path | str) -> tuple[dict, str]:
    """(the top-level mapping, the file name for messages); SpecError naming the file otherwise."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: file not found")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise SpecError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: expected a mapping at the top level")
    return raw, path.name
