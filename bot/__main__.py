"""`python -m bot` runs the shopwatch command."""

import sys

from bot.cli import main

sys.exit(main())
