"""Metering you can bill by: every call the proxy forwards is bounded before it goes, and
every token it was billed for is counted, on each provider's API.

Each test is an attack or an accident that went through (or was miscounted) before: real
HTTP through a real ``MeteredApi`` to the scripted server of the provider, or to a small
upstream of its own where the attack needs a broken one.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_anthropic import VALID_KEY, FakeAnthropic, error, message, text
from fake_gemini import FakeGemini
from fake_gemini import say as gemini_says
from fake_openai import FakeOpenAi, say
from test_metering_proxy import (  # noqa: F401  (phase: the fixture)
    SONNET,
    TOKEN,
    Phase,
    ask,
    client,
    phase,
    raw_request,
    read_the_start_then_leave,
)
from test_provider_dialects import BEARER, metered, post

from pytest_gaobench.metering.credentials import ApiKey
from pytest_gaobench.metering.metered_api import MeteredApi
from pytest_gaobench.metering.pricing import PriceTable
from pytest_gaobench.model.spec import Budget

GEMINI = "/v1beta/models/gemini-2.5-pro:generateContent"
GEMINI_KEY = {"x-goog-api-key": TOKEN}


def anthropic_call(api: MeteredApi, body: dict[str, Any],
                   headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    return raw_request(api.url, "POST", "/v1/messages", json.dumps(body).encode(), headers)


def hi(**fields: Any) -> dict[str, Any]:
    return {"model": SONNET, "messages": [{"role": "user", "content": "hi"}], **fields}


# -- 1. a limit that is not a positive integer reserves nothing: refused -----------------------

@pytest.mark.parametrize("limit", [64000.0, "64000", 0, -5, True, None])
def test_an_anthropic_limit_that_is_not_a_positive_integer_is_refused(
        fake_anthropic: FakeAnthropic, phase: Phase, limit: Any) -> None:  # noqa: F811
    body = hi(max_tokens=limit) if limit is not None else hi()
    with phase.metered(fake_anthropic.url, Budget(max_cost_usd=0.05)) as api:
        status, answer = anthropic_call(api, body)
    assert status == 400 and answer["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in answer["error"]["message"]
    assert fake_anthropic.message_requests == []  # nothing reached the API
    assert phase.ctx.usage.api_calls in (None, 0)


def test_openai_and_gemini_limits_that_are_not_integers_are_refused_in_their_format(
        fake_openai: FakeOpenAi, fake_gemini: FakeGemini, phase: Phase) -> None:  # noqa: F811
    with metered(phase, "openai", fake_openai.url, "gpt-5.5") as api:
        chat, chat_body = post(api.url, "/v1/chat/completions",
                               {"model": "gpt-5.5", "max_tokens": "64000",
                                "messages": [{"role": "user", "content": "x"}]}, BEARER)
        responses, _ = post(api.url, "/v1/responses",
                            {"model": "gpt-5.5", "input": "x", "max_output_tokens": 64000.0},
                            BEARER)
    with metered(phase, "gemini", fake_gemini.url, "gemini-2.5-pro") as api:
        gemini, gemini_body = post(api.url, GEMINI, {
            "contents": [{"role": "user", "parts": [{"text": "x"}]}],
            "generationConfig": {"maxOutputTokens": 64000.5}}, GEMINI_KEY)
    assert (chat, responses, gemini) == (400, 400, 400)
    assert "max_tokens must be a positive integer" in json.loads(chat_body)["error"]["message"]
    assert json.loads(gemini_body)["error"]["status"] == "INVALID_ARGUMENT"
    assert fake_openai.requests == [] and fake_gemini.requests == []


# -- 2. choices multiply output -----------------------------------------------------------------

def test_choices_are_reserved_as_many_replies(fake_openai: FakeOpenAi, fake_gemini: FakeGemini,
                                             phase: Phase) -> None:  # noqa: F811
    fake_openai.script(say(input_tokens=10, output_tokens=5))
    budget = Budget(max_tokens=20_000)
    chat = {"model": "gpt-5.5", "max_tokens": 1000,
            "messages": [{"role": "user", "content": "x"}]}
    with metered(phase, "openai", fake_openai.url, "gpt-5.5", budget) as api:
        many, body = post(api.url, "/v1/chat/completions", {**chat, "n": 128}, BEARER)
        one, _ = post(api.url, "/v1/chat/completions", {**chat, "n": 1}, BEARER)
    assert (many, one) == (400, 200)
    said = json.loads(body)["error"]["message"]
    assert int(re.search(r"may use up to (\d+) tokens", said)[1]) >= 128 * 1000  # type: ignore[index]
    assert "for each reply" in said
    with metered(phase, "gemini", fake_gemini.url, "gemini-2.5-pro", budget) as api:
        candidates, _ = post(api.url, GEMINI, {
            "contents": [{"role": "user", "parts": [{"text": "x"}]}],
            "generationConfig": {"maxOutputTokens": 1000, "candidateCount": 64}}, GEMINI_KEY)
    assert candidates == 400  # only the free input count reached the API
    assert [r["path"].rsplit(":", 1)[1] for r in fake_gemini.requests] == ["countTokens"]


# -- 3. a stream cut before its usage came is charged its reservation -------------------------

def test_a_stream_cut_at_the_phases_end_is_charged_what_it_could_write(
        fake_anthropic: FakeAnthropic, phase: Phase) -> None:  # noqa: F811
    hung = message(text("a long answer"), input_tokens=900, output_tokens=1)
    hung.hang_after_events = 2  # message_start and one delta: the usage never comes
    fake_anthropic.script(hung)
    api = phase.metered(fake_anthropic.url).__enter__()
    assert b"message_start" in read_the_start_then_leave(api.url, max_tokens=64_000)
    api.__exit__(None, None, None)  # the phase ended: the upstream stream is cut
    usage = phase.ctx.usage
    assert (usage.api_calls, usage.tokens_input, usage.tokens_output) == (1, 900, 64_000)
    charged = [e for e in phase.transcript() if e["kind"] == "api_call_charged"]
    assert len(charged) == 1 and charged[0]["usage"]["output_tokens"] == 64_000 - 1


def test_a_stream_read_to_its_end_is_not_charged_more(
        fake_anthropic: FakeAnthropic, phase: Phase) -> None:  # noqa: F811
    fake_anthropic.script(message(text("short"), input_tokens=900, output_tokens=7))
    with phase.metered(fake_anthropic.url) as api:
        ask(client(api), stream=True, max_tokens=64_000)
    assert phase.ctx.usage.tokens_output == 7
    assert not [e for e in phase.transcript() if e["kind"] == "api_call_charged"]


# -- 4. only what is metered goes through -------------------------------------------------------

@pytest.mark.parametrize("fields", [
    {"mcp_servers": [{"type": "url", "url": "https://mcp.example", "name": "x"}]},
    {"container": "container_1"},
    {"tools": [{"type": "web_fetch_20250910", "name": "web_fetch"}]},
    {"tools": [{"type": "code_execution_20250825", "name": "code_execution"}]},
    {"tools": [{"type": "web_search_20250305", "name": "web_search"}]},
])
def test_anthropic_fields_and_server_tools_that_spend_on_their_own_are_refused(
        fake_anthropic: FakeAnthropic, phase: Phase, fields: dict[str, Any]) -> None:  # noqa: F811
    with phase.metered(fake_anthropic.url) as api:
        status, answer = anthropic_call(api, hi(max_tokens=100, **fields))
    assert status == 400 and "cannot meter" in answer["error"]["message"]
    assert fake_anthropic.message_requests == []
    refused = [e for e in phase.transcript() if e["kind"] == "api_refused"]
    assert len(refused) == 1


def test_a_web_search_the_benchmark_allows_and_bounds_goes_through(
        fake_anthropic: FakeAnthropic, phase: Phase) -> None:  # noqa: F811
    fake_anthropic.script(message(text("found"), input_tokens=10, output_tokens=2))
    search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}
    with MeteredApi(phase.ctx, api_key=ApiKey(VALID_KEY, "test"), token=TOKEN,
                    prices=PriceTable.shipped(), budget=Budget(), model=SONNET,
                    upstream=fake_anthropic.url, allowed_tools=frozenset({"web_search"})
                    ) as api:
        unbounded, _ = anthropic_call(api, hi(max_tokens=100, tools=[
            {"type": "web_search_20250305", "name": "web_search"}]))
        bounded, _ = anthropic_call(api, hi(max_tokens=100, tools=[search]))
    assert (unbounded, bounded) == (400, 200)
    assert len(fake_anthropic.message_requests) == 1


@pytest.mark.parametrize("fields", [
    {"previous_response_id": "resp_1"}, {"conversation": "conv_1"}, {"background": True},
    {"prompt": {"id": "pmpt_1"}}, {"tools": [{"type": "file_search"}]},
    {"tools": [{"type": "web_search"}]}, {"tools": [{"type": "code_interpreter"}]},
    {"tools": [{"type": "mcp", "server_url": "https://mcp.example"}]},
])
def test_openai_stored_context_background_and_hosted_tools_are_refused(
        fake_openai: FakeOpenAi, phase: Phase, fields: dict[str, Any]) -> None:  # noqa: F811
    with metered(phase, "openai", fake_openai.url, "gpt-5.5") as api:
        status, body = post(api.url, "/v1/responses",
                            {"model": "gpt-5.5", "input": "x", "max_output_tokens": 100,
                             **fields}, BEARER)
    assert status == 400 and "cannot meter" in json.loads(body)["error"]["message"]
    assert fake_openai.requests == []


@pytest.mark.parametrize("fields", [
    {"cachedContent": "cachedContents/abc"}, {"tools": [{"googleSearch": {}}]},
    {"tools": [{"codeExecution": {}}]}, {"tools": [{"urlContext": {}}]},
])
def test_gemini_stored_context_and_its_own_tools_are_refused(
        fake_gemini: FakeGemini, phase: Phase, fields: dict[str, Any]) -> None:  # noqa: F811
    with metered(phase, "gemini", fake_gemini.url, "gemini-2.5-pro") as api:
        status, body = post(api.url, GEMINI, {
            "contents": [{"role": "user", "parts": [{"text": "x"}]}], **fields}, GEMINI_KEY)
    assert status == 400 and "cannot meter" in json.loads(body)["error"]["message"]
    assert fake_gemini.requests == []


def test_only_headers_that_change_neither_price_nor_reach_go_upstream(
        fake_anthropic: FakeAnthropic, fake_openai: FakeOpenAi, phase: Phase) -> None:  # noqa: F811
    fake_anthropic.script(message(text("ok"), input_tokens=10, output_tokens=1))
    fake_openai.script(say(input_tokens=10, output_tokens=1))
    with phase.metered(fake_anthropic.url) as api:
        status, _ = anthropic_call(api, hi(max_tokens=10), {
            "anthropic-version": "2023-06-01", "x-stainless-lang": "python",
            "anthropic-beta": "context-1m-2025-08-07,interleaved-thinking-2025-05-14,"
                              "mcp-client-2025-04-04",
            "x-forwarded-for": "10.0.0.1", "x-made-up": "anything"})
    assert status == 200
    sent = fake_anthropic.message_requests[0]["headers"]
    assert sent["anthropic-beta"] == "interleaved-thinking-2025-05-14"
    assert sent["anthropic-version"] == "2023-06-01" and sent["x-stainless-lang"] == "python"
    assert "x-forwarded-for" not in sent and "x-made-up" not in sent
    with metered(phase, "openai", fake_openai.url, "gpt-5.5") as api:
        status, _ = post(api.url, "/v1/responses",
                         {"model": "gpt-5.5", "input": "x", "max_output_tokens": 10},
                         {**BEARER, "openai-organization": "org-other",
                          "openai-project": "proj-other", "openai-beta": "responses=v1"})
    assert status == 200
    sent = fake_openai.requests[0]["headers"]
    assert "openai-organization" not in sent and "openai-project" not in sent
    assert sent["openai-beta"] == "responses=v1"


# -- 5. a price belongs to one model -----------------------------------------------------------

def test_a_price_is_a_models_own_or_its_dated_versions() -> None:
    prices = PriceTable.shipped()
    assert prices.lookup("gpt-5-2025-08-07") is prices.prices["gpt-5"]
    assert prices.lookup("gemini-2.5-pro-001") is prices.prices["gemini-2.5-pro"]
    assert prices.lookup("claude-sonnet-4-5-20250929") is prices.prices["claude-sonnet-4-5"]
    assert prices.lookup("gpt-5-pro") is None  # list price ~12x gpt-5's
    assert prices.lookup("gpt-5-nano") is None
    assert prices.lookup("gemini-2.5-pro-vision") is None


def test_a_sibling_model_is_refused_under_a_cost_budget(
        fake_openai: FakeOpenAi, phase: Phase) -> None:  # noqa: F811
    with metered(phase, "openai", fake_openai.url, "gpt-5.5", Budget(max_cost_usd=1.0)) as api:
        status, body = post(api.url, "/v1/responses",
                            {"model": "gpt-5-pro", "input": "x", "max_output_tokens": 10},
                            BEARER)
    assert status == 400 and "no price is known for model 'gpt-5-pro'" in json.loads(
        body)["error"]["message"]
    assert fake_openai.requests == []


# -- 6. inputs the body does not show are counted too -------------------------------------------

def test_gemini_counts_the_system_instruction_and_tools_of_a_call(
        fake_gemini: FakeGemini, phase: Phase) -> None:  # noqa: F811
    fake_gemini.script(gemini_says("ok", input_tokens=50, output_tokens=2),
                       gemini_says("ok", input_tokens=50, output_tokens=2))
    system = {"parts": [{"text": "a long system prompt"}]}
    tools = [{"functionDeclarations": [{"name": "run", "description": "run a command"}]}]
    image = {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}
    with metered(phase, "gemini", fake_gemini.url, "gemini-2.5-pro",
                 Budget(max_tokens=100_000)) as api:
        status, _ = post(api.url, GEMINI, {
            "contents": [{"role": "user", "parts": [image]}], "systemInstruction": system,
            "tools": tools, "generationConfig": {"maxOutputTokens": 100}}, GEMINI_KEY)
    assert status == 200
    counted = [r for r in fake_gemini.requests if r["path"].endswith(":countTokens")]
    assert len(counted) == 1
    asked = counted[0]["body"]["generateContentRequest"]
    assert asked["systemInstruction"] == system and asked["tools"] == tools
    assert asked["model"] == "models/gemini-2.5-pro" and asked["contents"][0]["parts"] == [image]


# -- 7. an outage is not the agent's budget ----------------------------------------------------

def test_calls_the_api_failed_do_not_spend_the_turn_budget(
        fake_anthropic: FakeAnthropic, phase: Phase) -> None:  # noqa: F811
    fake_anthropic.script(error(503, "api_error"), error(529, "overloaded_error"),
                          message(text("ok"), input_tokens=10, output_tokens=1))
    with MeteredApi(phase.ctx, api_key=ApiKey(VALID_KEY, "test"), token=TOKEN,
                    prices=PriceTable.shipped(), budget=Budget(max_turns=1), model=SONNET,
                    upstream=fake_anthropic.url, max_calls=1) as api:
        statuses = [anthropic_call(api, hi(max_tokens=10))[0] for _ in range(4)]
    assert statuses == [503, 529, 200, 400]  # the one turn is the call that was answered
    assert api.state.budget_stop is not None and "max_turns" in api.state.budget_stop
    assert phase.ctx.usage.api_calls == 1


# -- 8 and 10. a broken upstream ----------------------------------------------------------------

@pytest.fixture
def upstream() -> Iterator[Callable[[bytes], str]]:
    """A one-request-at-a-time upstream that answers every request with ``raw`` bytes (a
    whole HTTP response, as broken as the test wants it) and then closes."""
    servers: list[socket.socket] = []

    def serve(raw: bytes) -> str:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        servers.append(listener)

        def answer() -> None:
            while True:
                try:
                    connection, _ = listener.accept()
                except OSError:
                    return
                with connection:
                    connection.recv(65536)
                    connection.sendall(raw)

        threading.Thread(target=answer, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    yield serve
    for listener in servers:
        listener.close()


def test_a_reply_that_breaks_off_mid_body_is_an_outage_in_the_providers_format(
        upstream: Callable[[bytes], str], phase: Phase) -> None:  # noqa: F811
    url = upstream(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                   b"content-length: 5000\r\n\r\n{\"id\": \"msg_1\", \"usage\"")
    with phase.metered(url) as api:
        status, answer = anthropic_call(api, hi(max_tokens=10))
        assert api.state.infra is not None and api.state.infra.startswith("outage")
    assert status == 502 and answer["error"]["type"] == "api_error"
    assert "broke off" in answer["error"]["message"]
    logged = [e for e in phase.transcript() if e["kind"] == "api_call"]
    assert len(logged) == 1 and "broke off" in logged[0]["cut"]


def test_the_last_event_of_a_stream_counts_without_a_line_break_after_it(
        upstream: Callable[[bytes], str], phase: Phase) -> None:  # noqa: F811
    start = {"type": "message_start", "message": {
        "id": "msg_1", "model": SONNET, "usage": {"input_tokens": 40, "output_tokens": 1}}}
    delta = {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
             "usage": {"output_tokens": 77}}
    stream = (f"event: message_start\ndata: {json.dumps(start)}\n\n"
              f"event: message_delta\ndata: {json.dumps(delta)}").encode()
    url = upstream(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                   b"content-length: " + str(len(stream)).encode() + b"\r\n\r\n" + stream)
    with phase.metered(url) as api:
        status, _ = raw_request(api.url, "POST", "/v1/messages",
                                json.dumps(hi(max_tokens=100, stream=True)).encode())
    assert status == 200
    usage = phase.ctx.usage
    assert (usage.tokens_input, usage.tokens_output) == (40, 77)
    assert not [e for e in phase.transcript() if e["kind"] == "api_call_charged"]


@pytest.mark.parametrize("ended", ["budget", "deadline"])
def test_a_phase_stopped_while_the_api_was_out_is_infra(phase: Phase, ended: str) -> None:  # noqa: F811
    """The turns an agent spent retrying, and the time it retried for, are the outage's."""
    from pytest_gaobench.agents.base import InfraError
    from pytest_gaobench.agents.cli.outcome import conclude_exit
    from pytest_gaobench.metering.metered_api import ProxyState
    from pytest_gaobench.sandbox.process import CommandResult

    state = ProxyState(infra="outage: HTTP 503 api_error",
                       budget_stop="max_tokens: 5000 tokens used" if ended == "budget" else None)
    done = CommandResult("agent", None if ended == "deadline" else 1, "", "retrying",
                         timed_out=ended == "deadline", duration_seconds=30.0)
    with pytest.raises(InfraError, match="outage: HTTP 503"):
        conclude_exit(phase.ctx, "agent", done, state)


RETRIES_FOREVER = """\
import anthropic, time
client = anthropic.Anthropic(max_retries=0)
while True:
    try:
        client.messages.create(model="claude-sonnet-5-5", max_tokens=10,
                               messages=[{"role": "user", "content": "x"}])
    except anthropic.APIStatusError:
        time.sleep(0.2)
"""


def test_an_agent_retrying_an_outage_until_its_deadline_is_infra_not_a_timeout(
        pytester: pytest.Pytester, api: FakeAnthropic) -> None:
    import sys

    from benchmark_files import BenchmarkWriter, result_named

    api.script(*[error(529, "overloaded_error") for _ in range(200)])
    BenchmarkWriter(pytester.path).write("calc", agent_command=f"{sys.executable} agent.py",
                                         timeout_seconds=4)
    (pytester.path / "boilerplates" / "calc" / "agent.py").write_text(RETRIES_FOREVER)
    pytester.runpytest_subprocess("--gaobench-agent=command", "-p", "no:cacheprovider",
                                  "--gaobench-agent-env=ANTHROPIC_API_KEY"
                                  ).assert_outcomes(failed=1)
    result = result_named(pytester.path, "calc")
    assert (result["status"], result["failure_kind"]) == ("failed", "infra")
    assert "overloaded_error" in result["reason"]


def test_a_proxy_that_cannot_start_leaves_no_thread_or_folder(phase: Phase) -> None:  # noqa: F811
    import tempfile

    def proxies() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name == "gaobench-proxy"}

    folders, threads = set(Path(tempfile.gettempdir()).glob("gaobench-api-*")), proxies()
    api = MeteredApi(phase.ctx, api_key=ApiKey(VALID_KEY, "test"), token=TOKEN,
                     prices=PriceTable.shipped(), budget=Budget(), model=SONNET,
                     upstream="http://[not-a-host", socket_url="http://127.0.0.1:8390")
    with pytest.raises(ValueError), api:
        pass
    assert proxies() == threads  # its event loop's thread was ended, not left running
    assert set(Path(tempfile.gettempdir()).glob("gaobench-api-*")) == folders
