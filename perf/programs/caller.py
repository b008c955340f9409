"""Calls the API through the SDK, alternately streamed and whole, and prints each kind's
median time after ten warm-up calls.

    python caller.py URL KEY CALLS
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import anthropic


def main(url: str, key: str, calls: int) -> None:
    sdk = anthropic.Anthropic(api_key=key, base_url=url, max_retries=0)
    request: dict[str, Any] = {"model": "claude-sonnet-5-5", "max_tokens": 100,
                               "messages": [{"role": "user", "content": "hi"}]}
    times: dict[bool, list[float]] = {True: [], False: []}
    for number in range(calls):
        started = time.perf_counter()
        if number % 2:
            sdk.messages.create(**request)
        else:
            with sdk.messages.stream(**request) as stream:
                stream.get_final_message()
        if number >= 10:
            times[number % 2 == 0].append(time.perf_counter() - started)
    print(statistics.median(times[True]), statistics.median(times[False]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
