"""``python -m dspex_core``: the ``dspex`` command."""

import sys

from dspex_core.cli import main

sys.exit(main())
