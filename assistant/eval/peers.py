"""The peer benchmark: 104 ISO 9001 questions written outside this project (../shared/benchmarks/iso9001-peers).

Measured, never learned from: its items must not be copied into the corpus, lexicon, quiz bank or tuning sets.
Clause matching follows its SOURCES.md: equal, a descendant of the gold, or the gold's immediate parent when that
parent is not a bare chapter; siblings never match.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import REPO_ROOT
from assistant.service import Assistant

PEERS = REPO_ROOT.parent / "shared" / "benchmarks" / "iso9001-peers" / "questions.jsonl"
_CLAUSE = re.compile(r"(?<![\d.])(?:[4-9]|10)(?:\.\d{1,2}){1,3}(?![\d.])")


def load_peers(path: Path = PEERS) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def fits(found: str, gold: str) -> bool:
    if found == gold or found.startswith(gold + "."):
        return True
    parent = gold.rsplit(".", 1)[0] if "." in gold else ""
    return bool(parent) and "." in parent and found == parent


def any_fit(found: set[str], gold: list[str]) -> bool:
    return any(fits(f, g) for f in found for g in gold)


def answer_clauses(answer) -> set[str]:
    """The clauses an answer names: its citations' clauses and the clause numbers in its text."""
    out = {c.clause for c in answer.citations if c.clause}
    return out | set(_CLAUSE.findall(answer.text))


@dataclass
class PeerScores:
    n: int = 0
    hit5: int = 0
    cites: int = 0
    covered: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))
    misses: list[str] = field(default_factory=list)


def evaluate_peers(assistant: Assistant, items: list[dict]) -> PeerScores:
    s = PeerScores()
    for item in items:
        gold = [str(c) for c in item["clauses"]]
        docs = assistant.retrieve(item["question"], k=5)
        retrieved = {c for d in docs for c in str(d.metadata.get("clauses", "")).split(",") if c}
        answer = assistant.ask(item["question"])
        hit, cite, cov = any_fit(retrieved, gold), any_fit(answer_clauses(answer), gold), answer.covered
        s.n += 1
        s.hit5 += hit
        s.cites += cite
        s.covered += cov
        row = s.by_kind[item.get("kind", "?")]
        row[0] += 1
        row[1] += hit
        row[2] += cite
        row[3] += cov
        if not cite:
            s.misses.append(f"{item['id']}({','.join(gold)})")
    return s


def print_peer_table(s: PeerScores, title: str = "") -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title or f"同行基准（{s.n} 题，外部编写，仅评测）")
    for col in ("题型", "题数", "条款 hit@5", "回答引用了对应条款", "给出回答（未拒答）"):
        table.add_column(col, justify="right")
    rows = [("全部", [s.n, s.hit5, s.cites, s.covered])] + sorted(s.by_kind.items())
    for kind, (n, hit, cite, cov) in rows:
        table.add_row(kind, str(n), f"{hit / max(n, 1):.3f}", f"{cite / max(n, 1):.3f}", f"{cov / max(n, 1):.3f}")
    console = Console()
    console.print(table)
    if s.misses:
        console.print("[dim]未引用对应条款：" + " ".join(s.misses) + "[/dim]")
