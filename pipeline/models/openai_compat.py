"""Any OpenAI-compatible chat endpoint: OpenAI, vLLM, Ollama, LM Studio, llama.cpp server.

Structured output is tried in this order, and the first form the server accepts is kept:
1. ``response_format={"type": "json_schema", ...}`` (OpenAI, vLLM, Ollama);
2. ``{"type": "json_object", "schema": ...}`` (llama-cpp-python's server);
3. ``{"type": "json_object"}``;
4. no response_format: the prompt asks for JSON and the caller parses and repairs.

Reasoning models (OpenAI's o-series and GPT-5) refuse ``max_tokens`` and any temperature but
their default: when a server says so (HTTP 400 naming the parameter), the request is sent again
with ``max_completion_tokens`` (plus :data:`REASONING_ALLOWANCE` tokens to think in) or without
``temperature``, and the endpoint keeps that form for the rest of the run.

Faults are retried by tenacity: timeouts, refused or dropped connections, 408/409/429/5xx
answers and bodies that are not a chat completion. The wait doubles from ``backoff`` seconds,
except that a ``retry-after-ms`` or ``Retry-After`` header (up to two minutes) is honoured.
``STRATEGY_REVIEW_TIMEOUT`` (seconds per request), ``STRATEGY_REVIEW_RETRIES`` and
``STRATEGY_REVIEW_BACKOFF`` set the policy. When the retries run out, a server that never
answered is :class:`ModelUnreachable`; anything else is a :class:`ModelError` for that request.

One instance is shared by many threads: the openai client is thread-safe, and the remembered
structured-output form and the server's reported identity are kept under locks.
"""

from __future__ import annotations

import email.utils
import functools
import json
import math
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from .. import redact
from ..errors import ModelError, ModelUnreachable
from .base import Generation, Message
from .endpoint import public_url

T = TypeVar("T")
MODES = ("json_schema", "json_object_schema", "json_object", "repair")
ENV_TIMEOUT = "STRATEGY_REVIEW_TIMEOUT"
ENV_RETRIES = "STRATEGY_REVIEW_RETRIES"
ENV_BACKOFF = "STRATEGY_REVIEW_BACKOFF"
MAX_RETRY_AFTER = 120.0  # a server asking for a longer wait is not retried
RETRY_STATUSES = frozenset({408, 409, 429})
VOLATILE_MODEL_FIELDS = frozenset({"created", "object"})  # vLLM stamps "created" per request
REASONING_ALLOWANCE = 4096  # max_completion_tokens also counts a reasoning model's thinking
_PARAMS = ("max_tokens", "temperature")
_UNSUPPORTED = re.compile(
    r"response_format|json_schema|json_object|Input should be|not supported", re.I
)


class UnsupportedFormat(Exception):
    """The server rejected this form of structured output."""


class UnsupportedParam(Exception):
    """The server refused a request parameter (``max_tokens`` or ``temperature``)."""

    def __init__(self, param: str) -> None:
        super().__init__(param)
        self.param = param


class MalformedResponse(Exception):
    """The server answered 200 with something that is not a chat completion."""


@dataclass(frozen=True)
class RetryPolicy:
    timeout: float = 120.0  # seconds per request
    retries: int = 3  # after the first attempt
    backoff: float = 0.5  # first wait in seconds, doubled each retry

    @classmethod
    def from_env(
        cls, timeout: float | None = None, retries: int | None = None, backoff: float | None = None
    ) -> RetryPolicy:
        """Explicit arguments win, then the environment, then the defaults."""
        policy = cls(
            timeout=timeout if timeout is not None else _env_number(ENV_TIMEOUT, cls.timeout),
            retries=retries if retries is not None else int(_env_number(ENV_RETRIES, cls.retries)),
            backoff=backoff if backoff is not None else _env_number(ENV_BACKOFF, cls.backoff),
        )
        if policy.timeout <= 0:
            raise ModelError(f"{ENV_TIMEOUT}: the timeout must be above zero seconds")
        return policy


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value < 0 or (isinstance(default, int) and value % 1):
        kind = "whole number" if isinstance(default, int) else "number of seconds"
        raise ModelError(f"{name}={raw!r}: expected a non-negative {kind}")
    return value


class OpenAICompatModel:
    backend = "openai-compatible"
    max_parallel = 32  # servers batch requests; the review's --concurrency decides

    def __init__(
        self,
        model: str,
        base_url: str,
        api_key: str | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from openai import OpenAI

        self.id = model
        self.base_url = base_url
        self.endpoint = public_url(base_url) or ""
        self.policy = RetryPolicy.from_env(timeout, retries, backoff)
        self.sleep = sleep
        self._key = api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"
        redact.remember(
            self._key
        )  # the key and any credentials in the URL are scrubbed from output
        redact.remember_url(base_url)
        self.client = OpenAI(
            base_url=base_url, api_key=self._key, timeout=self.policy.timeout, max_retries=0
        )
        self._lock = threading.Lock()
        self._mode_index = 0
        self._refused: set[str] = set()  # parameters this endpoint refuses (see _PARAMS)
        self._identity_lock = threading.Lock()
        self._identity: tuple[str | None] | None = None  # fetched once, may hold None

    # ------------------------------------------------------------ generation

    def generate(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        max_tokens: int = 400,
        temperature: float = 0.0,
    ) -> Generation:
        started = time.perf_counter()
        payload = [{"role": m.role, "content": m.content} for m in messages]
        with self._lock:
            first = self._mode_index
        modes = MODES[first:] if schema is not None else ("text",)
        for offset, mode in enumerate(modes):
            try:
                response = self._send(payload, mode, schema, max_tokens, temperature)
            except UnsupportedFormat:
                continue
            if schema is not None:
                with self._lock:
                    self._mode_index = max(self._mode_index, first + offset)
            usage = response.usage
            return Generation(
                text=response.choices[0].message.content or "",
                cut_off=getattr(response.choices[0], "finish_reason", None) == "length",
                model_id=self.id,
                backend=self.backend,
                structured_mode=mode,
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
                latency_s=time.perf_counter() - started,
            )
        raise ModelError(f"{self.endpoint} accepted no form of structured output")

    def _send(
        self,
        payload: Any,
        mode: str,
        schema: dict[str, Any] | None,
        max_tokens: int,
        temperature: float,
    ) -> Any:
        """One request in ``mode``, sent again without each parameter the server refuses (each
        at most once: a refused parameter is never sent again, so this ends)."""
        while True:
            with self._lock:
                refused = set(self._refused)
            kwargs = _param_kwargs(refused, max_tokens, temperature) | _format_kwargs(mode, schema)
            try:
                return self._call(functools.partial(self._complete, payload, kwargs))
            except UnsupportedParam as exc:
                with self._lock:
                    self._refused.add(exc.param)

    def _complete(self, payload: Any, kwargs: dict[str, Any]) -> Any:
        import openai

        try:
            response = self.client.chat.completions.create(
                model=self.id, messages=payload, **kwargs
            )
        except openai.APIStatusError as exc:
            param = _refused_param(exc, kwargs)
            if param is not None:
                raise UnsupportedParam(param) from exc
            if _is_unsupported_format(exc):
                raise UnsupportedFormat(_message(exc)) from exc
            raise
        choices = getattr(response, "choices", None)
        if not choices or getattr(choices[0], "message", None) is None:
            raise MalformedResponse("no choices[0].message")
        return response

    # ------------------------------------------------------------ the model's own identity

    def reported_identity(self) -> str | None:
        """How the server describes this model in GET /models (``id``, ``owned_by``, ``root``,
        ``meta`` ... without per-request stamps), as sorted JSON; None where it lists none."""
        with self._identity_lock:
            if self._identity is None:
                self._identity = (self._fetch_identity(),)
            return self._identity[0]

    def _fetch_identity(self) -> str | None:
        try:
            page = self._call(self._list_models)
        except ModelUnreachable:
            raise
        except ModelError:
            return None  # no listing (404, 501 ...): the name and endpoint stand alone
        for entry in page:
            if isinstance(entry, dict) and entry.get("id") == self.id:
                kept = {k: v for k, v in entry.items() if k not in VOLATILE_MODEL_FIELDS}
                return json.dumps(kept, sort_keys=True, default=str)
        return None

    def _list_models(self) -> list[Any]:
        response = self.client.get("/models", cast_to=object)
        data = response.get("data") if isinstance(response, dict) else None
        if not isinstance(data, list):
            raise MalformedResponse("GET /models has no data list")
        return data

    # ------------------------------------------------------------ retries

    def _call(self, request: Callable[[], T]) -> T:
        """Run ``request`` under the retry policy; turn its last failure into a ModelError."""
        retrying = Retrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(self.policy.retries + 1),
            wait=self._wait,
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(request)
        except (UnsupportedFormat, UnsupportedParam):
            raise
        except Exception as exc:
            error = self._error(exc)
            if error is None:
                raise
            raise error from exc

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        after = retry_after(exc)
        if after is not None:
            return after
        return float(self.policy.backoff * 2 ** (state.attempt_number - 1))

    def _error(self, exc: BaseException) -> ModelError | None:
        """The one-line error for a request that failed for good (None: not a server fault)."""
        import openai

        tries = f"{self.policy.retries + 1} attempts"
        if isinstance(exc, openai.APITimeoutError):
            return ModelError(
                f"the model server at {self.endpoint} did not answer within "
                f"{self.policy.timeout:g} s ({tries}; set {ENV_TIMEOUT} to wait longer)"
            )
        if isinstance(exc, openai.APIConnectionError):
            if _caused_by(exc, "ConnectError"):
                return ModelUnreachable(f"cannot reach the model server at {self.endpoint}")
            return ModelError(
                f"the model server at {self.endpoint} dropped the connection mid-answer ({tries})"
            )
        if isinstance(exc, openai.APIStatusError):
            return ModelError(self._scrub(self._status_text(exc)))
        if isinstance(exc, MalformedResponse | ValueError):
            detail = self._scrub(str(exc).splitlines()[0][:120]) if str(exc) else ""
            return ModelError(
                f"the model server at {self.endpoint} sent an answer that is not a chat "
                f"completion ({tries}): {detail}".rstrip(": ")
            )
        return None

    def _status_text(self, exc: Any) -> str:
        status = exc.status_code
        if status == 404:
            return f"model {self.id!r} not found at {self.endpoint}"
        if status in (401, 403):
            return f"{self.endpoint} refused the API key (set OPENAI_API_KEY)"
        after = retry_after(exc)
        if after is not None and after > MAX_RETRY_AFTER:
            return f"the model server at {self.endpoint} asks to wait {after:.0f} s (HTTP {status})"
        return f"model server error {status}: {_message(exc)}"

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "***") if len(self._key) >= 8 else text


def _retryable(exc: BaseException) -> bool:
    import openai

    if isinstance(exc, openai.APIStatusError):
        after = retry_after(exc)
        if after is not None and after > MAX_RETRY_AFTER:
            return False
        return exc.status_code in RETRY_STATUSES or exc.status_code >= 500
    return isinstance(exc, openai.APIConnectionError | MalformedResponse | ValueError)


def retry_after(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, then ``Retry-After`` in seconds
    or as an HTTP date), or None."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        try:
            seconds = float(value) / divisor if value is not None else None
        except ValueError:
            continue
        if seconds is not None and math.isfinite(seconds):
            return max(0.0, seconds)
    value = headers.get("retry-after")
    date = email.utils.parsedate_tz(value) if value else None
    return max(0.0, email.utils.mktime_tz(date) - time.time()) if date else None


def _caused_by(exc: BaseException, name: str) -> bool:
    """Whether the transport error under ``exc`` is (a subclass of) one named ``name``; by name
    because openai releases wrap httpx or httpx2."""
    cause = exc.__cause__ or exc.__context__
    return cause is not None and any(k.__name__ == name for k in type(cause).__mro__)


def _format_kwargs(mode: str, schema: dict[str, Any] | None) -> dict[str, Any]:
    if mode == "json_schema":
        spec = {"name": "finding", "schema": schema, "strict": False}
        return {"response_format": {"type": "json_schema", "json_schema": spec}}
    if mode == "json_object_schema":
        return {"response_format": {"type": "json_object", "schema": schema}}
    if mode == "json_object":
        return {"response_format": {"type": "json_object"}}
    return {}


def _message(exc: Any) -> str:
    """The server's own error message (first line), else the client's."""
    body = getattr(exc, "body", None)
    found = body.get("message") if isinstance(body, dict) else None
    text = found if isinstance(found, str) and found else str(getattr(exc, "message", exc))
    return (text.splitlines() or [""])[0][:200]


def _param_kwargs(refused: set[str], max_tokens: int, temperature: float) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if "max_tokens" in refused:
        kwargs["max_completion_tokens"] = max_tokens + REASONING_ALLOWANCE
    else:
        kwargs["max_tokens"] = max_tokens
    if "temperature" not in refused:
        kwargs["temperature"] = temperature
    return kwargs


def _refused_param(exc: Any, kwargs: dict[str, Any]) -> str | None:
    """``max_tokens`` or ``temperature`` when a 400 answer refuses that parameter (OpenAI names
    it in ``param``; other servers only in the message)."""
    if exc.status_code not in (400, 422):
        return None
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else body
    named = error.get("param") if isinstance(error, dict) else None
    message = _message(exc)
    for param in _PARAMS:
        if param not in kwargs:
            continue
        if named == param or re.search(
            rf"(?:unsupported|not supported|does not support)\W.*\b{param}\b"
            rf"|\b{param}\b.*\W(?:unsupported|not supported|does not support)",
            message,
            re.I,
        ):
            return param
    return None


def _is_unsupported_format(exc: Any) -> bool:
    return exc.status_code in (400, 422, 500) and bool(
        _UNSUPPORTED.search(_message(exc) + str(exc.body))
    )
