"""``python -m microasgi``: the same as the ``microasgi`` command."""

import sys

from microasgi.tooling.cli import main

sys.exit(main())
