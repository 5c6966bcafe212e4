"""Retrieval and answering evaluation: `python -m assistant.eval` (or `qms eval`).

Retrieval: hit@1/3/5, MRR@10, context characters in the top 5 and ms per query, for hybrid, BM25-only and
dense-only in the same run. Answering: citation hit rate, answers without citation, out-of-scope refusals.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from langchain_core.documents import Document

from assistant.retrieval import Mode
from assistant.service import Assistant

DEFAULT_QUESTIONS = Path(__file__).resolve().parents[1] / "tests" / "eval" / "questions.yaml"


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
    items = [q for q in questions if q.get("in_scope", True)]
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


@dataclass
class AnswerScores:
    in_scope: int
    citation_hit: float
    uncited: int
    out_of_scope: int
    refusal_rate: float
    false_refusals: int
    p50_ms: float
    failures: list[str]


def evaluate_answers(assistant: Assistant, questions: list[dict]) -> AnswerScores:
    cited_hits, uncited, refused_oos, false_refusals, n_in, n_out = 0, 0, 0, 0, 0, 0
    failures, times = [], []
    for item in questions:
        start = time.perf_counter()
        answer = assistant.ask(item["question"])
        times.append((time.perf_counter() - start) * 1000)
        if item.get("in_scope", True):
            n_in += 1
            if not answer.covered:
                false_refusals += 1
                failures.append(f"{item['id']} 误拒")
                continue
            if not answer.citations:
                uncited += 1
            docs = [
                Document(page_content=c.text, metadata={"kind": c.kind, "clauses": c.clause}) for c in answer.citations
            ]
            if any(is_gold(d, item) for d in docs):
                cited_hits += 1
            else:
                failures.append(f"{item['id']} 引用未命中")
        else:
            n_out += 1
            if not answer.covered:
                refused_oos += 1
            else:
                failures.append(f"{item['id']} 未拒答")
    return AnswerScores(
        n_in,
        cited_hits / max(n_in, 1),
        uncited,
        n_out,
        refused_oos / max(n_out, 1),
        false_refusals,
        statistics.median(times) if times else 0.0,
        failures,
    )


def print_retrieval_table(rows: list[RetrievalScores]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"检索评测（{rows[0].n} 个知识库内问题）")
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


def print_answer_table(s: AnswerScores) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="问答评测")
    table.add_column("指标")
    table.add_column("值", justify="right")
    table.add_row("引用命中率（知识库内）", f"{s.citation_hit:.3f}  ({s.in_scope} 题)")
    table.add_row("无引用的回答", str(s.uncited))
    table.add_row("误拒（知识库内被判为未覆盖）", str(s.false_refusals))
    table.add_row("知识库外拒答率", f"{s.refusal_rate:.3f}  ({s.out_of_scope} 题)")
    table.add_row("回答 p50 ms", f"{s.p50_ms:.1f}")
    console = Console()
    console.print(table)
    if s.failures:
        console.print("[dim]" + "；".join(s.failures) + "[/dim]")


def run(questions_path: Path = DEFAULT_QUESTIONS, answers: bool = True, assistant: Assistant | None = None) -> None:
    assistant = assistant or Assistant.from_settings()
    questions = load_questions(questions_path)
    rows = [evaluate_retrieval(assistant, questions, mode) for mode in ("hybrid", "bm25", "dense")]
    print_retrieval_table(rows)
    if answers:
        print_answer_table(evaluate_answers(assistant, questions))


if __name__ == "__main__":
    import sys

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    run(Path(args[0]) if args else DEFAULT_QUESTIONS, answers="--no-answers" not in sys.argv)
