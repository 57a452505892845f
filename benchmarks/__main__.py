"""``python -m benchmarks [options]``: the same as ``spc bench [options]``."""

from __future__ import annotations

import sys

from sim.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
