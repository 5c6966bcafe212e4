"""Answering: analyse → retrieve → decide scope by meaning → intent-shaped extractive or LLM answer → verify.

`Answerer` receives what it needs (search, analysis, passages, settings, model) instead of reaching back into
the Assistant, so answering does not depend on the service that owns it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel

from assistant.citations import Citation, citation_from
from assistant.compose import Composer, Part, Passages, guide_parts
from assistant.config import Settings
from assistant.retrieval import SearchSignals
from assistant.scope import decide, gap_lines, not_covered_text
from assistant.subject import rank_subjects
from assistant.understanding import Analysis, ConceptModel
from ingest.chunking import under_section

AnswerEvent = str
Search = Callable[..., tuple[list[Document], SearchSignals]]
Analyse = Callable[[str, list[tuple[str, str]]], Analysis]


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
    intent: str = ""
    topic: str = ""  # the concept the answer is about (after the subject vote), e.g. "topic.internal_audit"

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


def assemble(parts: list[Part], prefer: tuple[str, ...]) -> tuple[str, list[Citation]]:
    """Number the cited passages in order of first use (each once) and lay out prose and list items."""
    citations: list[Citation] = []
    number: dict[str, int] = {}

    def mark(doc: Document | None) -> str:
        if doc is None:
            return ""
        # Two passages of one section are one source to a reader: cite it once, with both passages' text.
        key = f"{doc.metadata.get('source', '')}#{doc.metadata.get('section', '')}"
        if key not in number:
            number[key] = len(citations) + 1
            citations.append(citation_from(doc, number[key], prefer))
        else:
            cite = citations[number[key] - 1]
            if doc.page_content not in cite.text:
                citations[number[key] - 1] = replace(cite, text=cite.text + "\n" + doc.page_content)
        return f"[{number[key]}]"

    lines: list[str] = []
    for i, part in enumerate(parts):
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        if part.item:
            # One mark per run of items from the same passage, on its last item.
            same_run = nxt is not None and nxt.item and nxt.doc is part.doc
            lines.append(f"- {part.text}" + ("" if same_run else mark(part.doc)))
        elif part.text.endswith(("：", ":")) and nxt is not None and nxt.item:
            lines.append(part.text + ("" if nxt.doc is part.doc else mark(part.doc)))
        else:
            text = part.text
            if part.doc is not None and not text.endswith(("。", "！", "？", "；", "）", "”")):
                text += "。"
            lines.append(text + mark(part.doc))
    return "\n".join(lines), citations


def clause_line(citations: list[Citation], analysis: Analysis) -> str:
    """ "相关 ISO 9001 条款：…" — only clauses the answer cited (its clause summaries, or the fitting clause of a
    guide passage)."""
    clauses = list(dict.fromkeys(c.clause for c in citations if c.clause))
    return ("相关 ISO 9001 条款：" + "、".join(clauses[:4])) if clauses else ""


def on_subject(doc: Document, analysis: Analysis) -> bool:
    """Is a passage about the question's subject: in one of its guide sections, or tied to its main clause?"""
    subjects = [c for c in analysis.concepts if not c.extra.get("generic") and c.id not in analysis.by_meaning][:2]
    section = str(doc.metadata.get("section", ""))
    clauses = set(str(doc.metadata.get("clauses", "")).split(","))
    for concept in subjects:
        if under_section(section, concept.sections):
            return True
        if doc.metadata.get("kind") == "user" and any(w in doc.page_content or w in section for w in concept.words):
            return True  # the company's own document on the subject
        main = concept.clauses[0] if concept.clauses else ""
        if main and any(c == main or c.startswith(main + ".") for c in clauses):
            return True
    return not subjects and not analysis.clauses


class Answerer:
    """Answers questions; the LLM is optional and every path ends in an `Answer`."""

    def __init__(
        self,
        *,
        search: Search,
        analyse: Analyse,
        passages: Passages,
        settings: Settings,
        concepts: ConceptModel,
        model: BaseChatModel | None = None,
    ) -> None:
        self.search = search
        self.analyse = analyse
        self.settings = settings
        self.concepts = concepts
        self.composer = Composer(concepts, passages, self.settings.finding_tie_margin, self.settings.clause_lead_margin)
        self.model = model

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
        analysis = self.analyse(question, pairs)
        if self.model is not None and pairs:
            analysis, condense_notice = self._llm_condense(question, pairs, analysis)
            notice = notice or condense_notice
        docs, signals = self.search(analysis.standalone, k=self.settings.retrieve_k, analysis=analysis)
        has_user = any(d.metadata.get("kind") == "user" for d in docs)
        decision = decide(analysis, signals, self.settings, self.concepts, has_user_docs=has_user, docs=docs)
        analysis = rank_subjects(analysis, signals.clause_ranking)
        topic = analysis.topic.id if analysis.topic else ""
        base = Answer("", True, [], question, analysis.standalone, "extractive", notice, analysis.intent, topic)
        if not decision.covered or not docs:
            yield replace(base, text=not_covered_text(decision), covered=False, backend="none")
            return
        if self.model is not None:
            from assistant.answer_llm import llm_answer

            result = yield from llm_answer(self, analysis, docs, decision)
            if isinstance(result, Answer):
                yield replace(result, question=question, notice=notice or result.notice, topic=topic)
                return
            notice = notice or result
        text, used = self.extractive(analysis, docs, signals.clause_ranking, signals.clause_scores)
        gaps = gap_lines(decision)
        if gaps:
            text += "\n\n" + gaps
        yield text
        yield replace(base, text=text, citations=used, notice=notice)

    def extractive(
        self, analysis: Analysis, docs: list[Document], ranked: tuple[str, ...] = (), scores: tuple[float, ...] = ()
    ) -> tuple[str, list[Citation]]:
        opener = self.composer.opener(analysis, ranked, scores)
        whole_list = sum(p.item for p in opener) >= 3
        budget = 160 if whole_list else (220 if opener else 320)
        # Only passages about the subject itself explain "how"; in a scenario the framing ("内审时发现…") has no
        # say. Without a structured opener, off-subject passages are still better than nothing.
        relevant = [
            d for i, d in enumerate(docs) if on_subject(d, analysis) or (i == 0 and analysis.intent != "scenario")
        ]
        docs = relevant if relevant or opener else docs
        body = guide_parts(analysis.standalone, docs, analysis, max_chars=budget, max_chunks=2 if opener else 3)
        seen = {p.text for p in opener}
        body = [p for p in body if p.text not in seen and not (whole_list and p.item)]
        # A list introduction whose items were left out says nothing.
        body = [p for i, p in enumerate(body) if not p.text.endswith(("：", ":")) or (body[i + 1 :] or [p])[0].item]
        basis = [p for p in opener if p.basis]
        parts = [p for p in opener if not p.basis] + body + basis
        text, used = assemble(parts, analysis.topic_clauses)
        note = clause_line(used, analysis)
        return (text + "\n\n" + note if note else text), used

    def _llm_condense(
        self, question: str, pairs: list[tuple[str, str]], analysis: Analysis
    ) -> tuple[Analysis, str | None]:
        from assistant.answer_llm import llm_condense

        return llm_condense(self, question, pairs, analysis)
