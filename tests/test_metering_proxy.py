"""The metering proxy between a CLI agent and the API: the real SDK on one side, the
scripted Messages API on the other, and the usage counted from what passed through."""

from __future__ import annotations

import threading
from typing import Any

import anthropic
import pytest
from fake_anthropic import VALID_KEY, FakeAnthropic, error, message, text, tool, tool_turn

from pytest_gaobench.agents.proxy import MeteringProxy

TOKEN = "gaobench-run-test-token"


class Counted:
    """What the proxy reported, as the agent driver would record it."""

    def __init__(self) -> None:
        self.calls = 0
        self.tokens: dict[str, int] = {}
        self.models: list[str] = []
        self.log: list[tuple[str, dict[str, Any]]] = []
        self.refuse: str | None = None

    def usage(self, model: str, tokens: dict[str, int], new_call: bool) -> None:
        self.calls += new_call
        self.models.append(model)
        for key, value in tokens.items():
            self.tokens[key] = self.tokens.get(key, 0) + value

    def proxy(self, upstream: str) -> MeteringProxy:
        return MeteringProxy(upstream=upstream, api_key=VALID_KEY, token=TOKEN,
                             on_usage=self.usage, over_budget=lambda: self.refuse,
                             log=lambda kind, **data: self.log.append((kind, data)))


def client(proxy: MeteringProxy, key: str = TOKEN) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=key, base_url=proxy.url, max_retries=0)


def ask(sdk: anthropic.Anthropic, *, stream: bool) -> str:
    request: dict[str, Any] = {"model": "claude-sonnet-5-5", "max_tokens": 100,
                               "messages": [{"role": "user", "content": "hi"}]}
    if not stream:
        reply = sdk.messages.create(**request)
        return str(reply.content[0].type)
    with sdk.messages.stream(**request) as events:
        final = events.get_final_message()
    return str(final.content[0].type)


def test_streams_and_plain_replies_pass_unchanged_and_are_counted(
        fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(
        message(text("plain"), input_tokens=100, output_tokens=7, cache_read=30),
        tool_turn(tool("Bash", command="ls"), input_tokens=200, output_tokens=11,
                  cache_write=40))
    counted = Counted()
    with counted.proxy(fake_anthropic.url) as proxy:
        assert ask(client(proxy), stream=False) == "text"
        assert ask(client(proxy), stream=True) == "tool_use"
    assert counted.calls == 2 == proxy.state.calls
    served = {key: fake_anthropic.served_total(key) for key in
              ("input_tokens", "output_tokens", "cache_read_input_tokens",
               "cache_creation_input_tokens")}
    assert counted.tokens == served == {"input_tokens": 300, "output_tokens": 18,
                                        "cache_read_input_tokens": 30,
                                        "cache_creation_input_tokens": 40}
    # The real key went upstream; the agent's token did not.
    assert all(r["headers"]["x-api-key"] == VALID_KEY for r in fake_anthropic.requests)
    assert [kind for kind, _ in counted.log] == ["request_setup", "api_call", "api_call"]
    assert counted.log[2][1]["stream"] is True


def test_only_the_run_token_gets_through(fake_anthropic: FakeAnthropic) -> None:
    counted = Counted()
    with counted.proxy(fake_anthropic.url) as proxy, \
            pytest.raises(anthropic.AuthenticationError):
        ask(client(proxy, key=VALID_KEY), stream=False)
    assert fake_anthropic.requests == [] and counted.calls == 0


def test_a_spent_budget_is_refused_and_stops_the_agent(fake_anthropic: FakeAnthropic) -> None:
    counted = Counted()
    counted.refuse = "max_tokens: 500 tokens used, the budget is 500"
    with counted.proxy(fake_anthropic.url) as proxy, \
            pytest.raises(anthropic.BadRequestError, match="gaobench budget exceeded"):
        ask(client(proxy), stream=True)
    assert fake_anthropic.requests == []
    assert proxy.state.budget_stop == counted.refuse and proxy.state.stop_agent.is_set()


def test_outages_and_an_unreachable_api_are_remembered(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(error(529, "overloaded_error"))
    counted = Counted()
    with counted.proxy(fake_anthropic.url) as proxy:
        with pytest.raises(anthropic.APIStatusError):
            ask(client(proxy), stream=True)
        assert proxy.state.outage == "HTTP 529"
    with counted.proxy("http://127.0.0.1:9") as proxy:  # nothing listens on the discard port
        with pytest.raises(anthropic.InternalServerError):
            ask(client(proxy), stream=False)
        assert proxy.state.outage is not None and "could not be reached" in proxy.state.outage


def test_a_stream_cut_mid_way_still_counts_what_was_served(
        fake_anthropic: FakeAnthropic) -> None:
    hung = message(text("never finished"), input_tokens=900, output_tokens=50, cache_read=10)
    hung.hang_after_events = 2
    fake_anthropic.script(hung)
    counted = Counted()
    proxy = counted.proxy(fake_anthropic.url).__enter__()
    sdk = anthropic.Anthropic(api_key=TOKEN, base_url=proxy.url, max_retries=0, timeout=1.0)
    failures: list[BaseException] = []

    def give_up() -> None:
        try:
            ask(sdk, stream=True)
        except Exception as exc:
            failures.append(exc)

    caller = threading.Thread(target=give_up)
    caller.start()
    caller.join()  # the client timed out (as a killed agent would)
    assert failures
    proxy.close()  # the phase ended: the upstream stream is cut
    assert counted.calls == 1
    assert counted.tokens == {key: fake_anthropic.served_total(key) for key in counted.tokens}
    assert counted.tokens["input_tokens"] == 900
