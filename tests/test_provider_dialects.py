"""The metering proxy on OpenAI's and Gemini's APIs: the same rules as on Anthropic's.

Each test sends real HTTP through a real proxy (``MeteredApi`` with the provider) to a
scripted server of that provider, and checks what the proxy counted against what the
server served, what reached the server (the real key, never the token) and what the
agent got back (its provider's error format).
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest
from fake_gemini import VALID_GEMINI_KEY, FakeGemini
from fake_gemini import say as gemini_says
from fake_openai import VALID_OPENAI_KEY, FakeOpenAi, failure, run, say
from test_metering_proxy import TOKEN, Phase, phase  # noqa: F401  (the fixture)

from pytest_gaobench.metering.credentials import ApiKey
from pytest_gaobench.metering.metered_api import MeteredApi
from pytest_gaobench.metering.pricing import PriceTable
from pytest_gaobench.metering.providers import PROVIDERS, provider_of_model
from pytest_gaobench.model.spec import Budget


def metered(phase: Phase, provider: str, upstream: str, model: str,  # noqa: F811
            budget: Budget | None = None) -> MeteredApi:
    key = VALID_OPENAI_KEY if provider == "openai" else VALID_GEMINI_KEY
    return MeteredApi(phase.ctx, api_key=ApiKey(key, "test"), token=TOKEN,
                      prices=PriceTable.shipped(), budget=budget or Budget(), model=model,
                      upstream=upstream, provider=PROVIDERS[provider])


def post(url: str, path: str, body: dict[str, Any], headers: dict[str, str]
         ) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("POST" if body is not None else "GET", path,
                       body=json.dumps(body).encode(),
                       headers={"content-type": "application/json", **headers})
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, payload


def events(payload: bytes) -> list[dict[str, Any]]:
    return [json.loads(line[5:]) for line in payload.decode().splitlines()
            if line.startswith("data:") and line[5:].strip() != "[DONE]"]


BEARER = {"authorization": f"Bearer {TOKEN}"}


def test_responses_streamed_and_whole_are_counted_as_served(
        fake_openai: FakeOpenAi, phase: Phase) -> None:  # noqa: F811
    fake_openai.script(run("ls", input_tokens=1000, cached_tokens=400, output_tokens=50),
                       say(input_tokens=1200, cached_tokens=1000, output_tokens=7))
    with metered(phase, "openai", fake_openai.url, "gpt-5.5") as api:
        status, streamed = post(api.url, "/v1/responses",
                                {"model": "gpt-5.5", "input": "hi", "stream": True}, BEARER)
        assert status == 200
        status, whole = post(api.url, "/v1/responses", {"model": "gpt-5.5", "input": "hi"},
                             BEARER)
        assert status == 200
    assert events(streamed)[-1]["type"] == "response.completed"  # passed on unchanged
    assert json.loads(whole)["output"][0]["type"] == "message"
    usage = phase.ctx.usage
    served_input = fake_openai.served_total("input_tokens")
    cached = fake_openai.served_total("cached_tokens")
    assert (usage.tokens_input, usage.tokens_cache_read, usage.tokens_output) == (
        served_input - cached, cached, fake_openai.served_total("output_tokens")) == (
        800, 1400, 57)
    assert usage.api_calls == 2
    assert usage.cost_usd == pytest.approx((800 * 5.0 + 1400 * 0.5 + 57 * 30.0) / 1e6)
    sent = fake_openai.requests[0]["headers"]
    assert sent["authorization"] == f"Bearer {VALID_OPENAI_KEY}"
    assert TOKEN not in json.dumps(fake_openai.requests)
    setup = [e for e in phase.transcript() if e["kind"] == "request_setup"]
    assert setup and setup[0]["model"] == "gpt-5.5" and setup[0]["tools"] == []


def test_a_streamed_chat_call_is_asked_for_its_usage(
        fake_openai: FakeOpenAi, phase: Phase) -> None:  # noqa: F811
    fake_openai.script(run("ls", input_tokens=300, cached_tokens=100, output_tokens=11),
                       say(input_tokens=400, output_tokens=3))
    with metered(phase, "openai", fake_openai.url, "gpt-5.4") as api:
        status, streamed = post(api.url, "/v1/chat/completions",
                                {"model": "gpt-5.4", "stream": True,
                                 "messages": [{"role": "user", "content": "hi"}]}, BEARER)
        assert status == 200
        status, _ = post(api.url, "/v1/chat/completions",
                         {"model": "gpt-5.4", "max_completion_tokens": 50,
                          "messages": [{"role": "user", "content": "hi"}]}, BEARER)
        assert status == 200
    asked = fake_openai.requests[0]["body"]["stream_options"]
    assert asked == {"include_usage": True}  # added by the proxy: else no usage is sent
    assert events(streamed)[-1]["usage"]["prompt_tokens"] == 300
    usage = phase.ctx.usage
    assert (usage.tokens_input, usage.tokens_cache_read, usage.tokens_output,
            usage.api_calls) == (600, 100, 14, 2)


def test_paths_that_are_not_metered_are_refused_in_the_providers_format(
        fake_openai: FakeOpenAi, phase: Phase) -> None:  # noqa: F811
    with metered(phase, "openai", fake_openai.url, "gpt-5.5") as api:
        refused, body = post(api.url, "/v1/files", {"purpose": "batch"}, BEARER)
        stranger, _ = post(api.url, "/v1/responses", {"model": "gpt-5.5", "input": "x"},
                           {"authorization": f"Bearer {VALID_OPENAI_KEY}"})
        sneaky, _ = post(api.url, "/v1/responses/../batches", {}, BEARER)
    assert refused == 403 and sneaky == 403 and stranger == 401
    error = json.loads(body)["error"]
    assert "/v1/files is not forwarded" in error["message"] and error["code"] == "permission_denied"
    assert fake_openai.requests == []  # nothing reached the API
    assert api.state.refused_paths == 2


def test_a_call_without_an_output_limit_is_reserved_at_the_largest_reply(
        fake_openai: FakeOpenAi, phase: Phase) -> None:  # noqa: F811
    fake_openai.script(say(input_tokens=100, output_tokens=10))
    budget = Budget(max_cost_usd=1.0)  # 128,000 output tokens of gpt-5.5 cost $3.84
    with metered(phase, "openai", fake_openai.url, "gpt-5.5", budget) as api:
        refused, body = post(api.url, "/v1/responses", {"model": "gpt-5.5", "input": "x"},
                             BEARER)
        admitted, _ = post(api.url, "/v1/responses",
                           {"model": "gpt-5.5", "input": "x", "max_output_tokens": 1000},
                           BEARER)
    assert refused == 400 and admitted == 200
    assert "gaobench budget exceeded: max_cost_usd" in json.loads(body)["error"]["message"]
    assert len(fake_openai.requests) == 1
    assert api.state.budget_stop is not None


def test_an_outage_and_a_failed_stream_are_the_harness_failure(
        fake_openai: FakeOpenAi, phase: Phase) -> None:  # noqa: F811
    fake_openai.script(failure(429, "rate_limit_exceeded"))
    with metered(phase, "openai", fake_openai.url, "gpt-5.5") as api:
        status, _ = post(api.url, "/v1/responses", {"model": "gpt-5.5", "input": "x"}, BEARER)
    assert status == 429
    assert api.state.infra is not None and api.state.infra.startswith("outage")


# -- Gemini -----------------------------------------------------------------------------------

def test_gemini_calls_are_counted_and_the_key_never_rides_the_query(
        fake_gemini: FakeGemini, phase: Phase) -> None:  # noqa: F811
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "tools": [{"functionDeclarations": []}]}
    fake_gemini.script(*[gemini_says("Hello", input_tokens=900, cached_tokens=500, output_tokens=40,
                             thinking_tokens=60) for _ in range(2)])
    with metered(phase, "gemini", fake_gemini.url, "gemini-2.5-pro") as api:
        streamed, payload = post(
            api.url, f"/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key={TOKEN}",
            body, {})
        whole, _ = post(api.url, "/v1beta/models/gemini-2.5-pro:generateContent", body,
                        {"x-goog-api-key": TOKEN})
        refused, _ = post(api.url, "/v1beta/cachedContents", body, {"x-goog-api-key": TOKEN})
    assert (streamed, whole, refused) == (200, 200, 403)
    assert len(events(payload)) == 2
    usage = phase.ctx.usage  # per call: 400 fresh input, 500 cached, 40 + 60 thinking out
    assert (usage.tokens_input, usage.tokens_cache_read, usage.tokens_output,
            usage.api_calls) == (800, 1000, 200, 2)
    assert usage.cost_usd == pytest.approx((800 * 1.25 + 1000 * 0.125 + 200 * 10.0) / 1e6)
    first = fake_gemini.requests[0]
    assert first["path"] == "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    assert first["headers"]["x-goog-api-key"] == VALID_GEMINI_KEY
    assert TOKEN not in json.dumps(fake_gemini.requests)


@pytest.mark.parametrize(("model", "provider"), [
    ("gpt-5.5", "openai"), ("openai/gpt-5.4-mini", "openai"), ("o4-mini", "openai"),
    ("gemini-2.5-pro", "gemini"), ("gemini/gemini-3-flash", "gemini"),
    ("claude-sonnet-5-5", "anthropic"), ("anthropic/claude-opus-5", "anthropic")])
def test_a_models_provider_is_known_by_its_name(model: str, provider: str) -> None:
    assert provider_of_model(model).name == provider


def test_an_agents_own_usage_report_is_compared_with_the_proxys(
        phase: Phase) -> None:  # noqa: F811
    from pytest_gaobench.agents.cli.outcome import compare_with_proxy
    from pytest_gaobench.metering.api_usage import ApiUsage

    usage = phase.ctx.usage
    usage.tokens_input, usage.tokens_cache_read, usage.tokens_output = 2800, 7200, 102
    # Codex's turn.completed counts the cached input within its input, as OpenAI does.
    same = ApiUsage.from_openai({"input_tokens": 10000, "output_tokens": 102,
                                 "input_tokens_details": {"cached_tokens": 7200}})
    compare_with_proxy(phase.ctx, "codex", same,
                       ["tokens_input", "tokens_output", "tokens_cache_read"])
    assert phase.ctx.warnings == []
    fewer = ApiUsage(input=2000, output=102, cache_read=7200)
    compare_with_proxy(phase.ctx, "codex", fewer, ["tokens_input", "tokens_output"])
    assert phase.ctx.warnings == [
        "phase 'implementation': codex reported other usage than the metering proxy "
        "counted: input 2000 (proxy: 2800); the proxy's count is kept"]
