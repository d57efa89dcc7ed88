"""`python -m glassbox ...` runs the `glassbox` command."""

import sys

from glassbox.cli import main

if __name__ == "__main__":  # importing this module (e.g. to collect doctests) runs nothing
    sys.exit(main())
