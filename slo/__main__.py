"""`python -m slo rules [--slo FILE]`: write the Prometheus SLO rules into stack/rules/."""
from __future__ import annotations

import argparse
import sys

from common.exit_codes import Exit
from common.specfile import SpecError
from slo.prometheus.rules import RULES_PATH, write
from slo.file.load import DEFAULT_SLO_PATH, load_slo
from common.contract import LATENCY_BUCKETS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m slo", description=__doc__)
    parser.add_argument("command", choices=["rules"])
    parser.add_argument("--slo", default=str(DEFAULT_SLO_PATH))
    parser.add_argument("--out", default=str(RULES_PATH))
    args = parser.parse_args(argv)
    try:
        path = write(load_slo(args.slo), args.out, LATENCY_BUCKETS)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return Exit.CANNOT_JUDGE
    print(f"wrote {path}")
    return Exit.PASS


if __name__ == "__main__":
    sys.exit(main())
