"""How big the fault and load tests run: short in `make test`, long in `make soak`."""

from __future__ import annotations

import os

SOAK = os.environ.get("SHOPWATCH_SOAK") == "1"


def scale(ci: int, soak: int) -> int:
    """`ci` in the normal test run, `soak` when `make soak` sets SHOPWATCH_SOAK=1."""
    return soak if SOAK else ci
