"""The master owns the profile: it offers its own to each worker that joins, and a worker takes it only when it
runs the same slobench (the same scenario code); otherwise it refuses, and both sides say why."""
from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

from pydantic import ValidationError

from loadtests.profile import Profile


def _version() -> str:
    """The package's version and a digest of the load-generation code: what a master and its workers must share."""
    try:
        release = metadata.version("slobench")
    except metadata.PackageNotFoundError:
        release = "unpackaged"
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.read_bytes())
    return f"{release}+{digest.hexdigest()[:10]}"


VERSION = _version()


def offer(profile: Profile) -> dict:
    return {"version": VERSION, "profile": profile.model_dump(mode="json")}


def accept(data: dict, version: str = VERSION) -> tuple[Profile | None, str | None]:
    """(the master's profile, None), or (None, why this worker refuses it)."""
    if data.get("version") != version:
        return None, (f"this worker runs slobench {version}, the master {data.get('version')}: "
                      "install the same version on every generator host")
    try:
        return Profile.model_validate(data.get("profile")), None
    except ValidationError as exc:
        err = exc.errors()[0]
        return None, f"the master's profile cannot be loaded here: {'.'.join(map(str, err['loc']))}: {err['msg']}"
