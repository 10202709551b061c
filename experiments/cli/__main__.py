"""``python -m experiments.cli``: the ``cascade`` command line."""

import sys

from experiments.cli.main import main

sys.exit(main())
