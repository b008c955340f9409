"""Todo items kept in a JSON file."""

import json
import os
from pathlib import Path


def store_path() -> Path:
    return Path(os.environ.get("TODO_FILE", "todo.json"))


def load(path: Path) -> list[dict]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    return json.loads(path.read_text())


def save(path: Path, items: list[dict]) -> None:
    path.write_text(json.dumps(items, indent=2))


def add(path: Path, text: str) -> int:
    items = load(path)
    items.append({"text": text, "done": False})
    save(path, items)
    return len(items)


def mark_done(path: Path, number: int) -> None:
    items = load(path)
    if not 1 <= number <= len(items):
        raise IndexError(f"no item {number}")
    items[number - 1]["done"] = True
    save(path, items)
