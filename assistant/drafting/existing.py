"""The company's own documents (profile `existing_documents`), read through the concept model.

A title such as “采购管理办法” names QMS topics (外部提供 → 8.4) and sometimes a step (“注塑作业指导书” → 注塑).
That decides where the document is referenced (the step's card, the process with the same clauses), which
drafted procedure it replaces (the pack keeps the firm's document instead of a second one), and which clauses
it counts for in the coverage matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.drafting.templates import ProcedureTemplate
from assistant.understanding import Concept, ConceptModel


def book(title: str) -> str:
    return title if title.startswith("《") else f"《{title}》"


@dataclass(frozen=True)
class ExistingDocument:
    title: str
    topics: tuple[Concept, ...]  # the specific topics its title names, else the general ones (手册, 制度)
    steps: tuple[Concept, ...]
    specific: bool = True  # False: the title says only that it is a document, not what about

    @property
    def clauses(self) -> set[str]:
        return {c for t in self.topics for c in t.clauses} | {c for s in self.steps for c in s.clauses}


def read_existing(titles: list[str], model: ConceptModel, document_topics: list[str]) -> list[ExistingDocument]:
    docs = []
    for title in titles:
        topics = model.resolve(title, kind="topic")
        specific = tuple(t for t in topics if t.id not in document_topics)
        steps = tuple(model.resolve(title, kind="process_step"))
        docs.append(ExistingDocument(title, specific or tuple(topics), steps, bool(specific)))
    return docs


def _overlap(a: set[str], b: list[str]) -> bool:
    return any(x == y or x.startswith(y + ".") or y.startswith(x + ".") for x in a for y in b)


def for_step(docs: list[ExistingDocument], step: Concept | None) -> list[str]:
    return [d.title for d in docs if step is not None and step in d.steps]


def for_clauses(docs: list[ExistingDocument], clauses: list[str]) -> list[str]:
    """Documents about the same requirements as a generic process (采购管理办法 ↔ 外部提供过程, both 8.4)."""
    return [d.title for d in docs if d.specific and _overlap({c for t in d.topics for c in t.clauses}, clauses)]


def replacing(docs: list[ExistingDocument], procedure: ProcedureTemplate) -> list[str]:
    """The firm's documents that already are this procedure (same topic): the pack does not draft a second one."""
    return [d.title for d in docs if any(t.id in procedure.topics for t in d.topics)]
