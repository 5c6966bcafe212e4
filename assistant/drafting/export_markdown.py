"""A draft as Markdown with pipe tables (for the terminal, the web app and the .md files in the pack)."""

from __future__ import annotations

from pathlib import Path

from assistant.drafting.models import DraftDocument
from assistant.drafting.render import Bullets, Heading, Para, Table, blocks, control_table


def _cell(text: str) -> str:
    return text.replace("|", "｜").replace("\r", "").replace("\n", "<br>").strip() or " "


def table_markdown(table: Table) -> str:
    lines = [
        "| " + " | ".join(_cell(h) for h in table.header) + " |",
        "| " + " | ".join("---" for _ in table.header) + " |",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


def to_markdown(doc: DraftDocument) -> str:
    parts = [f"# {doc.title}", f"**{doc.company}**", table_markdown(control_table(doc))]
    for block in blocks(doc):
        if isinstance(block, Heading):
            parts.append(f"{'#' * (block.level + 1)} {block.text}")
        elif isinstance(block, Para):
            parts.append(f"**{block.text}**" if block.bold else block.text)
        elif isinstance(block, Bullets):
            parts.append("\n".join(f"{i}. {t}" if block.ordered else f"- {t}" for i, t in enumerate(block.items, 1)))
        elif isinstance(block, Table):
            parts.append(table_markdown(block))
    return "\n\n".join(parts) + "\n"


def write_markdown(doc: DraftDocument, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_markdown(doc), encoding="utf-8")
    return path
