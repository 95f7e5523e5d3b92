"""`python -m stack up|down|status`: the local stack (API + Prometheus) without Docker."""
from __future__ import annotations

import argparse
import sys

from pydantic import ValidationError

from common.environment import environment_error

from stack import local
from stack.procs import StackError
from stack.settings import StackSettings
from runfolder import names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status"])
    args = parser.parse_args(argv)
    try:
        settings = StackSettings()
    except ValidationError as exc:
        print(environment_error(exc), file=sys.stderr)
        return 2
    if args.command == "down":
        local.down(settings.state_dir)
        return 0
    if args.command == "status":
        print("\n".join(local.status(settings.state_dir)))
        return 0
    try:
        state = local.up(settings, predictions_db=settings.state_dir / names.PREDICTIONS)
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for note in state.notes:
        print(f"note: {note}")
    print(f"API         {state.api_url}  (docs {state.api_url}/docs, metrics {state.api_url}/metrics)")
    print(f"Prometheus  {state.prometheus_url}  (try {state.prometheus_url}/api/v1/query?query=up)")
    print("stop with `make stack-down`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
