"""What the understanding layer hands to everyone else: concepts of the QMS domain and a question's analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Intent = Literal[
    "scenario",  # a situation is described and judged: 符合吗 / 哪一条款 / 算不合格吗
    "comparison",  # 区别 / 有什么不同
    "yes_no",  # 要不要 / 算不算 / 可以吗
    "count",  # 几步 / 几个
    "list",  # 哪些 / 包括什么
    "records",  # 要留什么记录 / 成文信息
    "frequency",  # 多久一次
    "who",  # 谁负责
    "definition",  # 什么是
    "why",  # 为什么 / 目的
    "how",  # 怎么做
    "general",
]
Scope = Literal["in", "out", "unknown"]


@dataclass(frozen=True)
class Concept:
    """One thing of the domain (a QMS topic, role, process step, industry …) and the words people use for it."""

    id: str
    kind: str
    name: str
    aliases: tuple[str, ...] = ()
    clauses: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def words(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Match:
    """Where a concept's name or alias occurs in a text."""

    concept: Concept
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Analysis:
    """A question understood: its subject, what kind of answer it wants, and the context around it."""

    question: str
    standalone: str
    intent: Intent
    concepts: tuple[Concept, ...] = ()  # topic concepts, the subject first
    framing: tuple[Concept, ...] = ()  # topics that only frame a described situation ("内审时发现…")
    clauses: tuple[str, ...] = ()  # clause numbers named in the question
    context: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    scope: Scope = "unknown"
    out_of_scope: Concept | None = None
    gaps: tuple[Concept, ...] = ()  # known gaps of the knowledge base that the question touches
    unknown_terms: tuple[str, ...] = ()
    by_meaning: tuple[str, ...] = ()  # concept ids found by embedding similarity, not by words
    expansions: tuple[str, ...] = ()  # formal terms of the guide/standard for the question's colloquial words
    follow_up: bool = False
    situation: bool = False  # a concrete situation is told before the question ("冲床老是坏…怎么改？")
    told: str = ""  # the question without asks that follow a judgement ("…违反哪条？应采取什么纠正措施？")
    finding_text: str = ""  # a judged finding without its reported outcome ("…，导致客户退货"), for retrieval

    @property
    def judges_a_finding(self) -> bool:
        """The answer rests on the clause the described situation breaks, not on the words' topic."""
        return (self.intent == "scenario" or self.situation) and not self.clauses

    @property
    def topic(self) -> Concept | None:
        return self.concepts[0] if self.concepts else None

    @property
    def topic_clauses(self) -> tuple[str, ...]:
        """Clauses the question is about: named ones first, then those of its subject concepts."""
        out = list(self.clauses)
        for concept in self.concepts:
            out += [c for c in concept.clauses if c not in out]
        return tuple(out)

    @property
    def search_text(self) -> str:
        """What retrieval looks for: the stand-alone question, less any follow-on asks after a judgement."""
        return self.finding_text or self.told or self.standalone

    @property
    def search_query(self) -> str:
        """The search text with the formal terms appended, for BM25."""
        text = self.search_text
        extra = [t for t in self.expansions if t not in text]
        return text if not extra else text + "（" + "、".join(extra) + "）"
