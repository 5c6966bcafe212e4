"""ISO 9001 clause knowledge (corpus/iso9001/clauses.yaml) → Documents, and guide section → clause mapping."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from langchain_core.documents import Document

from ingest.chunking import SECTION_SEP

CLAUSES_FILE = Path("iso9001") / "clauses.yaml"
FINDINGS_FILE = Path("iso9001") / "findings.yaml"  # typical audit findings per clause, own words
_DOC_INFO = {
    "none": "无明确的成文信息要求",
    "maintain": "需保持成文信息（文件）",
    "retain": "需保留成文信息（记录）",
    "maintain+retain": "需保持文件并保留记录",
}


@lru_cache(maxsize=4)
def load_clause_data(corpus_dir: Path) -> dict:
    path = corpus_dir / CLAUSES_FILE
    if not path.exists():
        return {"clauses": [], "principles": []}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def findings_bytes(corpus_dir: Path) -> bytes:
    path = corpus_dir / FINDINGS_FILE
    return path.read_bytes() if path.exists() else b""


@lru_cache(maxsize=4)
def clause_findings(corpus_dir: Path) -> dict[str, list[str]]:
    """Clause number → typical audit findings: how a situation on the shop floor looks when it breaks the clause."""
    data = yaml.safe_load(findings_bytes(corpus_dir).decode("utf-8") or "{}") or {}
    table = data.get("findings") or {}
    return {str(k): [str(f).strip() for f in v or [] if str(f).strip()] for k, v in table.items()}


def clause_index(corpus_dir: Path) -> dict[str, dict]:
    return {str(c["number"]): c for c in load_clause_data(corpus_dir).get("clauses", [])}


def _clause_path(index: dict[str, dict], number: str) -> list[str]:
    path, cur = [], index.get(number)
    while cur:
        path.append(f"{cur['number']} {cur['title_zh']}")
        cur = index.get(str(cur.get("parent"))) if cur.get("parent") else None
    return list(reversed(path))


def clause_documents(corpus_dir: Path, source: str) -> list[Document]:
    """One Document per clause and per quality-management principle; each is already chunk-sized."""
    data = load_clause_data(corpus_dir)
    index = clause_index(corpus_dir)
    findings = clause_findings(corpus_dir)
    docs: list[Document] = []
    for clause in data.get("clauses", []):
        number = str(clause["number"])
        info = _DOC_INFO.get(str(clause.get("documented_information", "none")), "")
        note = clause.get("documented_information_note") or ""
        lines = [
            f"ISO 9001:2015 {number} {clause['title_zh']}（{clause.get('title_en', '')}）",
            f"要点：{clause.get('summary', '').strip()}",
        ]
        if clause.get("documented_information", "none") != "none":
            lines.append(f"成文信息：{info}" + (f"，{note}" if note else "。"))
        if clause.get("keywords"):
            lines.append("关键词：" + "、".join(clause["keywords"]))
        metadata = {
            "source": source,
            "title": "ISO 9001:2015 条款要点（自撰概述）",
            "section": SECTION_SEP.join(["ISO 9001:2015", *_clause_path(index, number)]),
            "section_top": "ISO 9001:2015",
            "clauses": number,
            "page": 0,
            "chunk_index": len(docs),
            "kind": "clause",
        }
        # Searched (each its own sentence vector, and BM25 words) but not shown: a described situation finds its
        # sub-clause by the finding it resembles, while the cited passage stays the clause summary.
        if findings.get(number):
            metadata["findings"] = "\n".join(findings[number])
        docs.append(Document(page_content="\n".join(lines), metadata=metadata))
    for principle in data.get("principles", []):
        related = [str(c) for c in principle.get("related_clauses", [])]
        docs.append(
            Document(
                page_content=(
                    f"质量管理原则：{principle['name_zh']}（{principle.get('name_en', '')}）\n"
                    f"要点：{principle.get('summary', '').strip()}"
                ),
                metadata={
                    "source": source,
                    "title": "质量管理七项原则（自撰概述）",
                    "section": SECTION_SEP.join(["质量管理原则", principle["name_zh"]]),
                    "section_top": "质量管理原则",
                    "clauses": ",".join(related),
                    "page": 0,
                    "chunk_index": len(docs),
                    "kind": "principle",
                },
            )
        )
    return docs


def guide_clause_mapper(corpus_dir: Path, limit: int = 4):
    """A function: guide section path → the clauses whose `guide_sections` name it or an ancestor of it.

    The most specific matches come first, so a chunk in 三（七）2. 内部审核 carries 9.2 before 9.1.
    """
    mapping: dict[str, list[str]] = {}
    for clause in load_clause_data(corpus_dir).get("clauses", []):
        for section in clause.get("guide_sections") or []:
            mapping.setdefault(section, []).append(str(clause["number"]))

    def clauses_for(path: tuple[str, ...]) -> list[str]:
        found: list[str] = []
        for depth in range(len(path), 0, -1):
            # Sub-clauses before their parents, so the parent can be recognised as redundant.
            numbers = sorted(mapping.get(SECTION_SEP.join(path[:depth]), []), key=lambda n: -n.count("."))
            for number in numbers:
                # A parent clause adds nothing when a sub-clause of it is already there.
                if number not in found and not any(f.startswith(number + ".") for f in found):
                    found.append(number)
        return found[:limit]

    return clauses_for
