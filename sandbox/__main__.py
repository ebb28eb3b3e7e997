"""``python -m sandbox --port 8081``."""

import sys

from sandbox.server import main

sys.exit(main())
