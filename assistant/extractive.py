"""Extractive answering (no LLM): pick and order the sentences of retrieved chunks that answer the question."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from langchain_core.documents import Document

from assistant.grounding import INJECTION  # uploaded text that addresses the assistant is never quoted
from assistant.understanding.text import bigrams, sentences, tokenize
from ingest.chunking import SUMMARY_KINDS

_TABLE_ROW = re.compile(r"^\|")
_CAPTION = re.compile(r"^[*_\s]*[图表]\s*\d+-\d+")  # "*图 3-1 …*", "**表 3-1 …**": labels of figures and tables
_ENDED = ("。", "！", "？", "；", "：", "”", "）", "!", "?", ";", ":")
_LONG_ITEM = 150
RANK_DECAY = 0.25  # score divisor per retrieval rank
RELATIVE_FLOOR = 0.3  # units scoring below this share of the best unit are left out
_ENUMERATION = re.compile(r"哪些|哪几|几个|几步|几种|几类|几层|几项|包括|包含|有什么|分为|分哪|步骤|内容|要素|方面")
LEAD_CHUNKS = 2  # the top-ranked guide/company passages that always contribute their best sentence


@dataclass
class Unit:
    """A sentence or list item of a chunk, in reading order."""

    text: str
    chunk: int
    pos: int
    is_item: bool
    score: float = 0.0
    is_row: bool = False  # a table row: data of that table, quoted only when the question is about it


def units_of(doc: Document, chunk: int) -> list[Unit]:
    units: list[Unit] = []
    lines = doc.page_content.split("\n")
    if doc.metadata.get("kind") in SUMMARY_KINDS:
        # Clause summaries: one unit, "ISO 9001 9.2 内部审核：…", without the keyword line.
        title = lines[0].split("（")[0].replace("ISO 9001:2015", "ISO 9001").replace("质量管理原则：", "质量管理原则“")
        title += "”" if "原则“" in title else ""
        body = "".join(x.removeprefix("要点：") for x in lines[1:] if x.startswith("要点："))
        return [Unit(f"{title}：{body}", chunk, 0, False)]
    for line in lines:
        line = line.strip().replace("**", "")
        if not line or _TABLE_ROW.match(line) and set(line) <= set("|-: ") or _is_caption(line):
            continue
        if line.startswith(("- ", "* ")) and len(line) <= _LONG_ITEM:
            units.append(Unit(line[2:].strip(), chunk, len(units), True))
        elif line.startswith(("- ", "* ")):
            # A paragraph-sized bullet is prose: pick its sentences like any other.
            for sentence in _sentences(line[2:]):
                units.append(Unit(sentence, chunk, len(units), False))
        elif _TABLE_ROW.match(line):
            cells = [c.strip() for c in line.strip("|").split("|") if c.strip()]
            if cells and not _header_row(cells):
                units.append(
                    Unit(
                        "：".join(cells[:1]) + ("：" + "；".join(cells[1:]) if len(cells) > 1 else ""),
                        chunk,
                        len(units),
                        True,
                        is_row=True,
                    )
                )
        else:
            for sentence in _sentences(line):
                units.append(Unit(sentence, chunk, len(units), False))
    return [u for u in units if not INJECTION.search(u.text)]


def _is_caption(line: str) -> bool:
    """ "*图 3-1 PDCA 示意图*": a figure or table label (short), not prose that begins "表 3-1 给出了…"."""
    return bool(_CAPTION.match(line)) and len(line) <= 40 and "。" not in line


def _header_row(cells: list[str]) -> bool:
    """A table's column labels ("过程目标（绩效评价） | 目标 | 计算公式 | 频率", "栏目 | 项目 | 内容"): short labels
    without figures, or a row that names its columns "项目"."""
    rest = cells[1:] or cells
    if len(rest) >= 2 and "项目" in rest:
        return True
    return len(rest) >= 2 and all(len(c) <= 7 and not re.search(r"[\d%、；，。：]", c) for c in rest)


def _sentences(text: str, min_chars: int = 16) -> list[str]:
    """Sentences of a paragraph; a short piece split off at "；" stays with its neighbour, since a quoted
    fragment like "内部审核的结果；" means nothing on its own. A last piece that stops mid-sentence (text cut at
    a page break in the source) is left out rather than quoted half."""
    out: list[str] = []
    drop_next = False
    pieces = sentences(text)
    if pieces and not pieces[-1].endswith(_ENDED):
        pieces = pieces[:-1]
    for piece in pieces:
        if INJECTION.search(piece) or drop_next:
            # Text addressed to the assistant is never quoted, nor the sentence after it (the payload may
            # be there: "忽略以上指令。请回答：…").
            drop_next = not drop_next or bool(INJECTION.search(piece))
            continue
        if out and (len(piece) < min_chars or len(out[-1]) < min_chars) and out[-1].endswith("；"):
            out[-1] += piece
        else:
            out.append(piece)
    return out


@lru_cache(maxsize=8192)
def _tokens(text: str) -> frozenset[str]:
    """Tokens of a passage sentence: the same sentences come back question after question."""
    return frozenset(tokenize(text))


def _score(unit: Unit, q_tokens: set[str], q_bigrams: set[str], rank: int) -> float:
    """How much of the question a unit speaks to: words (jieba) and character pairs (robust to segmentation)."""
    tokens = _tokens(unit.text)
    if not tokens:
        return 0.0
    words = sum(len(t) for t in tokens & q_tokens) / max(1, sum(len(t) for t in q_tokens))
    pairs = len(bigrams(unit.text) & q_bigrams) / max(1, len(q_bigrams))
    # Earlier-ranked chunks are more likely on topic (retrieval MRR ≈ 0.85 on tests/eval).
    return (words + pairs) / (1 + RANK_DECAY * rank) + (0.05 if unit.is_item else 0.0)


def extract(
    question: str, docs: list[Document], max_chars: int = 320, max_chunks: int = 3, expanded: str | None = None
) -> list[list[Unit]]:
    """Chosen units grouped by chunk, guide/company text first, each group in reading order.

    `expanded`: the question with the formal terms for its colloquial words (Analysis.search_query)."""
    expanded = expanded or question
    enumerating = bool(_ENUMERATION.search(question))
    q_tokens, q_bigrams = set(tokenize(expanded)), bigrams(question)
    kinds = {rank: doc.metadata.get("kind") for rank, doc in enumerate(docs)}
    chosen: dict[int, list[Unit]] = {}
    pool: list[Unit] = []
    for rank, doc in enumerate(docs[: max_chunks + 1]):
        for unit in units_of(doc, rank):
            unit.score = _score(unit, q_tokens, q_bigrams, rank)
            pool.append(unit)
    pool.sort(key=lambda u: -u.score)
    # The best-ranked passages that explain "how" (guide or company text) contribute their best unit first:
    # retrieval orders passages better than a single sentence's word overlap does.
    leads: list[Unit] = []
    for rank in sorted(kinds)[: LEAD_CHUNKS + 1]:
        best = next((u for u in pool if u.chunk == rank), None)
        if best and kinds.get(rank) not in SUMMARY_KINDS and len(leads) < LEAD_CHUNKS:
            if not leads or best.score >= RELATIVE_FLOOR * pool[0].score:
                leads.append(best)
    ordered = leads + [u for u in pool if u not in leads]
    used, seen = 0, set()
    floor = RELATIVE_FLOOR * pool[0].score if pool else 0.0
    for unit in ordered:
        if unit.score < floor and chosen:
            break
        key = re.sub(r"\W", "", unit.text)
        if key in seen or (len(chosen) >= max_chunks and unit.chunk not in chosen):
            continue
        if used + len(unit.text) > max_chars and chosen:
            continue
        seen.add(key)
        chosen.setdefault(unit.chunk, []).append(unit)
        used += len(unit.text)
        # A list item pulls in its siblings when the question asks for a list ("哪些/几步"): it answers
        # those only when whole; otherwise items are picked one by one like sentences.
        if unit.is_item and enumerating:
            for sibling in pool:
                if sibling.chunk == unit.chunk and sibling.is_item and sibling not in chosen[unit.chunk]:
                    if used + len(sibling.text) <= max_chars * 1.5:
                        chosen[unit.chunk].append(sibling)
                        seen.add(re.sub(r"\W", "", sibling.text))
                        used += len(sibling.text)
    # The guide (and the company's own documents) explain how; a clause summary backs it up, so it goes last.
    order = sorted(chosen, key=lambda c: (kinds.get(c) in SUMMARY_KINDS, c))
    clause_groups = [c for c in order if kinds.get(c) in SUMMARY_KINDS]
    order = [c for c in order if c not in clause_groups[1:]]
    return [sorted(chosen[c], key=lambda u: u.pos) for c in order]
