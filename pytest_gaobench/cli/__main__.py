"""``python -m pytest_gaobench.cli``: the same as ``gao-dev``."""

from __future__ import annotations

import sys

from .main import main

sys.exit(main())
