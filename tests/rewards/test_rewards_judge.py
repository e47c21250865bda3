"""OpenAIJudge against a real OpenAI-compatible HTTP server on 127.0.0.1 (http.server in a thread)."""

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType

import pytest

from pyvision_envs.rewards import Judge, JudgeError, OpenAIJudge, grade, parse_verdict
from pyvision_envs.types import Task


def completion(content):
    return {"id": "cmpl-1", "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}


class ChatServer:
    """Serves POST /v1/chat/completions from a script of (status, body, delay_s); the last entry repeats."""

    def __init__(self, script):
        self.script = list(script)
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(raw)})
                status, body, delay = outer.script.pop(0) if len(outer.script) > 1 else outer.script[0]
                time.sleep(delay)
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client timed out and hung up

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def ok(content, delay=0.0):
    return (200, completion(content), delay)


def test_request_body_headers_and_yes_verdict():
    with ChatServer([ok("Yes.")]) as srv:
        judge = OpenAIJudge(srv.url, model="judge-7b", api_key="sk-test")
        assert judge("What colour is the car?", "crimson", "red") == 1.0
    (req,) = srv.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer sk-test"
    assert req["headers"]["Content-Type"] == "application/json"
    body = req["body"]
    assert body["model"] == "judge-7b"
    assert body["temperature"] == 0.0 and body["max_tokens"] == 64
    (msg,) = body["messages"]
    assert msg["role"] == "user"
    assert "Question: What colour is the car?" in msg["content"]
    assert "Reference answer: red" in msg["content"]
    assert "Candidate answer: crimson" in msg["content"]


@pytest.mark.parametrize("content, expected", [("no", 0.0), ("Score: 0.5", 0.5), ("<think>x</think>YES", 1.0)])
def test_verdicts_over_http(content, expected):
    with ChatServer([ok(content)]) as srv:
        assert OpenAIJudge(srv.url + "/v1/", model="m")("q", "p", "a") == expected
    assert srv.requests[0]["path"] == "/v1/chat/completions"
    assert "Authorization" not in srv.requests[0]["headers"]


def test_custom_template_and_no_max_tokens():
    with ChatServer([ok("yes")]) as srv:
        judge = OpenAIJudge(srv.url, "m", prompt_template="Q={question} P={prediction} A={answer} {{ok}}",
                            max_tokens=None)
        judge("2+2", "4", "four {x}")
    body = srv.requests[0]["body"]
    assert body["messages"][0]["content"] == "Q=2+2 P=4 A=four {x} {ok}"
    assert "max_tokens" not in body


def test_retries_5xx_with_backoff_then_succeeds():
    script = [(503, {"error": "busy"}, 0.0), (500, {"error": "oops"}, 0.0), ok("yes")]
    with ChatServer(script) as srv:
        judge = OpenAIJudge(srv.url, "m", max_attempts=3, backoff_s=0.05)
        start = time.monotonic()
        assert judge("q", "p", "a") == 1.0
        elapsed = time.monotonic() - start
    assert len(srv.requests) == 3
    assert elapsed >= 0.05 + 0.10  # slept backoff_s, then twice that


def test_persistent_5xx_raises_naming_the_url_and_attempts():
    with ChatServer([(502, {"error": "bad gateway"}, 0.0)]) as srv:
        judge = OpenAIJudge(srv.url, "m", max_attempts=3, backoff_s=0.0)
        with pytest.raises(JudgeError, match=r"127\.0\.0\.1.*/v1/chat/completions failed after 3 attempt.*HTTP 502"):
            judge("q", "p", "a")
    assert len(srv.requests) == 3


def test_client_error_is_not_retried():
    with ChatServer([(400, {"error": "unknown model"}, 0.0)]) as srv:
        judge = OpenAIJudge(srv.url, "nope", max_attempts=3, backoff_s=0.0)
        with pytest.raises(JudgeError, match="HTTP 400.*unknown model.*model name"):
            judge("q", "p", "a")
    assert len(srv.requests) == 1


def test_timeout_is_retried_then_raises():
    with ChatServer([ok("yes", delay=1.0)]) as srv:
        judge = OpenAIJudge(srv.url, "m", timeout_s=0.2, max_attempts=2, backoff_s=0.0)
        with pytest.raises(JudgeError, match="failed after 2 attempt.*(?i:timed out)"):
            judge("q", "p", "a")
    assert len(srv.requests) == 2


def test_connection_refused_raises_naming_the_url():
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    judge = OpenAIJudge(f"http://127.0.0.1:{port}", "m", max_attempts=2, backoff_s=0.0)
    with pytest.raises(JudgeError, match=rf"judge at http://127\.0\.0\.1:{port}/v1/chat/completions failed"):
        judge("q", "p", "a")


@pytest.mark.parametrize("body", [b"not json", {"choices": []}, {"error": "x"}])
def test_unusable_reply_raises(body):
    with ChatServer([(200, body, 0.0)]) as srv:
        with pytest.raises(JudgeError, match="judge at http://127.0.0.1"):
            OpenAIJudge(srv.url, "m", backoff_s=0.0)("q", "p", "a")


def test_unreadable_verdict_scores_zero_with_a_warning_or_raises_when_strict(caplog):
    with ChatServer([ok("I am not sure.")]) as srv:
        with caplog.at_level(logging.WARNING, logger="pyvision_envs.rewards.judge"):
            assert OpenAIJudge(srv.url, "m")("q", "p", "a") == 0.0
        assert "gave no yes/no or score" in caplog.text
        with pytest.raises(JudgeError, match="I am not sure"):
            OpenAIJudge(srv.url, "m", strict=True)("q", "p", "a")


def test_grade_routes_judge_tasks_over_http():
    t = Task(id="j1", question="Capital of France?", answer="Paris", grader="judge", grader_args=MappingProxyType({}))
    with ChatServer([ok("yes")]) as srv:
        assert grade(t, "paris", judge=OpenAIJudge(srv.url, "m")) == 1.0
    assert "Capital of France?" in srv.requests[0]["body"]["messages"][0]["content"]


def test_construction_errors_and_protocol():
    with pytest.raises(ValueError, match="lacks the field"):
        OpenAIJudge("http://x", "m", prompt_template="Is {prediction} right?")
    with pytest.raises(ValueError, match="max_attempts"):
        OpenAIJudge("http://x", "m", max_attempts=0)
    judge = OpenAIJudge("http://x/v1/chat/completions", "m", api_key="sk-secret")
    assert judge.url == "http://x/v1/chat/completions"
    assert "sk-secret" not in repr(judge)
    assert isinstance(judge, Judge)
    assert isinstance(lambda q, p, a: 1.0, Judge)


@pytest.mark.parametrize(
    "text, expected",
    [("yes", 1.0), ("No.", 0.0), ("Correct", 1.0), ("incorrect", 0.0), ("Verdict: yes", 1.0), ("0.25", 0.25),
     ("1", 1.0), ("9/10", 0.9), ("yesterday", None), ("5", None), ("1/0", None), ("", None), ("maybe yes", None)],
)
def test_parse_verdict(text, expected):
    assert parse_verdict(text) == expected
