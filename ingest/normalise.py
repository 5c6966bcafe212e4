"""Normalising plain text from PDFs and TXT files into Markdown the chunker understands.

PDF text layers break lines at the page width and carry page numbers; Chinese company documents mark their
structure with numbering (一、 （一） 1. 1.1) rather than styles. Both are repaired here.
"""

from __future__ import annotations

import re

_SENTENCE_END = "。！？；：…!?;:」』”）)】"
_CN_NUM = "一二三四五六七八九十百"

# (pattern, markdown level): the level follows the numbering scheme, not the font.
_HEADING_PATTERNS: list[tuple[re.Pattern[str], int]] = [
    (re.compile(rf"^第[{_CN_NUM}\d]+[章部分篇]\s*\S"), 2),
    (re.compile(rf"^[{_CN_NUM}]+、\s*\S"), 2),
    (re.compile(rf"^[（(][{_CN_NUM}]+[）)]\s*\S"), 3),
    (re.compile(r"^\d+\.\d+\.\d+\s+\S"), 5),
    (re.compile(r"^\d+\.\d+\s+\S"), 4),
    (re.compile(r"^\d+[.．、]\s*\S"), 4),
    (re.compile(r"^[a-z][)）]\s*\S"), 5),
]
_LIST_ITEM = re.compile(r"^\s*(?:[-•·●▪◆■*]|\(\d+\)|（\d+）|\d+[)）]|[①-⑳])\s*")
_PAGE_NUMBER = re.compile(r"^\s*(?:[-–—]?\s*\d+\s*[-–—]?|第\s*\d+\s*页(?:\s*[,，/共]\s*\d+\s*页)?|\d+\s*/\s*\d+)\s*$")
_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def heading_level(line: str) -> int:
    """Markdown level for a numbered Chinese heading line, or 0 if the line is body text."""
    text = line.strip()
    if not text or len(text) > 40 or text[-1] in "。；;，,":
        return 0
    for pattern, level in _HEADING_PATTERNS:
        if pattern.match(text):
            return level
    return 0


def _joins(prev: str, nxt: str) -> str:
    # CJK text has no spaces between words; Latin words need one.
    if _CJK.search(prev[-1:]) or _CJK.search(nxt[:1]):
        return prev + nxt
    return prev + " " + nxt


def normalise_plain_text(text: str) -> str:
    """Turn raw page text into Markdown paragraphs, list items and headings."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ").replace("\xa0", " ")
    blocks: list[str] = []
    current = ""
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or _PAGE_NUMBER.match(line):
            if current:
                blocks.append(current)
                current = ""
            continue
        if line.startswith("#") or line.startswith("|"):
            if current:
                blocks.append(current)
            blocks.append(line)
            current = ""
            continue
        level = heading_level(line)
        if level:
            if current:
                blocks.append(current)
            blocks.append("#" * level + " " + line)
            current = ""
            continue
        if _LIST_ITEM.match(line):
            if current:
                blocks.append(current)
            current = "- " + _LIST_ITEM.sub("", line, count=1)
            continue
        if current and current[-1] not in _SENTENCE_END:
            current = _joins(current, line)
        elif current:
            blocks.append(current)
            current = line
        else:
            current = line
    if current:
        blocks.append(current)
    return "\n\n".join(_collapse_spaces(b) for b in blocks)


def _collapse_spaces(block: str) -> str:
    block = re.sub(r"[ \t]+", " ", block)
    # PDF extraction puts spaces between CJK characters; they carry no meaning.
    return re.sub(r"(?<=[\u3400-\u9fff，。；：、）（])\s+(?=[\u3400-\u9fff，。；：、）（])", "", block)
