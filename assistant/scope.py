"""Is a question covered by the knowledge base? Decided by meaning: the question's subject, not trigger words.

Context words (an industry, a process, a role) never make a question out of scope. It is refused only when its
subject is absent (another standard, payroll, HACCP …) or nothing in the knowledge base matches it; a known gap
that is only touched (the missing appendices, certification fees) adds one line to an answer instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from langchain_core.documents import Document

from assistant.config import Settings
from assistant.retrieval import SearchSignals
from assistant.understanding import Analysis, Concept, ConceptModel
from ingest.chunking import under_section

# Shown when nothing closer is found: the subjects small firms ask about most.
_CENTRAL = ("topic.internal_audit", "topic.nonconforming", "topic.documents", "topic.process_card", "topic.build_steps")


@dataclass
class ScopeDecision:
    covered: bool
    reason: str = ""
    topic: str = ""
    suggestions: list[str] = field(default_factory=list)
    gaps: list[Concept] = field(default_factory=list)


def decide(
    analysis: Analysis,
    signals: SearchSignals,
    settings: Settings,
    concepts: ConceptModel,
    *,
    has_user_docs: bool = False,
    docs: list[Document] | None = None,
) -> ScopeDecision:
    # A company's own uploaded documents may cover what the built-in knowledge does not (its HACCP plan, its
    # plating supplier): a strong match there decides.
    own_docs = has_user_docs and signals.best_user_dense >= settings.coverage_min_similarity
    if analysis.scope == "out" and not own_docs:
        oos = analysis.out_of_scope
        return ScopeDecision(
            False,
            str(oos.extra.get("reason", "")) if oos else "",
            oos.name if oos else "",
            suggestions(analysis, concepts, docs),
        )
    if analysis.scope == "in" or own_docs:
        return ScopeDecision(True, gaps=list(analysis.gaps))
    # No concept of the domain was recognised: words the knowledge base has never seen decide, then match strength.
    # An unknown acronym (ERP, SA8000 …) names a subject of its own; unknown everyday words ("值不值") do not.
    content_unknown = any(re.search(r"[A-Za-z]{2,}", t) for t in analysis.unknown_terms) and (
        signals.best_dense < settings.coverage_min_similarity + 0.02
    )
    strong_dense = signals.best_dense >= settings.coverage_min_similarity
    strong_lexical = signals.best_bm25 >= settings.coverage_min_bm25
    if not content_unknown and (
        strong_dense or (strong_lexical and signals.best_dense >= settings.coverage_min_similarity - 0.03)
    ):
        return ScopeDecision(True)
    terms = "、".join(analysis.unknown_terms[:3])
    reason = f"知识库中没有“{terms}”的相关内容。" if terms else "知识库中没有找到与这个问题足够相关的内容。"
    return ScopeDecision(False, reason, "", suggestions(analysis, concepts, docs))


def suggestions(analysis: Analysis, concepts: ConceptModel, docs: list[Document] | None, n: int = 5) -> list[str]:
    """The nearest topics the knowledge base does cover: by the passages the question reached, then by wording."""
    found: list[Concept] = []
    topics = [c for c in concepts.of_kind("topic") if not c.extra.get("generic")]
    for doc in docs or []:
        section = str(doc.metadata.get("section", ""))
        for topic in topics:
            if under_section(section, topic.sections) and topic not in found:
                found.append(topic)
                break
    found += [c for c in concepts.nearest(analysis.standalone, kind="topic") if c not in found and c in topics]
    found += [concepts.get(i) for i in _CENTRAL if i in concepts and concepts.get(i) not in found]
    return [c.name for c in found[:n]]


def not_covered_text(decision: ScopeDecision) -> str:
    lines = [f"知识库未涵盖这个问题：{decision.reason}", "", "我不会凭空编造答案。知识库能回答的相近主题有："]
    lines += [f"- {t}" for t in decision.suggestions]
    lines.append("")
    lines.append("如需这方面的资料，可以在“知识库”页上传贵公司的文件或正版标准后再提问。")
    return "\n".join(lines)


def gap_lines(decision: ScopeDecision) -> str:
    """One line per known gap the answered question touches."""
    return "\n".join(f"说明：{g.extra.get('reason', '')}" for g in decision.gaps if g.extra.get("reason"))
