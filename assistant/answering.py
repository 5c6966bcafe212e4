"""Answering: condense follow-ups → retrieve → decide coverage → extractive or LLM answer → verify citations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from langchain_core.documents import Document

from assistant.citations import Citation, citation_from, verify
from assistant.errors import LLMUnavailableError
from assistant.extractive import extract
from assistant.llm import complete_text, get_chat_model, stream_text
from assistant.prompts import load_chat_prompt
from assistant.scope import decide, not_covered_text

if TYPE_CHECKING:
    from assistant.service import Assistant

_FOLLOW_UP = re.compile(r"^(那|那么|还有|另外|再|如果是)?(.{1,20}?)(呢|怎么办|怎么样|又如何)[？?。]?$")
_NEEDS_CONTEXT = re.compile(
    r"^(举个?例子?|具体(说说|点|一点)?|详细(说说|点|一点)?|为什么|怎么做|还有吗|然后呢|比如呢)[？?。！!]*$"
)
_PRONOUN = re.compile(r"^(它|这个|这些|那个|那些|这|该|其)")

AnswerEvent = str


@dataclass
class Answer:
    """A short Chinese answer with the passages it rests on."""

    text: str
    covered: bool
    citations: list[Citation] = field(default_factory=list)
    question: str = ""
    standalone_question: str = ""
    backend: str = "extractive"
    notice: str | None = None

    def sources_markdown(self) -> str:
        lines = []
        for c in self.citations:
            passage = c.text if len(c.text) <= 160 else c.text[:160] + "…"
            lines.append(f"[{c.n}] {c.label}\n> {passage.replace(chr(10), ' ')}")
        return "\n\n".join(lines)

    def markdown(self) -> str:
        """The answer followed by its numbered sources: what the chat, CLI and /ask endpoint show."""
        out = self.text
        if self.notice:
            out = f"> {self.notice}\n\n" + out
        if self.citations:
            out += "\n\n**来源**\n\n" + self.sources_markdown()
        return out


def normalise_history(history: list | None) -> list[tuple[str, str]]:
    """Accept (user, assistant) pairs or Gradio/OpenAI-style role dicts."""
    pairs: list[tuple[str, str]] = []
    pending = ""
    for item in history or []:
        if isinstance(item, dict):
            content = item.get("content")
            content = content if isinstance(content, str) else str(content or "")
            if item.get("role") == "user":
                pending = content
            elif item.get("role") == "assistant" and pending:
                pairs.append((pending, content))
                pending = ""
        elif isinstance(item, list | tuple) and len(item) == 2:
            pairs.append((str(item[0] or ""), str(item[1] or "")))
    if pending:
        pairs.append((pending, ""))
    return pairs


def _topic_of(question: str) -> str:
    """The subject of a previous question: the text before its question words."""
    q = re.sub(r"[？?。！!\s]+$", "", question)
    match = re.match(
        r"^(什么是|何谓|如何|怎样|怎么)?(.+?)(是什么|是啥|怎么做|怎么搞|怎么写|怎么定|怎么管|有哪些|有什么|包括|要求|谁来|需要|如何|怎样|的|里|中|$)",
        q,
    )
    return (match.group(2) if match else q).strip()


def condense_rule_based(question: str, history: list[tuple[str, str]]) -> str:
    """Rewrite a follow-up into a stand-alone question without an LLM."""
    if not history:
        return question
    previous = history[-1][0]
    q = question.strip()
    if _NEEDS_CONTEXT.match(q):
        return f"{previous.rstrip('？?。')} {q}"
    follow = _FOLLOW_UP.match(q)
    if follow and len(q) <= 24:
        new_topic = follow.group(2).strip()
        old_topic = _topic_of(previous)
        if old_topic and old_topic in previous and old_topic != new_topic:
            return previous.replace(old_topic, new_topic, 1)
        return f"{new_topic} {previous}"
    if _PRONOUN.match(q):
        return f"{_topic_of(previous)} {_PRONOUN.sub('', q, count=1)}"
    return question


class Answerer:
    """Answers questions for one Assistant; the LLM is optional and every path ends in an `Answer`."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        self.model = get_chat_model(self.settings)

    def ask(self, question: str, history: list | None = None) -> Answer:
        answer = None
        for event in self.ask_stream(question, history):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def ask_stream(self, question: str, history: list | None = None) -> Iterator[AnswerEvent | Answer]:
        question = (question or "").strip()
        if not question:
            yield Answer("请输入一个问题，例如：“内审怎么做？”或“过程识别卡要写哪些内容？”", False, question="")
            return
        notice = None
        limit = self.settings.max_question_chars
        if len(question) > limit:
            notice = (
                f"问题较长（{len(question)} 字），已按前 {limit} 字检索和回答；"
                "原问题不受影响，可拆成几个小问题分别提问。"
            )
            question = question[:limit]
        pairs = normalise_history(history)
        standalone, condense_notice = self._condense(question, pairs)
        notice = notice or condense_notice
        docs, signals = self.assistant.search(standalone, k=self.settings.retrieve_k)
        has_user = any(d.metadata.get("kind") == "user" for d in docs)
        decision = decide(standalone, signals, self.settings, has_user_docs=has_user)
        if not decision.covered or not docs:
            yield Answer(not_covered_text(decision, self.settings), False, [], question, standalone, "none", notice)
            return
        citations = [citation_from(d, i + 1) for i, d in enumerate(docs)]
        if self.model is not None:
            try:
                pieces: list[str] = []
                for piece in self._llm_stream(standalone, docs):
                    pieces.append(piece)
                    yield piece
                text, used, _dropped = verify("".join(pieces), citations)
                if used:
                    yield Answer(text, True, used, question, standalone, "llm", notice)
                    return
                notice = "大模型的回答未能与资料核实，已改用资料原文摘录回答。"
            except LLMUnavailableError as exc:
                notice = f"{exc} 已改用内置的资料摘录方式回答。"
        text, used = self._extractive(standalone, docs, citations)
        yield text
        yield Answer(text, True, used, question, standalone, "extractive", notice)

    # ---- steps -------------------------------------------------------------------------------------------
    def _condense(self, question: str, pairs: list[tuple[str, str]]) -> tuple[str, str | None]:
        if not pairs:
            return question, None
        if self.model is None:
            return condense_rule_based(question, pairs), None
        history = "\n".join(f"用户：{u}\n助手：{a[:200]}" for u, a in pairs[-3:])
        messages = load_chat_prompt(self.settings, "condense").format_messages(history=history, question=question)
        try:
            rewritten = complete_text(self.model, messages, self.settings).strip().splitlines()
        except LLMUnavailableError as exc:
            return condense_rule_based(question, pairs), f"{exc} 已改用内置方式理解追问。"
        return (rewritten[0].strip() if rewritten and rewritten[0].strip() else question), None

    def _llm_stream(self, question: str, docs: list[Document]) -> Iterator[str]:
        context = "\n\n".join(
            f"[{i + 1}]（{d.metadata.get('section', '')}）\n{d.page_content}" for i, d in enumerate(docs)
        )
        messages = load_chat_prompt(self.settings, "answer", system=True).format_messages(
            context=context, question=question
        )
        yield from stream_text(self.model, messages, self.settings)

    def _extractive(self, question: str, docs: list[Document], citations: list[Citation]) -> tuple[str, list[Citation]]:
        groups = extract(question, docs)
        lines: list[str] = []
        used: list[Citation] = []
        for group in groups:
            cite = citations[group[0].chunk]
            used.append(cite)
            mark = f"[{len(used)}]"
            items = [u for u in group if u.is_item]
            prose = "".join(u.text for u in group if not u.is_item)
            if prose:
                lines.append(prose + mark)
            if items:
                lines += [f"- {u.text}" for u in items]
                if not prose:
                    lines[-1] += mark
            lines.append("")
        # Renumber so the shown sources are 1..n in the order they are cited.
        for new_n, cite in enumerate(used, start=1):
            used[new_n - 1] = Citation(
                new_n, cite.section, cite.clause, cite.text, cite.source, cite.kind, cite.chunk_id
            )
        clause_note = self._clause_note(used)
        text = "\n".join(lines).strip()
        if clause_note:
            text += "\n\n" + clause_note
        return text, used

    @staticmethod
    def _clause_note(used: list[Citation]) -> str:
        clauses = list(dict.fromkeys(c.clause for c in used if c.clause and c.kind == "guide"))
        return ("相关 ISO 9001 条款：" + "、".join(clauses[:3])) if clauses else ""
