"""The metering proxy between a CLI agent and the API, and the accounting behind it: the
real SDK (or raw HTTP, as a hostile agent would send it) on one side, the scripted
Messages API on the other, and a real ``MeteredApi`` with a real phase context counting."""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anthropic
import pytest
from benchmark_files import BenchmarkWriter
from fake_anthropic import VALID_KEY, FakeAnthropic, error, message, text, tool, tool_turn

from pytest_gaobench.agents.base import PhaseContext
from pytest_gaobench.logs.log import RunLog
from pytest_gaobench.logs.redaction import Redactor
from pytest_gaobench.metering.api_failures import ApiFailure, classify
from pytest_gaobench.metering.credentials import ApiKey
from pytest_gaobench.metering.metered_api import MeteredApi
from pytest_gaobench.metering.pricing import PriceTable
from pytest_gaobench.model.metrics import Usage
from pytest_gaobench.model.spec import Budget
from pytest_gaobench.sandbox.sandbox import Sandbox
from pytest_gaobench.specfile.load import load_spec

TOKEN = "gaobench-run-test-token"
SONNET = "claude-sonnet-5-5"  # $2 in, $10 out, $2.5 / $0.2 cache write / read per million


@dataclass
class Phase:
    """A phase's context with a real run log, and the transcript it wrote."""

    ctx: PhaseContext
    run_dir: Path

    def metered(self, upstream: str, budget: Budget | None = None,
                model: str = SONNET) -> MeteredApi:
        return MeteredApi(self.ctx, api_key=ApiKey(VALID_KEY, "test"), token=TOKEN,
                          prices=PriceTable.shipped(), budget=budget or Budget(), model=model,
                          upstream=upstream)

    def transcript(self) -> list[dict[str, Any]]:
        lines = (self.run_dir / "transcript.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]


@pytest.fixture
def phase(tmp_path: Path) -> Iterator[Phase]:
    config = load_spec(BenchmarkWriter(tmp_path / "suite").write("calc"))
    run_dir = tmp_path / "run"
    (run_dir / "workspace").mkdir(parents=True)
    log = RunLog(run_dir, Redactor([VALID_KEY]), run_id="run", benchmark="calc")
    ctx = PhaseContext(config=config, phase=config.workflow_phases[0], phase_index=0,
                       sandbox=Sandbox("run", run_dir, run_dir / "workspace"), usage=Usage(),
                       run_usage=Usage(), log=log, deadline=time.monotonic() + 120)
    yield Phase(ctx, run_dir)
    log.close()


def client(api: MeteredApi, key: str = TOKEN, **options: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=key, base_url=api.url, max_retries=0, **options)


def ask(sdk: anthropic.Anthropic, *, stream: bool, model: str = SONNET,
        max_tokens: int = 100) -> str:
    request: dict[str, Any] = {"model": model, "max_tokens": max_tokens,
                               "messages": [{"role": "user", "content": "hi"}]}
    if not stream:
        reply = sdk.messages.create(**request)
        return str(reply.content[0].type)
    with sdk.messages.stream(**request) as events:
        final = events.get_final_message()
    return str(final.content[0].type)


def raw_request(url: str, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """One request as any program could send it, with the run token."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request(method, path, body=body,
                       headers={"x-api-key": TOKEN, "content-type": "application/json",
                                **(headers or {})})
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    try:
        return response.status, json.loads(payload)
    except ValueError:
        return response.status, {"raw": payload.decode(errors="replace")}


def read_the_start_then_leave(url: str, max_tokens: int = 100) -> bytes:
    """A streamed call's request, its reply read until the call has started, then the
    connection closed: a client that went away, decided by what it read, not by a clock."""
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"model": SONNET, "max_tokens": max_tokens, "stream": True,
                       "messages": [{"role": "user", "content": "hi"}]}).encode()
    seen = b""
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(b"POST /v1/messages HTTP/1.1\r\nhost: x\r\n"
                           b"content-type: application/json\r\nx-api-key: "
                           + TOKEN.encode() + b"\r\ncontent-length: "
                           + str(len(body)).encode() + b"\r\n\r\n" + body)
        while b"message_start" not in seen:
            chunk = connection.recv(65536)
            if not chunk:
                break
            seen += chunk
    return seen


def served(fake: FakeAnthropic) -> dict[str, int]:
    return {key: fake.served_total(key) for key in
            ("input_tokens", "output_tokens", "cache_read_input_tokens",
             "cache_creation_input_tokens")}


def counted(usage: Usage) -> dict[str, int]:
    return {"input_tokens": usage.tokens_input or 0, "output_tokens": usage.tokens_output or 0,
            "cache_read_input_tokens": usage.tokens_cache_read or 0,
            "cache_creation_input_tokens": usage.tokens_cache_write or 0}


# -- forwarding and counting -----------------------------------------------------------------

def test_streams_and_plain_replies_pass_unchanged_and_are_counted(
        fake_anthropic: FakeAnthropic, phase: Phase) -> None:
    fake_anthropic.script(
        message(text("plain"), input_tokens=100, output_tokens=7, cache_read=30),
        tool_turn(tool("Bash", command="ls"), input_tokens=200, output_tokens=11,
                  cache_write=40))
    with phase.metered(fake_anthropic.url) as api:
        assert ask(client(api), stream=False) == "text"
        assert ask(client(api), stream=True) == "tool_use"
    assert phase.ctx.usage.api_calls == 2 == api.state.calls
    assert counted(phase.ctx.usage) == served(fake_anthropic) == {
        "input_tokens": 300, "output_tokens": 18, "cache_read_input_tokens": 30,
        "cache_creation_input_tokens": 40}
    assert phase.ctx.usage.cost_usd == pytest.approx(
        (300 * 2 + 18 * 10 + 30 * 0.2 + 40 * 2.5) / 1e6)
    # The real key went upstream; the agent's token did not.
    assert all(r["headers"]["x-api-key"] == VALID_KEY for r in fake_anthropic.requests)
    kinds = [entry["kind"] for entry in phase.transcript()]
    assert kinds == ["request_setup", "api_call", "api_call"]
    assert phase.transcript()[2]["stream"] is True


def test_a_large_whole_reply_arrives_whole(fake_anthropic: FakeAnthropic, phase: Phase) -> None:
    """A reply bigger than one read of the socket is passed on entire (and counted)."""
    long_text = "word " * 400_000  # 2 MB, many TCP segments
    fake_anthropic.script(message(text(long_text), input_tokens=5, output_tokens=20_000))
    with phase.metered(fake_anthropic.url) as api:
        reply = client(api).messages.create(model=SONNET, max_tokens=20_000,
                                            messages=[{"role": "user", "content": "talk"}])
    assert reply.content[0].type == "text" and reply.content[0].text == long_text
    assert phase.ctx.usage.tokens_output == 20_000


def test_only_the_run_token_gets_through(fake_anthropic: FakeAnthropic, phase: Phase) -> None:
    with phase.metered(fake_anthropic.url) as api, \
            pytest.raises(anthropic.AuthenticationError):
        ask(client(api, key=VALID_KEY), stream=False)
    assert fake_anthropic.requests == [] and phase.ctx.usage.api_calls is None


# -- the allow-list --------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/v1/messages/batches"), ("GET", "/v1/messages/batches/msgbatch_1/results"),
    ("POST", "/v1/files"), ("POST", "/v1/complete"), ("POST", "/v1/messages/../files"),
    ("DELETE", "/v1/messages"), ("GET", "/v1/messages"), ("POST", "/v1/%6dessages/x"),
])
def test_what_is_not_metered_is_not_forwarded(fake_anthropic: FakeAnthropic, phase: Phase,
                                              method: str, path: str) -> None:
    body = json.dumps({"model": SONNET, "max_tokens": 10, "messages": []}).encode()
    with phase.metered(fake_anthropic.url) as api:
        status, reply = raw_request(api.url, method, path, body)
    assert status == 403
    assert reply["error"]["type"] == "permission_error"
    assert "is not forwarded" in reply["error"]["message"]
    assert fake_anthropic.paths == []  # nothing reached the API with the real key
    assert api.state.refused_paths == 1


def test_paths_are_normalised_before_matching_and_count_tokens_is_its_own_kind(
        fake_anthropic: FakeAnthropic, phase: Phase) -> None:
    fake_anthropic.script(message(text("hi"), input_tokens=50, output_tokens=5),
                          message(text("hi"), input_tokens=50, output_tokens=5))
    body = json.dumps({"model": SONNET, "max_tokens": 10,
                       "messages": [{"role": "user", "content": "x"}]}).encode()
    with phase.metered(fake_anthropic.url) as api:
        assert raw_request(api.url, "POST", "/v1//messages", body)[0] == 200
        assert raw_request(api.url, "POST", "/v1/./messages?beta=true", body)[0] == 200
        assert raw_request(api.url, "POST", "/v1/messages/count_tokens", body)[0] == 200
        assert raw_request(api.url, "GET", "/v1/models")[0] == 200
    assert fake_anthropic.paths == [
        "/v1/messages", "/v1/messages?beta=true", "/v1/messages/count_tokens", "/v1/models"]
    assert phase.ctx.usage.api_calls == 2 and api.state.count_token_calls == 1
    assert counted(phase.ctx.usage)["input_tokens"] == 100


# -- budgets: reserved before, settled after ------------------------------------------------

def test_concurrent_calls_cannot_overdraw_the_budget(fake_anthropic: FakeAnthropic,
                                                     phase: Phase) -> None:
    fake_anthropic.delay = 0.5  # every call is in flight while the others arrive
    fake_anthropic.script(*(message(text("ok"), input_tokens=1000, output_tokens=1000)
                            for _ in range(20)))
    # One call's worst case: ~2,300 input tokens and 1,000 output at sonnet's price, $0.015.
    budget = Budget(max_cost_usd=0.02)
    with phase.metered(fake_anthropic.url, budget) as api:
        sdk = client(api)

        def one_call(_: int) -> str:
            try:
                return ask(sdk, stream=False, max_tokens=1000)
            except anthropic.BadRequestError as exc:
                return str(exc)

        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(one_call, range(20)))
    assert answers.count("text") == 1
    assert all("gaobench budget exceeded: max_cost_usd" in a for a in answers if a != "text")
    assert len(fake_anthropic.message_requests) == 1
    counts = [r["body"] for r in fake_anthropic.requests if r not in
              fake_anthropic.message_requests]
    assert counts and all(set(b) == {"model", "messages"} for b in counts)  # no max_tokens
    assert phase.ctx.usage.cost_usd == pytest.approx((1000 * 2 + 1000 * 10) / 1e6)
    assert phase.ctx.usage.cost_usd <= budget.max_cost_usd  # type: ignore[operator]
    assert api.state.budget_stop is not None and api.state.stop_agent.is_set()


def test_a_call_that_cannot_fit_is_refused_before_it_is_forwarded(
        fake_anthropic: FakeAnthropic, phase: Phase) -> None:
    # The body's size bounds its input at ~2,100 tokens: too many beside 4,990 output, so
    # the API counts it (42 tokens): still over a budget of 5,000.
    with phase.metered(fake_anthropic.url, Budget(max_tokens=5_000)) as api, \
            pytest.raises(anthropic.BadRequestError, match="may use up to 5032 tokens"):
        ask(client(api), stream=True, max_tokens=4_990)
    assert fake_anthropic.message_requests == []
    assert [r["path"] for r in fake_anthropic.requests] == ["/v1/messages/count_tokens"]
    assert api.state.budget_stop is not None and "max_tokens" in api.state.budget_stop


def test_the_apis_count_of_the_input_lets_in_a_call_its_size_bound_would_refuse(
        fake_anthropic: FakeAnthropic, phase: Phase) -> None:
    fake_anthropic.script(message(text("ok"), input_tokens=42, output_tokens=10))
    with phase.metered(fake_anthropic.url, Budget(max_tokens=5_000)) as api:
        assert ask(client(api), stream=False, max_tokens=4_000) == "text"
    assert len(fake_anthropic.message_requests) == 1 and api.state.count_token_calls == 1
    assert api.state.budget_stop is None


def test_an_image_is_counted_by_the_api_before_it_is_admitted_and_fails_closed(
        fake_anthropic: FakeAnthropic, phase: Phase) -> None:
    """An image's tokens follow its pixels, not its bytes: only the API's count bounds it;
    when the count cannot be had, the call is refused, not let through unbounded."""
    fake_anthropic.counted = error(529, "overloaded_error", "Overloaded")
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": "iVBORw0KGgo="}}
    with phase.metered(fake_anthropic.url, Budget(max_cost_usd=50.0)) as api, \
            pytest.raises(anthropic.BadRequestError, match="could not be counted"):
        client(api).messages.create(model="claude-sonnet-5-5", max_tokens=10, messages=[
            {"role": "user", "content": [image, {"type": "text", "text": "what is it?"}]}])
    assert fake_anthropic.message_requests == []
    assert api.state.count_token_calls == 0


def test_an_unpriced_model_under_a_cost_budget_is_refused_naming_the_price_option(
        fake_anthropic: FakeAnthropic, phase: Phase) -> None:
    with phase.metered(fake_anthropic.url, Budget(max_cost_usd=5.0)) as api, \
            pytest.raises(anthropic.BadRequestError, match="--gaobench-prices"):
        ask(client(api), stream=False, model="mystery-model-1")
    assert fake_anthropic.requests == []


def test_an_unpriced_model_without_a_budget_is_counted_with_a_null_cost(
        fake_anthropic: FakeAnthropic, phase: Phase) -> None:
    reply = message(text("ok"), input_tokens=10, output_tokens=2)
    reply.body["model"] = "mystery-model-1"
    fake_anthropic.script(reply)
    with phase.metered(fake_anthropic.url) as api:
        ask(client(api), stream=False, model="mystery-model-1")
    assert phase.ctx.usage.tokens_input == 10 and phase.ctx.usage.cost_usd is None
    assert any("no price known for model 'mystery-model-1'" in w for w in phase.ctx.warnings)


def test_web_searches_and_one_hour_cache_writes_are_priced(
        fake_anthropic: FakeAnthropic, phase: Phase) -> None:
    reply = message(text("found it"), input_tokens=1000, output_tokens=100)
    reply.body["usage"].update({
        "cache_creation_input_tokens": 3000,
        "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000},
        "server_tool_use": {"web_search_requests": 3}})
    fake_anthropic.script(reply)
    with phase.metered(fake_anthropic.url) as api:
        ask(client(api), stream=False)
    # 1,000 in at $2, 100 out at $10, 1,000 5-minute writes at $2.5, 2,000 1-hour writes at
    # 2x input ($4), per million; 3 searches at $10 per thousand.
    expected = (1000 * 2 + 100 * 10 + 1000 * 2.5 + 2000 * 4) / 1e6 + 3 * 10 / 1000
    assert phase.ctx.usage.cost_usd == pytest.approx(expected)
    assert phase.ctx.usage.tokens_cache_write == 3000


# -- failures: one classifier -----------------------------------------------------------------

def test_the_classifier_says_the_same_for_every_agent() -> None:
    assert classify(529) is classify(200, "overloaded_error") is ApiFailure.OUTAGE
    assert classify(None) is classify(503) is classify(429) is ApiFailure.OUTAGE
    assert classify(401) is classify(403) is ApiFailure.KEY_REFUSED
    assert classify(404) is ApiFailure.UNKNOWN_MODEL
    assert classify(400, "invalid_request_error") is ApiFailure.BAD_REQUEST
    assert classify(200) is None
    assert [f.is_infra for f in ApiFailure] == [True, True, True, False]


def test_outages_and_an_unreachable_api_are_remembered(fake_anthropic: FakeAnthropic,
                                                       phase: Phase) -> None:
    fake_anthropic.script(error(529, "overloaded_error"))
    with phase.metered(fake_anthropic.url) as api:
        with pytest.raises(anthropic.APIStatusError):
            ask(client(api), stream=True)
        assert api.state.infra == "outage: HTTP 529 overloaded_error"
    with phase.metered("http://127.0.0.1:9") as api:  # nothing listens on the discard port
        with pytest.raises(anthropic.InternalServerError):
            ask(client(api), stream=False)
        assert api.state.infra is not None and "could not be reached" in api.state.infra


def test_a_refused_key_upstream_is_the_harness_failure(fake_anthropic: FakeAnthropic,
                                                       phase: Phase) -> None:
    fake_anthropic.valid_keys = {"some-other-key"}
    with phase.metered(fake_anthropic.url) as api, \
            pytest.raises(anthropic.AuthenticationError):
        ask(client(api), stream=False)
    assert api.state.infra is not None and api.state.infra.startswith("key_refused")


def test_an_error_event_mid_stream_is_an_outage_despite_the_200(
        fake_anthropic: FakeAnthropic, phase: Phase) -> None:
    reply = message(text("partial"), input_tokens=300, output_tokens=20)
    reply.error_event_after = 3  # the API's streaming form of a 529
    fake_anthropic.script(reply)
    with phase.metered(fake_anthropic.url) as api, pytest.raises(anthropic.APIStatusError):
        ask(client(api), stream=True)
    assert api.state.infra == "outage: HTTP 200 overloaded_error"
    assert phase.ctx.usage.tokens_input == 300  # message_start was counted


# -- what the agent's side may do ------------------------------------------------------------

def test_a_client_that_goes_away_mid_reply_is_still_counted_in_full(
        fake_anthropic: FakeAnthropic, phase: Phase, capfd: pytest.CaptureFixture[str]) -> None:
    slow = message(text("a long answer"), input_tokens=700, output_tokens=90, cache_read=5)
    slow.pause_after_events = (2, 60.0)  # the client gives up during the pause
    fake_anthropic.script(slow)
    with phase.metered(fake_anthropic.url) as api:
        seen = read_the_start_then_leave(api.url)
        assert b"message_start" in seen
        assert phase.ctx.usage.tokens_output < 90  # the stream's end is still to come
        fake_anthropic.released.set()  # the API sends the rest to nobody
    # Closing lets a running call finish its reading first: the proxy read it to its end.
    assert counted(phase.ctx.usage) == served(fake_anthropic)
    assert phase.ctx.usage.tokens_output == 90 and phase.ctx.usage.api_calls == 1
    assert "Traceback" not in capfd.readouterr().err


def test_a_stream_cut_by_close_still_counts_what_was_served(
        fake_anthropic: FakeAnthropic, phase: Phase) -> None:
    hung = message(text("never finished"), input_tokens=900, output_tokens=50, cache_read=10)
    hung.hang_after_events = 2
    fake_anthropic.script(hung)
    api = phase.metered(fake_anthropic.url).__enter__()
    assert b"message_start" in read_the_start_then_leave(api.url)
    api.__exit__(None, None, None)  # the phase ended: the upstream stream is cut
    assert phase.ctx.usage.api_calls == 1 and phase.ctx.usage.tokens_input == 900


def test_chunked_bodies_arrive_whole_and_a_bad_length_is_refused(
        fake_anthropic: FakeAnthropic, phase: Phase) -> None:
    fake_anthropic.script(message(text("ok"), input_tokens=10, output_tokens=1))
    body = json.dumps({"model": SONNET, "max_tokens": 10,
                       "messages": [{"role": "user", "content": "chunked " * 1000}]}).encode()
    with phase.metered(fake_anthropic.url) as api:
        host, port = api.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request("POST", "/v1/messages", body=iter([body[:100], body[100:]]),
                           headers={"x-api-key": TOKEN, "content-type": "application/json"},
                           encode_chunked=True)
        assert connection.getresponse().status == 200
        connection.close()
        status, _ = raw_request(api.url, "POST", "/v1/messages", body,
                                headers={"content-length": "twelve"})
    assert status == 400
    assert fake_anthropic.requests[0]["body"] == json.loads(body)
    assert len(fake_anthropic.requests) == 1


def test_an_oversized_body_is_refused_with_bounded_memory(fake_anthropic: FakeAnthropic,
                                                          phase: Phase) -> None:
    chunk = b"x" * (1024 * 1024)
    with phase.metered(fake_anthropic.url) as api:
        host, port = api.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        tracemalloc.start()
        try:
            connection.request("POST", "/v1/messages", body=iter([chunk] * 200),
                               headers={"x-api-key": TOKEN}, encode_chunked=True)
            status = connection.getresponse().status
        except (ConnectionError, BrokenPipeError):
            status = 413  # the proxy answered and closed while the body was still coming
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        connection.close()
    assert status == 413
    assert peak < 80 * 1024 * 1024  # a 200 MiB body; the API's limit is 32 MiB
    assert fake_anthropic.requests == []


# -- the HTTP stack --------------------------------------------------------------------------

class EgressProxy:
    """A CI runner's egress proxy: answers forward-proxy requests (absolute URIs) by
    passing them to the scripted API, and remembers them."""

    def __init__(self, target: FakeAnthropic) -> None:
        self.seen: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                outer.seen.append(self.path)
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                path = "/" + self.path.split("/", 3)[3]
                upstream = http.client.HTTPConnection(target.url.removeprefix("http://"))
                upstream.request("POST", path, body=body, headers=dict(self.headers))
                answer = upstream.getresponse()
                payload = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def test_proxy_variables_are_honoured(fake_anthropic: FakeAnthropic, phase: Phase,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    egress = EgressProxy(fake_anthropic)
    fake_anthropic.script(message(text("via egress"), input_tokens=10, output_tokens=1),
                          message(text("direct"), input_tokens=10, output_tokens=1))
    upstream = fake_anthropic.url.replace("127.0.0.1", "localhost")
    monkeypatch.setenv("HTTP_PROXY", egress.url)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the agent's SDK reaches our proxy directly
    with phase.metered(upstream) as api:
        ask(client(api), stream=False)
    assert egress.seen == [f"{upstream}/v1/messages"]
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with phase.metered(upstream) as api:
        ask(client(api), stream=False)
    assert len(egress.seen) == 1 and phase.ctx.usage.api_calls == 2
    egress.server.shutdown()


def test_upstream_connections_are_reused(phase: Phase) -> None:
    upstream = FakeAnthropic(keep_alive=True)
    upstream.start()
    upstream.script(*(message(text("ok")) for _ in range(3)))
    try:
        with phase.metered(upstream.url) as api:
            for _ in range(3):
                ask(client(api), stream=False)
    finally:
        upstream.stop()
    assert len(upstream.connections) == 3 and len(set(upstream.connections)) == 1


def test_close_returns_while_the_upstream_still_stalls(phase: Phase) -> None:
    """close() does not wait for the upstream: it returns while the stalled upstream still holds
    the connection open (without a bound it would wait for the agent's 30 s timeout or more;
    perf/run.py reports how long close takes), and leaves no proxy thread behind."""
    stalled = socket.socket()  # accepts connections (backlog) and never answers
    stalled.bind(("127.0.0.1", 0))
    stalled.listen(8)
    before = {t.ident for t in threading.enumerate()}
    api = phase.metered(f"http://127.0.0.1:{stalled.getsockname()[1]}").__enter__()
    failures: list[BaseException] = []

    def call_the_stalled_upstream() -> None:
        try:
            ask(client(api, timeout=30), stream=False)
        except Exception as error:  # the proxy's close ends the agent's call
            failures.append(error)

    caller = threading.Thread(target=call_the_stalled_upstream, daemon=True)
    caller.start()
    stalled.settimeout(10)
    accepted, _ = stalled.accept()  # the request reached the stalled upstream, which waits
    api.__exit__(None, None, None)
    left = [t for t in threading.enumerate()
            if t.ident not in before and t is not caller and t.name == "gaobench-proxy"]
    caller.join(timeout=30)
    accepted.close()
    stalled.close()
    assert failures and not caller.is_alive()
    assert left == []
