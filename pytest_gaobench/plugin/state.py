"""Where the plugin keeps its session object: in the config's stash, made on first use.

A light module, so the entry point can ask "is gaobench in use?" without importing the
session and everything it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .session import GaobenchSession

SESSION_KEY = pytest.StashKey["GaobenchSession"]()


def session_of(config: pytest.Config) -> GaobenchSession:
    """The session object, made (and so the isolation probed) on first use."""
    if SESSION_KEY not in config.stash:
        from .session import GaobenchSession

        config.stash[SESSION_KEY] = GaobenchSession(config)
    return config.stash[SESSION_KEY]


def existing_session(config: pytest.Config) -> GaobenchSession | None:
    """The session object if gaobench has been used in this run, else None."""
    return config.stash.get(SESSION_KEY, None)
