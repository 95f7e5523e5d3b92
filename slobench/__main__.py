"""`python -m slobench`: the same command as `slobench` (slobench/cli.py)."""
import sys

from slobench.cli import main

sys.exit(main())
