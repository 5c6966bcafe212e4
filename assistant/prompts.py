"""Prompts live as files under prompts/; this loads them as langchain prompt templates."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate, PromptTemplate

from assistant.config import Settings


@lru_cache(maxsize=64)
def read_prompt(prompts_dir: Path, name: str) -> str:
    path = prompts_dir / f"{name}.md"
    return path.read_text(encoding="utf-8").strip()


def load_prompt(settings: Settings, name: str) -> PromptTemplate:
    return PromptTemplate.from_template(read_prompt(settings.prompts_dir, name))


def load_chat_prompt(settings: Settings, name: str, *, system: bool = False) -> ChatPromptTemplate:
    """A chat template from prompts/<name>.md, with prompts/system.md as system message when asked."""
    messages = []
    if system:
        messages.append(("system", read_prompt(settings.prompts_dir, "system")))
    messages.append(("human", read_prompt(settings.prompts_dir, name)))
    return ChatPromptTemplate.from_messages(messages)
