#!/usr/bin/env python3
"""A long fuzz run of the parser and renderer: the properties of tests/test_fuzz.py with
many more examples than CI runs.

    python scripts/fuzz.py                 # 20,000 examples per property
    python scripts/fuzz.py -n 100000       # more
    python scripts/fuzz.py -- -x -s        # anything after -- goes to pytest
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--examples", type=int, default=20_000,
                        help="examples per property (default 20,000)")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args()
    env = {**os.environ, "SLIDEPROOF_FUZZ_EXAMPLES": str(args.examples)}
    command = [sys.executable, "-m", "pytest", str(ROOT / "tests" / "test_fuzz.py"), "-q",
               "--hypothesis-show-statistics", *args.pytest_args]
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
