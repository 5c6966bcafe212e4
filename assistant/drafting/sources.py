"""Where a draft comes from: guide sections and ISO 9001 clauses from the template, plus retrieved chunks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.documents import Document

from assistant.drafting.models import SourceRef
from ingest.chunking import SECTION_SEP
from ingest.clauses import clause_index

if TYPE_CHECKING:
    from assistant.service import Assistant

GUIDE_SOURCE = "guide/guide.md"
CLAUSE_SOURCE = "iso9001/clauses.yaml"


def guide_ref(section: str, retrieved: bool = False) -> SourceRef:
    return SourceRef(
        kind="guide",
        ref=section,
        title="《小微企业应用 ISO 9001 提升质量管理的实施指南》",
        retrieved=retrieved,
    )


def clause_ref(corpus_dir: Path, number: str, retrieved: bool = False) -> SourceRef:
    clause = clause_index(corpus_dir).get(number)
    title = f"ISO 9001:2015 {number} {clause['title_zh']}" if clause else f"ISO 9001:2015 {number}"
    return SourceRef(kind="clause", ref=number, title=title, retrieved=retrieved)


def template_sources(corpus_dir: Path, guide_sections: list[str], clauses: list[str]) -> list[SourceRef]:
    return [guide_ref(s) for s in guide_sections] + [clause_ref(corpus_dir, c) for c in clauses]


def retrieved_sources(assistant: Assistant, query: str, k: int = 4) -> tuple[list[SourceRef], list[Document]]:
    """The knowledge base's best chunks for this draft, as source references (and the chunks, for an LLM)."""
    corpus_dir = assistant.settings.corpus_dir
    docs = assistant.retrieve(query, k=k)
    refs: list[SourceRef] = []
    for doc in docs:
        source = str(doc.metadata.get("source", ""))
        section = str(doc.metadata.get("section", ""))
        if source.endswith(GUIDE_SOURCE):
            refs.append(guide_ref(section, retrieved=True))
        elif source.endswith(CLAUSE_SOURCE):
            numbers = [c for c in str(doc.metadata.get("clauses", "")).split(",") if c]
            refs += [clause_ref(corpus_dir, n, retrieved=True) for n in numbers]
        elif source:
            # A document the company uploaded (its own procedures, say): worth naming as a source too.
            refs.append(SourceRef(kind="upload", ref=source, title=section.split(SECTION_SEP)[-1], retrieved=True))
    return refs, docs


def clause_key(number: str) -> tuple[int, ...]:
    return tuple(int(n) if n.isdigit() else 0 for n in number.split("."))


def merge_sources(*groups: list[SourceRef]) -> list[SourceRef]:
    """Deduplicated; guide sections first (template ones before retrieved ones), then clauses in order.

    A template source that the search also returned keeps its place and is marked `retrieved`.
    """
    seen: dict[tuple[str, str], SourceRef] = {}
    for group in groups:
        for ref in group:
            key = (ref.kind, ref.ref)
            if key in seen:
                seen[key] = seen[key].model_copy(update={"retrieved": seen[key].retrieved or ref.retrieved})
            else:
                seen[key] = ref
    order = {"guide": 0, "upload": 1, "clause": 2}
    refs = list(seen.values())
    return sorted(refs, key=lambda r: (order[r.kind], clause_key(r.ref) if r.kind == "clause" else ()))
