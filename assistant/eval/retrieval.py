"""Retrieval evaluation: hit@1/3/5, MRR@10, context characters in the top 5 and ms per query, for hybrid,
BM25-only and dense-only in the same run."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from langchain_core.documents import Document

from assistant.retrieval import Mode
from assistant.service import Assistant

DEFAULT_QUESTIONS = Path(__file__).resolve().parents[2] / "tests" / "eval" / "questions.yaml"


def load_questions(path: Path = DEFAULT_QUESTIONS) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def is_gold(doc: Document, item: dict) -> bool:
    """A chunk is gold if it contains a gold phrase, or is the clause summary of the gold clause."""
    text = doc.page_content
    if any(phrase in text for phrase in item.get("gold") or []):
        return True
    clause = str(item.get("gold_clause") or "")
    found = str(doc.metadata.get("clauses", ""))
    # Asking about 8.4 is answered by the summary of 8.4 or of one of its sub-clauses (8.4.1 …).
    return bool(clause) and doc.metadata.get("kind") == "clause" and (found == clause or found.startswith(clause + "."))


@dataclass
class RetrievalScores:
    mode: str
    n: int
    hit1: float
    hit3: float
    hit5: float
    mrr10: float
    context_chars: float
    p50_ms: float
    p95_ms: float
    misses: list[str]


def evaluate_retrieval(assistant: Assistant, questions: list[dict], mode: Mode = "hybrid") -> RetrievalScores:
    items = [q for q in questions if q.get("in_scope", True) and (q.get("gold") or q.get("gold_clause"))]
    hits = {1: 0, 3: 0, 5: 0}
    rr, chars, times, misses = 0.0, [], [], []
    assistant.retrieve("预热", k=1, mode=mode)  # first call loads jieba and warms the engine
    for item in items:
        start = time.perf_counter()
        docs = assistant.retrieve(item["question"], k=10, mode=mode)
        times.append((time.perf_counter() - start) * 1000)
        rank = next((i for i, d in enumerate(docs) if is_gold(d, item)), None)
        chars.append(sum(len(d.page_content) for d in docs[:5]))
        if rank is None:
            misses.append(item["id"])
            continue
        rr += 1.0 / (rank + 1)
        for k in hits:
            hits[k] += rank < k
    n = len(items)
    times.sort()
    return RetrievalScores(
        mode,
        n,
        hits[1] / n,
        hits[3] / n,
        hits[5] / n,
        rr / n,
        statistics.mean(chars),
        statistics.median(times),
        times[min(n - 1, int(0.95 * n))],
        misses,
    )


def print_retrieval_table(rows: list[RetrievalScores], title: str = "") -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"检索评测{title}（{rows[0].n} 个知识库内问题）")
    for col in ("模式", "hit@1", "hit@3", "hit@5", "MRR@10", "前5上下文字数", "p50 ms", "p95 ms"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            r.mode,
            f"{r.hit1:.3f}",
            f"{r.hit3:.3f}",
            f"{r.hit5:.3f}",
            f"{r.mrr10:.3f}",
            f"{r.context_chars:.0f}",
            f"{r.p50_ms:.1f}",
            f"{r.p95_ms:.1f}",
        )
    console = Console()
    console.print(table)
    for r in rows:
        if r.misses:
            console.print(f"[dim]{r.mode} 前10未命中：{', '.join(r.misses)}[/dim]")
