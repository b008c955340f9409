"""Which database a setting names, without importing a database library."""

from __future__ import annotations

from pathlib import Path

DISABLED = "none"
"""``--gaobench-db none``: results stay in files only."""


def database_url(target: str | None, gaobench_dir: Path) -> str | None:
    """An SQLAlchemy URL from a URL, a file path, or nothing (the default SQLite file);
    None when the database is turned off (``none``)."""
    if target is not None and target.strip().lower() == DISABLED:
        return None
    if not target:
        return f"sqlite:///{gaobench_dir / 'results.db'}"
    if "://" in target:
        return target
    return f"sqlite:///{Path(target).expanduser().resolve()}"
