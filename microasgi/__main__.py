"""``python -m microasgi``: the same as the ``microasgi`` command."""

import sys

from microasgi.cli import main

sys.exit(main())
