"""Reproducible cleaning of the PDF-converted SME ISO 9001 guide into corpus Markdown.

Usage: python -m ingest.clean_guide [RAW] [OUT]

The raw file came out of a PDF converter: heading levels and markup are arbitrary,
paragraphs are cut at page ends, the table of contents is still there and the one
table is tab-separated.  ``clean_guide`` rebuilds a deterministic Markdown document
without rewording any body text, so the committed corpus can be regenerated and
diffed at any time.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE_NAME = "guide-2020-sme-iso9001.md"
# The raw converter output is the knowledge base's input, so it is committed: a fresh clone regenerates the guide.
DEFAULT_RAW = REPO_ROOT / "corpus/seed" / SOURCE_NAME
DEFAULT_OUT = REPO_ROOT / "corpus/guide/guide.md"

# Ideographs plus full-width punctuation/brackets/quotes: "CJK context" for typography.
_CJK = "\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u2018-\u201d\u2014\u2026"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_MARKUP = re.compile(r"\*\*|</?b>")
_DATE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月$")

# A paragraph ending in one of these (optionally followed by closing quotes or
# brackets) is complete; anything else was cut by a page break.
_TERMINAL = "。！？；：…!?;:"
_CLOSERS = "”’」』）》】)\"'"

_CN_NUM = "一二三四五六七八九十"
# Level comes from the numbering pattern, never from the raw '#' count, which the
# converter got wrong in many places (e.g. "## 1." under "###（四）").
_HEADING_RULES: list[tuple[re.Pattern[str], int, Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^前\s*言$"), 2, lambda m: "前言"),
    (re.compile(rf"^([{_CN_NUM}]+)、\s*(.+)$"), 2, lambda m: f"{m[1]}、{m[2]}"),
    (re.compile(rf"^[(（]([{_CN_NUM}]+)[)）]\s*(.+)$"), 3, lambda m: f"（{m[1]}）{m[2]}"),
    (re.compile(r"^(\d+)\s*[.．、]\s*(.+)$"), 4, lambda m: f"{m[1]}. {m[2]}"),
    (re.compile(r"^([a-z])\s*[)）]\s*(.+)$"), 5, lambda m: f"{m[1]}) {m[2]}"),
]

_FIGURE = re.compile(r"^图\s*(\d+-\d+)\s*(.+)$")
_TABLE_CAPTION = re.compile(r"^表\s*(\d+-\d+)\s*(.+)$")
_MATH = re.compile(r"\$([^$]+)\$")
_LATEX = {r"\div": "÷", r"\times": "×", r"\geq": "≥", r"\leq": "≤", r"\%": "%"}


def _strip_markup(line: str) -> str:
    return _MARKUP.sub("", line.lstrip("#")).strip()


def _is_cjk(ch: str) -> bool:
    return bool(_CJK_CHAR.match(ch))


def _join(left: str, right: str) -> str:
    """Join two fragments of one sentence: no space for CJK, one space next to Latin."""
    left, right = left.rstrip(), right.lstrip()
    if not left or not right:
        return left + right
    latin = (left[-1].isascii() and left[-1].isalnum()) or (right[0].isascii() and right[0].isalnum())
    return f"{left} {right}" if latin else left + right


def _is_complete(text: str) -> bool:
    stripped = text.rstrip().rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _TERMINAL


def heading_line(raw_line: str) -> str | None:
    """Map a raw heading (any '#' count, bold, <b>, stray spaces) to its Markdown line."""
    text = _strip_markup(raw_line)
    for pattern, level, render in _HEADING_RULES:
        m = pattern.match(text)
        if m:
            return f"{'#' * level} {render(m).strip()}"
    return None


def _fullwidth_parens(text: str) -> str:
    # ASCII "(...)" touching CJK text becomes （...） and loses the padding spaces the
    # converter added; pairs inside Latin text (none today) are left alone.
    def repl(m: re.Match[str]) -> str:
        before = m.string[: m.start()].rstrip()[-1:]
        after = m.string[m.end() :].lstrip()[:1]
        if (before and _is_cjk(before)) or (after and _is_cjk(after)):
            return f"（{m[1].strip()}）"
        return m[0]

    return re.sub(r"[ \t]*\(([^()\n]*)\)[ \t]*", repl, text)


def normalise_text(text: str) -> str:
    """Typography only: full-width comma/parentheses in CJK context, LaTeX to symbols."""
    text = _MATH.sub(lambda m: _latex_to_text(m[1]), text)
    text = re.sub(rf"(?<=[{_CJK}]),\s*(?=[{_CJK}])", "，", text)
    return _fullwidth_parens(text)


def _latex_to_text(expr: str) -> str:
    # The converter rendered formulas as inline LaTeX; plain symbols are what a
    # reader (and a retriever matching "≥96%") expects.
    expr = re.sub(r"\\text\{([^}]*)\}", r"\1", expr)
    for macro, symbol in _LATEX.items():
        expr = expr.replace(macro, symbol)
    return re.sub(r"\s+", "", expr)


def _render_table(rows: list[tuple[bool, list[str]]]) -> list[str]:
    """Render tab-separated rows as a pipe table.

    ``rows`` holds (after_page_break, cells).  Column 0 is a vertically merged
    "栏目" cell: empty means "same group as above".  Empty cells elsewhere are
    merge artefacts and are dropped so the remaining cells line up left.
    """
    table: list[list[str]] = []
    group_start: int | None = None
    for after_break, cells in rows:
        label = cells[0].strip()
        rest = [c.strip() for c in cells[1:] if c.strip()]
        if label and after_break and group_start is not None:
            # A merged label split by the page break ("过程" / "输入" -> "过程输入").
            table[group_start][0] += label
            label = ""
        if label:
            group_start = len(table)
        table.append([label, *rest])
    width = max(len(r) for r in table)
    header = ["栏目", "项目", "内容"] + [f"补充{i}" for i in range(1, width - 2)]
    header = header[:width]

    def fmt(cells: list[str]) -> str:
        padded = [normalise_text(c).replace("|", r"\|") for c in cells]
        padded += [""] * (width - len(padded))
        return "| " + " | ".join(padded) + " |"

    return [fmt(header), "| " + " | ".join("---" for _ in header) + " |"] + [fmt(r) for r in table]


def _split_front_matter(lines: list[str]) -> tuple[str, str, list[str]]:
    """Return (title, date, body lines); the title block precedes the first heading."""
    start = next(i for i, ln in enumerate(lines) if ln.startswith("#"))
    title, date = "", ""
    for ln in lines[:start]:
        text = _strip_markup(ln)
        if _DATE.match(text):
            date = re.sub(r"\s+", " ", text)
        elif text:
            title = _join(title, text)
    return re.sub(r"\s{2,}", " ", title), date, lines[start:]


def _drop_toc(lines: list[str]) -> list[str]:
    # The TOC ("目 录" heading plus dot-leader lines) runs until the next real heading.
    out: list[str] = []
    in_toc = False
    for ln in lines:
        if ln.startswith("#"):
            in_toc = re.sub(r"\s+", "", _strip_markup(ln)) == "目录"
            if in_toc:
                continue
        if not in_toc:
            out.append(ln)
    return out


def _blocks(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for ln in lines:
        if ln:
            blocks[-1].append(ln)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def clean_guide(raw: str, source_name: str = SOURCE_NAME) -> str:
    """Clean the raw guide text into the corpus Markdown format (deterministic)."""
    lines = []
    for ln in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        ln = ln.rstrip()
        # Image remnants: the converter left &nbsp;/space-only lines where figures were.
        if not ln.replace("&nbsp;", "").strip():
            ln = ""
        lines.append(ln)
    title, date, body = _split_front_matter(lines)
    body = _drop_toc(body)

    out: list[tuple[str, list[str]]] = []  # (kind, lines) per output block
    table_rows: list[tuple[bool, list[str]]] = []
    for block in _blocks(body):
        if all("\t" in ln for ln in block):
            # A table continues across the blank line a page break inserted.
            after_break = bool(table_rows)
            for i, ln in enumerate(block):
                table_rows.append((after_break and i == 0, ln.split("\t")))
            continue
        if table_rows:
            out.append(("table", _render_table(table_rows)))
            table_rows = []
        first = block[0]
        if first.startswith("#") or (len(block) == 1 and _MARKUP.match(first)):
            heading = heading_line(first)
            if heading is None:
                raise ValueError(f"unrecognised heading pattern: {first!r}")
            out.append(("heading", [heading]))
        elif all(re.match(r"^[-*•]\s+", ln) for ln in block):
            items = ["- " + normalise_text(re.sub(r"^[-*•]\s+", "", ln)) for ln in block]
            if out and out[-1][0] == "list":
                out[-1][1].extend(items)  # page break inside one list: keep it tight
            else:
                out.append(("list", items))
        elif len(block) == 1 and (m := _FIGURE.match(_strip_markup(first))):
            # The image itself is absent; keep only its caption.
            out.append(("caption", [f"*图 {m[1]} {m[2].strip()}*"]))
        elif len(block) == 1 and (m := _TABLE_CAPTION.match(_strip_markup(first))):
            out.append(("caption", [f"**表 {m[1]} {m[2].strip()}**"]))
        else:
            text = ""
            for ln in block:
                text = _join(text, ln)
            text = normalise_text(text)
            prev = out[-1] if out else None
            if prev and prev[0] == "text" and not _is_complete(prev[1][0]):
                prev[1][0] = _join(prev[1][0], text)  # paragraph cut at a page end
            else:
                out.append(("text", [text]))
    if table_rows:
        out.append(("table", _render_table(table_rows)))

    header = f"# {title}\n\n<!-- source: {source_name}; {date} -->"
    parts = [header] + ["\n".join(ls) for _, ls in out]
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", nargs="?", type=Path, default=DEFAULT_RAW)
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    cleaned = clean_guide(args.raw.read_text(encoding="utf-8"), args.raw.name)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(cleaned, encoding="utf-8", newline="\n")
    print(f"wrote {args.out} ({len(cleaned.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
