"""Rows for the concept model, one loader per corpus file: concept files, ISO clauses, the guide's lists."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from assistant.understanding.concepts import LOADER, concept_files, read_concept_file


def concept_file_rows(corpus_dir: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in concept_files(corpus_dir):
        rows += [dict(r, source_file=path.name) for r in read_concept_file(path)]
    return rows


def clause_rows(corpus_dir: Path) -> list[dict[str, Any]]:
    """One `clause` concept per ISO 9001 clause: its number and (where unique) its title name it."""
    path = Path(corpus_dir) / "iso9001" / "clauses.yaml"
    if not path.exists():
        return []
    clauses = (yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER) or {}).get("clauses", [])
    titles = Counter(str(c["title_zh"]) for c in clauses)
    rows = []
    for c in clauses:
        number = str(c["number"])
        rows.append(
            {
                "id": f"clause.{number}",
                "kind": "clause",
                "name": f"{number} {c['title_zh']}",
                # A title names the clause when it is unique and specific ("测量溯源"); chapter titles such as
                # "运行" or "支持" are everyday words.
                "aliases": [c["title_zh"]]
                if titles[str(c["title_zh"])] == 1 and "." in number and len(str(c["title_zh"])) >= 3
                else [],
                "clauses": [number],
                "sections": c.get("guide_sections") or [],
                "description": c.get("summary", ""),
                "number": number,
                "title": c["title_zh"],
                "parent": c.get("parent"),
                "documented_information": c.get("documented_information", "none"),
                "documented_information_note": c.get("documented_information_note", ""),
            }
        )
    return rows


def list_rows(corpus_dir: Path) -> list[dict[str, Any]]:
    """One `list` concept per list the guide gives (8 steps, 7 principles, review inputs …)."""
    path = Path(corpus_dir) / "catalogue" / "guide_lists.yaml"
    if not path.exists():
        return []
    lists = (yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER) or {}).get("lists", [])
    return [
        {
            "id": f"list.{entry['id']}",
            "kind": "list",
            "name": entry["title"],
            "clauses": entry.get("clauses") or [],
            "sections": [entry["section"]] if entry.get("section") else [],
            "items": entry.get("items") or [],
            "ordered": bool(entry.get("ordered")),
            "note": entry.get("note", ""),
        }
        for entry in lists
    ]


def load_rows(corpus_dir: Path) -> list[dict[str, Any]]:
    return concept_file_rows(corpus_dir) + clause_rows(corpus_dir) + list_rows(corpus_dir)
