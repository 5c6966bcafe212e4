"""Prompts live as files under prompts/; this loads them as langchain prompt templates."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate, PromptTemplate

from assistant.config import Settings

# Intents that share another intent's instructions (assistant.understanding.models.Intent).
_ANSWER_ALIASES = {"count": "list", "how": "general", "why": "general"}


@lru_cache(maxsize=64)
def read_prompt(prompts_dir: Path, name: str) -> str:
    """prompts/<name>.md; `name` may name a subfolder ("answer/scenario")."""
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


def answer_prompt_name(settings: Settings, intent: str) -> str:
    """The instruction file for an intent: prompts/answer/<intent>.md, else the general one."""
    name = f"answer/{_ANSWER_ALIASES.get(intent, intent)}"
    return name if (settings.prompts_dir / f"{name}.md").is_file() else "answer/general"


def load_answer_prompt(settings: Settings, intent: str) -> ChatPromptTemplate:
    """The answer prompt for a question's intent: system rules, then the data block, the question and the
    intent's instructions (prompts/answer/frame.md around prompts/answer/<intent>.md). Variables: context, question.
    """
    frame = read_prompt(settings.prompts_dir, "answer/frame")
    instructions = read_prompt(settings.prompts_dir, answer_prompt_name(settings, intent))
    human = frame.replace("{instructions}", instructions.replace("{", "{{").replace("}", "}}"))
    return ChatPromptTemplate.from_messages([("system", read_prompt(settings.prompts_dir, "system")), ("human", human)])


def answer_prompt_texts(settings: Settings, intent: str) -> tuple[str, ...]:
    """The instructions of the answer prompt for `intent`, for verify_answer(prompt_texts=…) to recognise an echo."""
    names = ("system", "answer/frame", answer_prompt_name(settings, intent))
    return tuple(read_prompt(settings.prompts_dir, n).replace("{context}", "").replace("{question}", "") for n in names)
