"""The pluggable language model: none (extractive, the offline default) or any OpenAI-compatible endpoint.

`local` means an in-process model; no Chinese-capable model ships with its weights on PyPI (see
shared/MODELS.md), so `local` points the same client at a local server (Ollama / llama.cpp) and the README
says how to run one.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from assistant.config import Settings
from assistant.errors import LLMUnavailableError

T = TypeVar("T", bound=BaseModel)


def get_chat_model(settings: Settings) -> BaseChatModel | None:
    """The configured chat model, or None for the embedded extractive mode."""
    if settings.llm_backend == "none":
        return None
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout=settings.llm_timeout_s,
        max_retries=0,  # fail fast and fall back to the extractive answer; the user is waiting
        temperature=settings.llm_temperature,
        streaming=True,
        **_token_cap(settings),
    )


def _token_cap(settings: Settings) -> dict[str, object]:
    """The length cap under the name the server reads. langchain-openai only sends max_completion_tokens, which
    llama.cpp's server ignores (it then talks to the end of its context), so max_tokens goes in the raw body."""
    if settings.llm_token_param == "max_completion_tokens":
        return {"max_completion_tokens": settings.llm_max_tokens}
    return {"extra_body": {"max_tokens": settings.llm_max_tokens}}


def explain_llm_error(exc: BaseException, settings: Settings) -> LLMUnavailableError:
    """A Chinese message that says what is wrong with the endpoint and what to check."""
    import openai

    where = f"{settings.llm_base_url}（模型 {settings.llm_model}）"
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        msg = f"大模型服务拒绝了 API 密钥：{where}。请检查 QMS_LLM_API_KEY。"
    elif isinstance(exc, openai.NotFoundError):
        msg = f"大模型服务上找不到模型或接口：{where}。请检查 QMS_LLM_MODEL 和 QMS_LLM_BASE_URL（通常以 /v1 结尾）。"
    elif isinstance(exc, openai.APITimeoutError):
        msg = f"大模型服务响应超时（{settings.llm_timeout_s:.0f} 秒）：{where}。"
    elif isinstance(exc, openai.APIConnectionError):
        msg = f"无法连接大模型服务：{where}。请确认服务已启动、地址和端口正确。"
    elif isinstance(exc, openai.RateLimitError):
        msg = f"大模型服务限流或额度不足：{where}。请稍后再试。"
    elif isinstance(exc, openai.BadRequestError) and "max_" in str(exc):
        other = "max_completion_tokens" if settings.llm_token_param == "max_tokens" else "max_tokens"
        msg = (
            f"大模型服务不接受长度上限参数 {settings.llm_token_param}：{where}。请把 QMS_LLM_TOKEN_PARAM 改为 {other}。"
        )
    elif isinstance(exc, openai.APIStatusError):
        msg = f"大模型服务返回错误 {exc.status_code}：{where}。"
    else:
        msg = f"调用大模型失败（{type(exc).__name__}）：{where}。"
    return LLMUnavailableError(msg)


def stream_text(
    model: BaseChatModel, messages: list[BaseMessage], settings: Settings, *, deadline_s: float | None = None
) -> Iterator[str]:
    """Stream text pieces; raise LLMUnavailableError with a Chinese message on any endpoint failure.

    `llm_timeout_s` bounds each wait inside the HTTP client; the whole answer is bounded here by `llm_deadline_s`
    (or `deadline_s`): the stream is read on a worker thread, so a model that stalls or dribbles is given up on at
    the deadline instead of one read timeout after another. Past ~4 characters per allowed token the stream is
    cut as well, for a server that ignores the token cap.
    """
    limit = settings.llm_deadline_s if deadline_s is None else deadline_s
    deadline = time.monotonic() + limit
    max_chars = settings.llm_max_tokens * 4
    pieces: queue.Queue[tuple[str, object]] = queue.Queue()
    stop = threading.Event()

    def pump() -> None:
        try:
            for chunk in model.stream(messages):
                if stop.is_set():
                    return  # the consumer gave up: drop the rest (the thread ends at the next piece or read timeout)
                piece = chunk.content if isinstance(chunk.content, str) else ""
                if piece:
                    pieces.put(("piece", piece))
            pieces.put(("done", None))
        except BaseException as exc:  # handed to the consumer, which raises it in its own thread
            pieces.put(("error", exc))

    threading.Thread(target=pump, name="llm-stream", daemon=True).start()
    sent = 0
    try:
        while True:
            try:
                kind, value = pieces.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                where = f"{settings.llm_base_url}（模型 {settings.llm_model}）"
                raise LLMUnavailableError(
                    f"大模型在 {limit:.0f} 秒内没有答完：{where}。可换更快的模型，或调大 QMS_LLM_DEADLINE_S。"
                ) from None
            if kind == "done":
                return
            if kind == "error":
                exc = value
                assert isinstance(exc, BaseException)
                if isinstance(exc, LLMUnavailableError):
                    raise exc
                raise explain_llm_error(exc, settings) from exc
            text = str(value)
            if sent + len(text) > max_chars:
                yield text[: max_chars - sent]
                return
            sent += len(text)
            yield text
    finally:
        stop.set()


def complete_text(model: BaseChatModel, messages: list[BaseMessage], settings: Settings) -> str:
    return "".join(stream_text(model, messages, settings))


def structured(model: BaseChatModel, schema: type[T], messages: list[BaseMessage], settings: Settings) -> T:
    """Fill a pydantic schema with the model (JSON mode); raise LLMUnavailableError or ValueError."""
    import json

    from pydantic import ValidationError

    text = complete_text(model, messages, settings)
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("模型没有返回 JSON。")
    try:
        return schema.model_validate(json.loads(text[start : end + 1]))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ValueError(f"模型返回的 JSON 不符合格式：{exc}") from exc


def check_connection(settings: Settings) -> str:
    """For the settings page's "test connection" button: a short Chinese status line."""
    model = get_chat_model(settings)
    if model is None:
        return "当前未配置大模型（llm_backend = none）：使用内置的抽取式回答，无需联网。"
    from langchain_core.messages import HumanMessage

    try:
        reply = complete_text(model, [HumanMessage("请只回复：连接成功")], settings)
    except LLMUnavailableError as exc:
        return f"连接失败：{exc}"
    return f"连接成功：{settings.llm_model} 回复“{reply.strip()[:40]}”"
