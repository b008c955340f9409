"""The plugin's warning category, so users can filter or escalate it (-W)."""

from __future__ import annotations

import pytest


class GaobenchWarning(pytest.PytestWarning):
    """Something about the set-up that deserves attention but does not stop the session."""
