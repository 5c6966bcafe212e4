"""Checks on an answer's shape: the whole list for list questions, an opener for yes-no questions, no debris."""

from __future__ import annotations

import re

from assistant.answering import Answer
from assistant.understanding import Analysis

VERDICT = re.compile(
    r"^(\*\*)?(是|否|对|不对|要对照|需要|不需要|要|不要|不必|不是|可以|不可以|不能|能|必须|不必须|应当|不应|视情况|标准和指南(都)?没有|标准没有|指南没有|判定)"
)
_CAPTION = re.compile(r"^\*?\s*[图表]\s*\d+-\d+")
_HEADER_ROW = re.compile(r"(目标；计算公式|项目；名称|输入源；内容|输出接收方；内容|^栏目|：项目；)")
_CUT_BEFORE_MARK = re.compile(r"[\u4e00-\u9fffA-Za-z0-9](\[\d+\])+(?![。！？；）\]])")


def debris(answer: Answer) -> list[str]:
    """What a careful reader would flag: captions, header rows, cut sentences, bare list intros, repeated or
    internal-path sources."""
    found = []
    lines = [line.strip() for line in answer.text.split("\n")]
    for i, line in enumerate(lines):
        body = line.removeprefix("- ").strip()
        if _CAPTION.match(body) and len(body) <= 40 and "。" not in body:
            found.append(f"图表标题：{body[:20]}")
        if _HEADER_ROW.search(body):
            found.append(f"表头行：{body[:20]}")
        if not line.startswith("- ") and _CUT_BEFORE_MARK.search(line) and not line.endswith(("。", "；", "）")):
            found.append(f"句子被截断：{line[-20:]}")
        if line.endswith(("：", ":")) and not any(x.startswith(("- ", "1.", "（")) for x in lines[i + 1 : i + 2]):
            found.append(f"清单引语没有条目：{line[-20:]}")
    labels = [c.label for c in answer.citations]
    if len(labels) != len(set(labels)):
        found.append("重复的来源")
    if any("corpus/" in label or "uploads/" in label for label in labels):
        found.append("来源标签含内部路径")
    return found


def whole_list(answer: Answer, analysis: Analysis) -> bool | None:
    """For a list/count question whose subject has a list in the guide: are all its items in the answer?"""
    if analysis.intent not in {"list", "count"} or not answer.topic:
        return None
    topic = next((c for c in analysis.concepts if c.id == answer.topic), None)
    items = topic.extra.get("list_items") if topic else None
    if not items:
        return None
    return all(str(item) in answer.text for item in items)


def has_opener(answer: Answer, analysis: Analysis) -> bool | None:
    if analysis.intent != "yes_no" or not answer.covered:
        return None
    return bool(VERDICT.match(answer.text.lstrip("> ").strip()))
