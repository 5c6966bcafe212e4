"""Presentation only: API results (answers, ingest reports, source lists) → Markdown and table rows."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from ingest.chunking import SECTION_SEP

if TYPE_CHECKING:
    from assistant.answering import Answer
    from assistant.citations import Citation
    from ingest.pipeline import IngestReport

KIND_TITLES = {"guide": "实施指南", "clause": "条款要点", "principle": "质量管理原则", "user": "上传文档"}

# Link schemes that run code; Markdown decodes entities in link targets, so the colon itself is replaced.
_SCRIPT_SCHEME = re.compile(r"(?i)\b(javascript|vbscript|data)(\s*):")


def safe_text(text: str) -> str:
    """Answer text as Markdown that carries no HTML: tags show as text, script links are broken.

    Answers quote uploaded documents (and, with an LLM, model output), so a `<script>` or `<img onerror=…>` in
    a company file would otherwise reach every browser that shows the answer. `>` stays: it cannot open a tag,
    and Markdown quotes need it.
    """
    return _break_links(text.replace("&", "&amp;").replace("<", "&lt;"))


def _break_links(text: str) -> str:
    return _SCRIPT_SCHEME.sub(lambda m: f"{m.group(1)}{m.group(2)}：", text)


def _citation_block(c: Citation) -> str:
    # <details> keeps the chat readable: one line per source, the passage one click away.
    where = c.section.replace(SECTION_SEP, " › ") or c.source
    facts = [f"章节：{_break_links(html.escape(where))}"]
    if c.clause:
        facts.append(f"ISO 9001 条款：{html.escape(c.clause)}")
    facts.append(f"出处：{html.escape(KIND_TITLES.get(c.kind, c.kind))}（{html.escape(c.source)}）")
    quoted = "\n".join("> " + _break_links(html.escape(line)) for line in c.text.strip().splitlines() if line.strip())
    return (
        f"<details><summary>[{c.n}] {_break_links(html.escape(c.label))}</summary>\n\n"
        + "<br>".join(facts)
        + "\n\n"
        + quoted
        + "\n\n</details>"
    )


def answer_markdown(answer: Answer) -> str:
    """The chat bubble: notice, answer body, then each citation as an expandable source."""
    parts = []
    if answer.notice:
        parts.append(f"> ⚠️ {safe_text(answer.notice)}")
    parts.append(safe_text(answer.text))
    if answer.citations:
        blocks = "\n\n".join(_citation_block(c) for c in answer.citations)
        parts.append(f'<div class="qms-sources">\n\n**来源**\n\n{blocks}\n\n</div>')
    return "\n\n".join(parts)


def api_markdown(answer: Answer) -> str:
    """The `/ask` result: notice, answer and numbered sources as plain Markdown, every text made HTML-safe."""
    parts = [f"> {safe_text(answer.notice)}"] if answer.notice else []
    parts.append(safe_text(answer.text))
    if answer.citations:
        sources = []
        for c in answer.citations:
            passage = c.text if len(c.text) <= 160 else c.text[:160] + "…"
            sources.append(f"[{c.n}] {safe_text(c.label)}\n> {safe_text(passage.replace(chr(10), ' '))}")
        parts.append("**来源**\n\n" + "\n\n".join(sources))
    return "\n\n".join(parts)


def ingest_markdown(report: IngestReport) -> str:
    """A short Chinese summary of one ingest/remove/rebuild run."""
    lines = []
    if report.added:
        lines.append("已新增：" + "、".join(_short(s) for s in report.added))
    if report.updated:
        lines.append(
            f"已更新：{len(report.updated)} 个文档"
            if len(report.updated) > 5
            else "已更新（替换了同名的旧文件）：" + "、".join(_short(s) for s in report.updated)
        )
    if report.unchanged:
        lines.append("内容未变化，已跳过：" + "、".join(_short(s) for s in report.unchanged))
    if report.removed:
        lines.append("已删除：" + "、".join(_short(s) for s in report.removed))
    for name, message in report.failed.items():
        lines.append(f"❌ {name}：{message}")
    if report.chunks:
        lines.append(f"共生成 {report.chunks} 个文本块，用时 {report.seconds:.1f} 秒。")
    return "\n\n".join(lines) or "没有需要处理的文件。"


def _short(source: str) -> str:
    return source.removeprefix("uploads/")


SOURCE_HEADERS = ["文档", "标题", "类别", "文本块数", "加入时间", "提示"]


def source_rows(sources: list[dict[str, object]]) -> list[list[object]]:
    return [
        [
            s["source"],
            s["title"],
            KIND_TITLES.get(str(s["kind"]), s["kind"]),
            s["chunks"],
            s["added_at"],
            s.get("warnings", ""),
        ]
        for s in sources
    ]
