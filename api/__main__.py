"""`python -m api`: serve the API with uvicorn (API_HOST, API_PORT, API_WORKERS, ... from the environment)."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile

from pydantic import ValidationError

from common.environment import environment_error


def main() -> int:
    from api import models
    from api.data import DataError, resolve_snapshot
    from api.settings import ApiSettings

    try:
        settings = ApiSettings()
        resolve_snapshot(settings.serving_as_of)
        models.load(settings.model_file)  # a bad file is refused here with its reason, before uvicorn starts
    except ValidationError as exc:
        print(environment_error(exc), file=sys.stderr)
        return 2
    except (models.ModelError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    created = None
    if settings.api_workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Workers share counters through files in this folder; it must start empty.
        created = tempfile.mkdtemp(prefix="slobench-prom-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = created

    import uvicorn

    from api.protocol import TimedHttpToolsProtocol

    try:
        uvicorn.run("api.app:create_app", factory=True, host=settings.api_host, port=settings.api_port,
                    workers=settings.api_workers, access_log=False, log_level="warning", http=TimedHttpToolsProtocol)
    finally:
        if created:
            shutil.rmtree(created, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
