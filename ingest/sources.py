"""The sources of an index: the manifest entry of one source, content hashes, and the committed corpus."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.documents import Document

from assistant.config import Settings
from assistant.understanding.text import STOPWORDS
from ingest.chunking import chunk_markdown
from ingest.clauses import clause_documents, findings_bytes, guide_clause_mapper

CORPUS_GUIDE = "corpus/guide/guide.md"
CORPUS_CLAUSES = "corpus/iso9001/clauses.yaml"


def content_hash(data: bytes, *salt: str) -> str:
    h = hashlib.sha256(data)
    for s in salt:
        h.update(s.encode())
    return h.hexdigest()[:16]


@dataclass
class SourceEntry:
    """One ingested source in the manifest."""

    source: str
    hash: str
    kind: str
    title: str
    chunk_ids: list[str]
    added_at: float
    file: str = ""  # stored copy of a user file, relative to data_dir
    warnings: list[str] = field(default_factory=list)


# ---- turning sources into chunks ---------------------------------------------------------------------
def vocabulary_hash(corpus: Path) -> str:
    """Hash of every vocabulary file (lexicon, concepts) and the stopwords: BM25 tokens and query expansion
    depend on them."""
    h = hashlib.sha256(" ".join(sorted(STOPWORDS)).encode())
    for folder in ("lexicon", "concepts"):
        for path in sorted((corpus / folder).rglob("*")):
            if path.is_file():
                h.update(str(path.relative_to(corpus)).encode() + b"\x00" + path.read_bytes() + b"\x00")
    return h.hexdigest()


def corpus_sources(settings: Settings) -> dict[str, tuple[SourceEntry, Callable[[], list[Document]]]]:
    """The committed knowledge base: the cleaned guide and the clause summaries."""
    corpus = settings.corpus_dir
    params = settings.chunking_key
    clause_path = corpus / "iso9001" / "clauses.yaml"
    clause_bytes = clause_path.read_bytes() if clause_path.exists() else b""
    # An edit to the vocabulary changes both hashes, so the next sync re-indexes and BM25 is rebuilt.
    vocabulary = vocabulary_hash(corpus)
    guide_path = corpus / "guide" / "guide.md"
    out = {}
    if guide_path.exists():
        guide = guide_path.read_bytes()
        # Guide chunks carry clause numbers from the clause file (guide_sections), so they depend on all of it.
        entry = SourceEntry(
            CORPUS_GUIDE,
            content_hash(guide, hashlib.sha256(clause_bytes).hexdigest(), vocabulary, params),
            "guide",
            "小微企业应用 ISO 9001 提升质量管理的实施指南",
            [],
            time.time(),
        )

        def guide_docs() -> list[Document]:
            return chunk_markdown(
                guide.decode("utf-8"),
                source=CORPUS_GUIDE,
                max_chars=settings.chunk_max_chars,
                min_chars=settings.chunk_min_chars,
                clauses_for=guide_clause_mapper(corpus),
                extra_metadata={"kind": "guide"},
            )

        out[CORPUS_GUIDE] = (entry, guide_docs)
    if clause_bytes:
        entry = SourceEntry(
            CORPUS_CLAUSES,
            content_hash(clause_bytes, hashlib.sha256(findings_bytes(corpus)).hexdigest(), vocabulary),
            "clause",
            "ISO 9001:2015 条款要点（自撰概述）",
            [],
            time.time(),
        )
        out[CORPUS_CLAUSES] = (entry, lambda: clause_documents(corpus, CORPUS_CLAUSES))
    return out
