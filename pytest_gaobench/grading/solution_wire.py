"""What crosses between hidden tests and the solution they drive out of process.

JSON lines, never pickle: the solution's side runs the agent's code, so what it sends is
hostile data, and unpickling it would run its code in the grader. Values are JSON's own
(None, bools, numbers, strings, lists, objects with string keys) plus tuples, sets, bytes
and floats JSON cannot write, each tagged. An exception travels as its type's name and
message; a built-in exception type is raised again as itself.
"""

from __future__ import annotations

import base64
import builtins
import json
import math
from typing import Any

SOCKET_VARIABLE = "GAOBENCH_SOLUTION_SOCKET"
"""Where the grader's ``solution`` fixture finds the solution's socket."""
LINE_LIMIT = 16 * 1024 * 1024
"""The longest message read from the solution's side."""
_TAG = "__gaobench__"


class SolutionError(Exception):
    """An exception of the solution's own type (or one that could not cross)."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name


def encode(value: Any) -> Any:
    """``value`` as JSON can carry it; TypeError for what cannot cross."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {_TAG: "float", "value": repr(value)}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, tuple):
        return {_TAG: "tuple", "items": [encode(item) for item in value]}
    if isinstance(value, set | frozenset):
        return {_TAG: "set", "items": [encode(item) for item in value]}
    if isinstance(value, bytes):
        return {_TAG: "bytes", "base64": base64.b64encode(value).decode()}
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: encode(item) for key, item in value.items()}
    raise TypeError(f"a {type(value).__name__} cannot cross the process boundary "
                    f"(only JSON values, tuples, sets and bytes can)")


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(_TAG)
    if tag == "tuple":
        return tuple(decode(item) for item in value["items"])
    if tag == "set":
        return {decode(item) for item in value["items"]}
    if tag == "bytes":
        return base64.b64decode(value["base64"])
    if tag == "float":
        return float(value["value"])
    return {key: decode(item) for key, item in value.items()}


def dumps(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def loads(line: bytes) -> dict[str, Any]:
    """A message from the other side; SolutionError for anything else."""
    try:
        message = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise SolutionError("ProtocolError", f"unreadable reply ({type(exc).__name__})") \
            from None
    if not isinstance(message, dict):
        raise SolutionError("ProtocolError", "a reply that is not a JSON object")
    return message


def raised(error: Any) -> BaseException:
    """The exception a reply's ``error`` stands for: a built-in type as itself (so
    ``pytest.raises(ValueError)`` works), any other as ``SolutionError``."""
    error = error if isinstance(error, dict) else {}
    name, message = str(error.get("type", "Error"))[:200], str(error.get("message", ""))
    kind = getattr(builtins, name, None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            return kind(message)
        except TypeError:  # a built-in whose constructor wants more than a message
            pass
    return SolutionError(name, message)
