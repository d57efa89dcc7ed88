"""`python -m glassbox ...` runs the `glassbox` command."""

import sys

from glassbox.cli import main

sys.exit(main())
