"""The scripted Messages API in a process of its own, for the proxy row.

    python upstream.py TESTS_FOLDER

Prints its URL; each line on stdin clears what it keeps; end of input stops it.
"""

from __future__ import annotations

import sys


def main(tests: str) -> None:
    sys.path.insert(0, tests)
    from fake_anthropic import FakeAnthropic, message, text

    server = FakeAnthropic(keep_alive=True)
    server.responder = lambda body: message(text("ok"), input_tokens=10, output_tokens=2)
    server.start()
    print(server.url, flush=True)
    for _line in sys.stdin:
        server.requests.clear()


if __name__ == "__main__":
    main(sys.argv[1])
