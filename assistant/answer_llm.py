"""The LLM backend of answering: the same analysis and scope decision as the extractive answer, intent-specific
instructions, and an answer verified sentence by sentence (assistant.verification) before it is shown."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from typing import TYPE_CHECKING

from langchain_core.documents import Document

from assistant.citations import citation_from
from assistant.errors import LLMUnavailableError
from assistant.llm import complete_text, stream_text
from assistant.prompt_data import format_context
from assistant.prompts import answer_prompt_texts, load_answer_prompt, load_chat_prompt
from assistant.scope import ScopeDecision, gap_lines
from assistant.understanding import Analysis
from assistant.verification import check_rewrite, verify_answer

if TYPE_CHECKING:
    from assistant.answering import Answer, Answerer

FALLBACK = "已改用内置的资料摘录方式回答。"


def llm_answer(
    answerer: Answerer, analysis: Analysis, docs: list[Document], decision: ScopeDecision
) -> Generator[str, None, Answer | str]:
    """Stream the model's answer; return the verified Answer, or a notice saying why the extractive one is used."""
    from assistant.answering import Answer, clause_line

    settings = answerer.settings
    citations = [citation_from(d, i + 1, analysis.topic_clauses) for i, d in enumerate(docs)]
    messages = load_answer_prompt(settings, analysis.intent).format_messages(
        context=format_context(citations), question=analysis.standalone
    )
    pieces: list[str] = []
    try:
        for piece in stream_text(answerer.model, messages, settings):
            pieces.append(piece)
            yield piece
    except LLMUnavailableError as exc:
        return f"{exc} {FALLBACK}"
    checked = verify_answer(
        "".join(pieces), citations, analysis, prompt_texts=answer_prompt_texts(settings, analysis.intent)
    )
    if not checked.accepted or not checked.citations:
        why = "；".join(checked.reasons[:2]) or "回答与资料不符"
        return f"大模型的回答未能与资料核实（{why}），{FALLBACK}"
    note = clause_line(checked.citations, analysis)
    text = "\n\n".join(x for x in (checked.text, note, gap_lines(decision)) if x)
    notice = f"已删去 {len(checked.dropped)} 句资料中找不到依据的内容。" if checked.dropped else None
    return Answer(text, True, checked.citations, analysis.question, analysis.standalone, "llm", notice, analysis.intent)


def llm_condense(
    answerer: Answerer, question: str, pairs: list[tuple[str, str]], analysis: Analysis
) -> tuple[Analysis, str | None]:
    """Let the model rewrite a follow-up, but use the rewrite only if it keeps the rule-based analysis' topic."""
    if not analysis.follow_up:
        return analysis, None
    history = "\n".join(f"用户：{u}\n助手：{a[:200]}" for u, a in pairs[-3:])
    messages = load_chat_prompt(answerer.settings, "condense").format_messages(history=history, question=question)
    try:
        rewritten = complete_text(answerer.model, messages, answerer.settings)
    except LLMUnavailableError as exc:
        return analysis, f"{exc} 已改用内置方式理解追问。"
    checked = check_rewrite(question, rewritten, analysis, model=answerer.concepts)
    if checked is None:
        return analysis, None
    return replace(answerer.analyse(checked, []), question=question, follow_up=True), None
