"""LLM-judge grading: a :class:`Judge` protocol and an OpenAI-compatible HTTP judge.

``OpenAIJudge`` talks to any server that implements ``POST /v1/chat/completions`` (vLLM, llama.cpp,
SGLang, OpenAI) with the standard library only, retries transient failures, and turns the reply into a
score in ``[0, 1]`` with :func:`parse_verdict`.
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.error
import urllib.request
from typing import Any, Protocol, runtime_checkable

__all__ = ["DEFAULT_PROMPT", "Judge", "JudgeError", "OpenAIJudge", "parse_verdict"]

log = logging.getLogger(__name__)

DEFAULT_PROMPT = """\
You are grading a candidate answer against the reference answer to a question.
Reply with one word: "yes" if the candidate answer means the same as the reference answer, otherwise "no".

Question: {question}
Reference answer: {answer}
Candidate answer: {prediction}
Verdict:"""

_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
_YES = ("yes", "correct", "true", "right")
_NO = ("no", "incorrect", "false", "wrong")


@runtime_checkable
class Judge(Protocol):
    """Anything that scores a prediction against the answer to a question, in ``[0, 1]``.

    A plain function ``(question, prediction, answer) -> float`` is a Judge.
    """

    def __call__(self, question: str, prediction: str, answer: str) -> float:
        """Return the score of ``prediction`` (1.0 correct, 0.0 wrong, or in between)."""
        ...


class JudgeError(RuntimeError):
    """The judge server could not be reached or gave an unusable reply."""


def parse_verdict(text: str) -> float | None:
    """Read a judge's reply as a score in ``[0, 1]``; ``None`` when it says neither.

    Understands a leading yes/no word (also correct/incorrect, true/false), a number in ``[0, 1]``, and a
    ratio such as ``8/10``. A ``<think>...</think>`` block is skipped.

    Examples:
        >>> parse_verdict("Yes."), parse_verdict("**No**, it differs"), parse_verdict("Score: 0.75")
        (1.0, 0.0, 0.75)
        >>> parse_verdict("<think>hmm, no wait</think> yes"), parse_verdict("7/10")
        (1.0, 0.7)
        >>> parse_verdict("maybe") is None, parse_verdict("5") is None
        (True, True)
    """
    s = re.sub(r"<think>.*?</think>", " ", text, flags=re.DOTALL | re.IGNORECASE)
    s = re.sub(r"^[\s*_`\"'#]*(?:verdict|answer|score|grade)?\s*[:=]?[\s*_`\"']*", "", s.lower())
    word = re.match(r"[a-z]+", s)
    if word:
        if word.group(0) in _YES:
            return 1.0
        if word.group(0) in _NO:
            return 0.0
        return None
    m = re.match(r"(\d+(?:\.\d+)?)\s*(?:/\s*(\d+(?:\.\d+)?))?", s)
    if not m:
        return None
    value = float(m.group(1))
    if m.group(2):
        den = float(m.group(2))
        value = value / den if den > 0 else -1.0
    return value if 0.0 <= value <= 1.0 else None


def _chat_url(base_url: str) -> str:
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    return base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")


class OpenAIJudge:
    """A judge behind an OpenAI-compatible ``/v1/chat/completions`` endpoint.

    Args:
        base_url: Server root (``http://127.0.0.1:8000``) or its ``/v1`` URL.
        model: The ``model`` field of the request.
        api_key: Sent as ``Authorization: Bearer <key>`` when given.
        timeout_s: Per-request timeout in seconds.
        prompt_template: A ``str.format`` template with the fields ``{question}``, ``{prediction}`` and
            ``{answer}``; the judge must reply yes/no or a score in ``[0, 1]``.
        max_attempts: Tries per call; connection errors, timeouts, HTTP 429 and 5xx are retried.
        backoff_s: Sleep before the second try; it doubles for each further try.
        max_tokens: ``max_tokens`` of the request (``None`` to leave it out).
        strict: Raise :class:`JudgeError` on a reply :func:`parse_verdict` cannot read, instead of
            logging a warning and scoring 0.

    Raises:
        ValueError: The template lacks a field, or a limit is not positive.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        prompt_template: str = DEFAULT_PROMPT,
        *,
        max_attempts: int = 3,
        backoff_s: float = 0.5,
        max_tokens: int | None = 64,
        strict: bool = False,
    ) -> None:
        missing = [f for f in ("{question}", "{prediction}", "{answer}") if f not in prompt_template]
        if missing:
            raise ValueError(f"OpenAIJudge: prompt_template lacks the field(s) {missing}; add them")
        if max_attempts < 1 or timeout_s <= 0 or backoff_s < 0:
            raise ValueError(
                f"OpenAIJudge: need max_attempts >= 1, timeout_s > 0, backoff_s >= 0; got "
                f"{max_attempts}, {timeout_s}, {backoff_s}"
            )
        self.url = _chat_url(base_url)
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.prompt_template = prompt_template
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_tokens = max_tokens
        self.strict = strict

    def __repr__(self) -> str:
        return f"OpenAIJudge(url={self.url!r}, model={self.model!r})"  # never shows the key

    def request_body(self, question: str, prediction: str, answer: str) -> dict[str, Any]:
        """The JSON body sent for one judgement (greedy decoding, one user message)."""
        prompt = self.prompt_template.format(question=question, prediction=prediction, answer=answer)
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0.0,
        }
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        return body

    def __call__(self, question: str, prediction: str, answer: str) -> float:
        """Ask the server and return its verdict in ``[0, 1]``.

        Raises:
            JudgeError: The server stayed unreachable or failing after ``max_attempts`` tries, answered
                with a non-retryable HTTP error, or sent a reply without ``choices[0].message.content``.
        """
        reply = self._post(self.request_body(question, prediction, answer))
        try:
            content = reply["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as e:
            raise JudgeError(f"judge at {self.url} sent a reply without choices[0].message.content: "
                             f"{json.dumps(reply)[:300]}") from e
        verdict = parse_verdict(content)
        if verdict is None:
            if self.strict:
                raise JudgeError(f"judge at {self.url} gave no yes/no or score: {content[:300]!r}")
            log.warning("judge at %s gave no yes/no or score, scoring 0: %r", self.url, content[:300])
            return 0.0
        return verdict

    def _post(self, body: dict[str, Any]) -> Any:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = json.dumps(body).encode()
        last = ""
        for attempt in range(self.max_attempts):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            req = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                    raw = resp.read()
            except urllib.error.HTTPError as e:
                detail = e.read()[:300].decode(errors="replace")
                last = f"HTTP {e.code}: {detail}"
                if e.code not in _RETRY_STATUS:
                    raise JudgeError(f"judge at {self.url} refused the request ({last}); "
                                     "check the model name, API key and URL") from e
                continue
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
                last = f"{type(e).__name__}: {getattr(e, 'reason', e)}"
                continue
            try:
                return json.loads(raw)
            except json.JSONDecodeError as e:
                raise JudgeError(f"judge at {self.url} sent invalid JSON: {raw[:300]!r}") from e
        raise JudgeError(
            f"judge at {self.url} failed after {self.max_attempts} attempt(s); last error: {last}. "
            "Is the server running and the URL right?"
        )
