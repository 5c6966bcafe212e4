"""Presentation only: API results (answers, ingest reports, source lists) → Markdown and table rows."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from ingest.chunking import SECTION_SEP

if TYPE_CHECKING:
    from assistant.answering import Answer
    from assistant.citations import Citation
    from ingest.pipeline import IngestReport

KIND_TITLES = {"guide": "实施指南", "clause": "条款要点", "principle": "质量管理原则", "user": "上传文档"}


def _citation_block(c: Citation) -> str:
    # <details> keeps the chat readable: one line per source, the passage one click away.
    where = c.section.replace(SECTION_SEP, " › ") or c.source
    facts = [f"章节：{html.escape(where)}"]
    if c.clause:
        facts.append(f"ISO 9001 条款：{html.escape(c.clause)}")
    facts.append(f"出处：{html.escape(KIND_TITLES.get(c.kind, c.kind))}（{html.escape(c.source)}）")
    quoted = "\n".join("> " + html.escape(line) for line in c.text.strip().splitlines() if line.strip())
    return (
        f"<details><summary>[{c.n}] {html.escape(c.label)}</summary>\n\n"
        + "<br>".join(facts)
        + "\n\n"
        + quoted
        + "\n\n</details>"
    )


def answer_markdown(answer: Answer) -> str:
    """The chat bubble: notice, answer body, then each citation as an expandable source."""
    parts = []
    if answer.notice:
        parts.append(f"> ⚠️ {answer.notice}")
    parts.append(answer.text)
    if answer.citations:
        blocks = "\n\n".join(_citation_block(c) for c in answer.citations)
        parts.append(f'<div class="qms-sources">\n\n**来源**\n\n{blocks}\n\n</div>')
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
            else "已更新：" + "、".join(_short(s) for s in report.updated)
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
