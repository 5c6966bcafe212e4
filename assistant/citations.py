"""Citations: what an answer cites and how it is labelled (whether a passage supports a sentence: verification)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_core.documents import Document

from ingest.chunking import SECTION_SEP, SUMMARY_KINDS

_NUMERAL = re.compile(r"^([一二三四五六七八九十]+)、")
_SUB = re.compile(r"^(（[一二三四五六七八九十]+）)")


@dataclass
class Citation:
    """One cited chunk: `text` is the passage, `section` its path, `clause` the ISO clause it rests on."""

    n: int
    section: str
    clause: str
    text: str
    source: str
    kind: str
    chunk_id: str = ""
    scanned: bool = False  # the passage was recognised by OCR from a scanned page: a person may want to check it

    @property
    def label(self) -> str:
        """Short label like "指南 三（七）2. 内部审核 · ISO 9001 9.2"."""
        if self.kind in SUMMARY_KINDS:
            path = self.section.replace(SECTION_SEP, " ")
            base = f"ISO 9001 {self.clause}" if self.kind == "clause" else path
            title = self.section.split(SECTION_SEP)[-1]
            return f"{base} {title.split(' ', 1)[-1]}" if self.kind == "clause" else base
        parts = self.section.split(SECTION_SEP)
        prefix = "指南 " if self.kind == "guide" else f"{self.source.removeprefix('uploads/')} "
        label = prefix + short_section(parts)
        label = f"{label} · ISO 9001 {self.clause}" if self.clause else label
        return label + "（扫描识别）" if self.scanned else label


def short_section(parts: list[str]) -> str:
    """三、小微企业… > （七）跟踪检查评价 > 2. 内部审核 → 三（七）2. 内部审核."""
    if not parts:
        return ""
    head = [m.group(1) for m in [_NUMERAL.match(parts[0])] if m]
    if not head:
        return " > ".join(parts[-2:])
    out = head[0]
    if len(parts) == 1:
        return parts[0]
    sub = _SUB.match(parts[1])
    if len(parts) == 2:
        return out + parts[1]
    return out + (sub.group(1) if sub else parts[1]) + parts[-1]


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def citation_from(doc: Document, n: int, prefer: tuple[str, ...] = ()) -> Citation:
    """A citation of a retrieved chunk; `prefer` (the question's clauses) picks which of a guide passage's
    clauses to show, so "不合格品" cites 8.7 on a passage tied to 4.4.1, 8.6 and 8.7."""
    clauses = [c for c in str(doc.metadata.get("clauses", "")).split(",") if c]
    fitting = [c for p in prefer for c in clauses if _related(c, p)]
    if fitting or doc.metadata.get("kind") in SUMMARY_KINDS or not prefer:
        clause = (fitting or clauses or [""])[0]
    else:
        clause = ""  # none of the passage's clauses is what the question is about: show none rather than a wrong one
    return Citation(
        n=n,
        section=str(doc.metadata.get("section", "")),
        clause=clause,
        text=doc.page_content,
        source=str(doc.metadata.get("source", "")),
        kind=str(doc.metadata.get("kind", "user")),
        chunk_id=str(doc.metadata.get("chunk_id", doc.id or "")),
        scanned=bool(doc.metadata.get("ocr", False)),
    )
