import sys

from slobench.cli import main

sys.exit(main())
