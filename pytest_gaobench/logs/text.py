"""Agent text is data: any string an agent can produce must survive every writer.

An agent's output may hold what no file, database or page takes as it is: a lone
surrogate (``"\\ud800"`` in a JSON stream decodes to one, and UTF-8 cannot encode it) or
a NUL (PostgreSQL's text refuses it). Every string the harness writes passes through
``writable_text`` (the redactor calls it), which swaps those for visible stand-ins and
leaves all else as it was; JSON, XML and the page escape the rest themselves.
"""

from __future__ import annotations

import re

_UNWRITABLE = re.compile("[\x00\ud800-\udfff]")
NUL_SIGN = "\u2400"
"""What a NUL becomes: the symbol for null, so the text still shows one was there."""


def writable_text(value: str) -> str:
    """``value`` with NULs as NUL_SIGN and lone surrogates as U+FFFD (a surrogate pair
    that arrived as two code points becomes its character)."""
    if _UNWRITABLE.search(value) is None:
        return value
    value = value.replace("\x00", NUL_SIGN)
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
