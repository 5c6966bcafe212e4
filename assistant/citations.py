"""Citations: what an answer cites, how it is labelled, and whether a sentence is really supported by it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_core.documents import Document

from ingest.chunking import SECTION_SEP, SUMMARY_KINDS

_NUMERAL = re.compile(r"^([一二三四五六七八九十]+)、")
_SUB = re.compile(r"^(（[一二三四五六七八九十]+）)")
_MARK = re.compile(r"\[(\d+)\]")
_LEAD_MARKS = re.compile(r"^[ \t]*(?:\[\d+\][ \t]*)+")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


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


def citation_from(doc: Document, n: int) -> Citation:
    clauses = [c for c in str(doc.metadata.get("clauses", "")).split(",") if c]
    return Citation(
        n=n,
        section=str(doc.metadata.get("section", "")),
        clause=clauses[0] if clauses else "",
        text=doc.page_content,
        source=str(doc.metadata.get("source", "")),
        kind=str(doc.metadata.get("kind", "user")),
        chunk_id=str(doc.metadata.get("chunk_id", doc.id or "")),
        scanned=bool(doc.metadata.get("ocr", False)),
    )


def bigrams(text: str) -> set[str]:
    clean = _PUNCT.sub("", text.lower())
    return {clean[i : i + 2] for i in range(len(clean) - 1)}


def support(sentence: str, passage: str) -> float:
    """Share of the sentence's character bigrams found in the passage: 1.0 for a quotation, ~0 if unrelated.

    Bigrams suit Chinese (no word boundaries) and survive light rephrasing by an LLM.
    """
    s = bigrams(_MARK.sub("", sentence))
    return len(s & bigrams(passage)) / len(s) if s else 0.0


def split_marked_sentences(text: str) -> list[tuple[str, list[int]]]:
    """Split LLM output into sentences with the [n] markers attached to each."""
    pieces = re.split(r"(?<=[。！？!?\n])", text)
    merged: list[str] = []
    for piece in pieces:
        # Models also write "…要求。[1]": markers right after the full stop belong to the sentence before it.
        lead = _LEAD_MARKS.match(piece)
        if lead and merged and merged[-1].endswith(tuple("。！？!?")):
            merged[-1] += lead.group(0)
            piece = piece[lead.end() :]
        if piece.strip():
            merged.append(piece)
        elif piece and merged:
            merged[-1] += piece  # keep line breaks: they carry the answer's paragraphs and lists
    return [(piece, [int(m) for m in _MARK.findall(piece)]) for piece in merged]


def verify(text: str, citations: list[Citation], floor: float = 0.3) -> tuple[str, list[Citation], int]:
    """Keep only [n] markers whose passage supports the sentence; flag sentences left without support.

    Returns the checked text, the citations still referenced, and how many markers were dropped.
    """
    by_n = {c.n: c for c in citations}
    kept: set[int] = set()
    dropped = 0
    out = []
    for sentence, marks in split_marked_sentences(text):
        body = _MARK.sub("", sentence)
        good = [m for m in marks if m in by_n and support(body, by_n[m].text) >= floor]
        dropped += len(marks) - len(good)
        kept.update(good)
        if marks and not good:
            # The flag goes before the full stop, so it reads (and re-splits) as part of its own sentence.
            trail = body.rstrip()
            core = trail.rstrip("。！？!?")
            body = core + "（此句未能在资料中核实）" + body[len(core) :]
        elif good:
            trail = body.rstrip()
            body = trail + "".join(f"[{m}]" for m in dict.fromkeys(good)) + body[len(trail) :]
        out.append(body)
    return "".join(out), [c for c in citations if c.n in kept], dropped
