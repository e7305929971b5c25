"""``python -m snnlib ...``: see :mod:`snnlib.cli`."""

import sys

from snnlib.cli import main

sys.exit(main())
