"""The LLM backend of answering: the same analysis and scope decision as the extractive answer, intent-specific
instructions, and an answer that is verified sentence by sentence before it is shown."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

from langchain_core.documents import Document

from assistant.citations import citation_from, verify
from assistant.errors import LLMUnavailableError
from assistant.llm import complete_text, stream_text
from assistant.prompts import load_chat_prompt
from assistant.scope import ScopeDecision, gap_lines
from assistant.understanding import Analysis

if TYPE_CHECKING:
    from assistant.answering import Answer, Answerer


def _context(docs: list[Document]) -> str:
    return "\n\n".join(f"[{i + 1}]（{d.metadata.get('section', '')}）\n{d.page_content}" for i, d in enumerate(docs))


def llm_answer(
    answerer: Answerer, analysis: Analysis, docs: list[Document], decision: ScopeDecision
) -> Generator[str, None, Answer | str]:
    """Stream the model's answer; return the verified Answer, or a notice saying why the extractive one is used."""
    from assistant.answering import Answer, clause_line

    settings = answerer.settings
    citations = [citation_from(d, i + 1, analysis.topic_clauses) for i, d in enumerate(docs)]
    messages = load_chat_prompt(settings, "answer", system=True).format_messages(
        context=_context(docs), question=analysis.standalone
    )
    try:
        pieces: list[str] = []
        for piece in stream_text(answerer.model, messages, settings):
            pieces.append(piece)
            yield piece
    except LLMUnavailableError as exc:
        return f"{exc} 已改用内置的资料摘录方式回答。"
    text, used, _dropped = verify("".join(pieces), citations)
    if not used:
        return "大模型的回答未能与资料核实，已改用资料原文摘录回答。"
    note = clause_line(used, analysis)
    gaps = gap_lines(decision)
    text = "\n\n".join(x for x in (text, note, gaps) if x)
    return Answer(text, True, used, analysis.question, analysis.standalone, "llm", None, analysis.intent)


def llm_condense(
    answerer: Answerer, question: str, pairs: list[tuple[str, str]], analysis: Analysis
) -> tuple[Analysis, str | None]:
    """Let the model rewrite a follow-up, but use the rewrite only if it keeps the rule-based analysis' topic."""
    if not analysis.follow_up:
        return analysis, None
    history = "\n".join(f"用户：{u}\n助手：{a[:200]}" for u, a in pairs[-3:])
    messages = load_chat_prompt(answerer.settings, "condense").format_messages(history=history, question=question)
    try:
        lines = complete_text(answerer.model, messages, answerer.settings).strip().splitlines()
    except LLMUnavailableError as exc:
        return analysis, f"{exc} 已改用内置方式理解追问。"
    rewritten = lines[0].strip() if lines else ""
    if not rewritten or len(rewritten) > 3 * len(question) + 40:
        return analysis, None
    again = answerer.analyse(rewritten, [])
    if analysis.topic is not None and analysis.topic not in again.concepts:
        return analysis, None
    from dataclasses import replace

    return replace(again, question=question, follow_up=True), None
