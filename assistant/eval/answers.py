"""Answer evaluation: citation hit, scope (wrong refusals, out-of-scope refusals) and shape (whole lists,
yes-no openers, debris, length), on any question set with `in_scope` and gold."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

from langchain_core.documents import Document

from assistant.eval.retrieval import is_gold
from assistant.eval.shape import debris, has_opener, whole_list
from assistant.service import Assistant
from assistant.understanding import ConceptModel, analyse


@dataclass
class AnswerScores:
    in_scope: int = 0
    cited_hits: int = 0
    gold_items: int = 0
    uncited: int = 0
    out_of_scope: int = 0
    refused_oos: int = 0
    false_refusals: int = 0
    gaps: int = 0
    gap_lines: int = 0
    lists: int = 0
    whole_lists: int = 0
    yes_no: int = 0
    openers: int = 0
    with_debris: int = 0
    lengths: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def citation_hit(self) -> float:
        return self.cited_hits / max(self.gold_items, 1)

    @property
    def wrong_refusal_rate(self) -> float:
        return self.false_refusals / max(self.in_scope, 1)

    @property
    def refusal_rate(self) -> float:
        return self.refused_oos / max(self.out_of_scope, 1)

    @property
    def median_chars(self) -> float:
        return statistics.median(self.lengths) if self.lengths else 0.0

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.times) if self.times else 0.0


def evaluate_answers(assistant: Assistant, questions: list[dict]) -> AnswerScores:
    s = AnswerScores()
    concepts = ConceptModel.load(assistant.settings.corpus_dir)
    for item in questions:
        start = time.perf_counter()
        answer = assistant.ask(item["question"])
        s.times.append((time.perf_counter() - start) * 1000)
        analysis = analyse(item["question"], model=concepts)  # index-free: the same for any version under test
        if not item.get("in_scope", True):
            s.out_of_scope += 1
            if answer.covered:
                s.failures.append(f"{item['id']} 未拒答")
            else:
                s.refused_oos += 1
            continue
        s.in_scope += 1
        if not answer.covered:
            s.false_refusals += 1
            s.failures.append(f"{item['id']} 误拒")
            continue
        s.lengths.append(len(answer.text))
        if item.get("gap"):
            s.gaps += 1
            s.gap_lines += "说明：" in answer.text
            if "说明：" not in answer.text:
                s.failures.append(f"{item['id']} 未说明知识库缺口")
        if not answer.citations:
            s.uncited += 1
        if item.get("gold") or item.get("gold_clause"):
            s.gold_items += 1
            docs = [
                Document(page_content=c.text, metadata={"kind": c.kind, "clauses": c.clause}) for c in answer.citations
            ]
            if any(is_gold(d, item) for d in docs):
                s.cited_hits += 1
            else:
                s.failures.append(f"{item['id']} 引用未命中")
        whole = whole_list(answer, analysis)
        if whole is not None:
            s.lists += 1
            s.whole_lists += whole
            if not whole:
                s.failures.append(f"{item['id']} 清单不全")
        opener = has_opener(answer, analysis)
        if opener is not None:
            s.yes_no += 1
            s.openers += opener
            if not opener:
                s.failures.append(f"{item['id']} 是非题无开头结论")
        found = debris(answer)
        if found:
            s.with_debris += 1
            s.failures.append(f"{item['id']} 杂质：{found[0]}")
    return s


def print_answer_table(rows: dict[str, AnswerScores]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="问答评测（无大模型，抽取式）")
    table.add_column("指标")
    for name in rows:
        table.add_column(name, justify="right")
    lines = [
        ("知识库内问题数", lambda s: str(s.in_scope)),
        ("引用命中率", lambda s: f"{s.citation_hit:.3f}"),
        ("无引用的回答", lambda s: str(s.uncited)),
        ("误拒率（知识库内）", lambda s: f"{s.wrong_refusal_rate:.3f} ({s.false_refusals})"),
        ("知识库外拒答率", lambda s: f"{s.refusal_rate:.3f} ({s.refused_oos}/{s.out_of_scope})"),
        ("触及缺口时说明缺口", lambda s: f"{s.gap_lines}/{s.gaps}"),
        ("清单题给全清单", lambda s: f"{s.whole_lists}/{s.lists}"),
        ("是非题有结论开头", lambda s: f"{s.openers}/{s.yes_no}"),
        ("含杂质的回答", lambda s: str(s.with_debris)),
        ("回答字数中位数", lambda s: f"{s.median_chars:.0f}"),
        ("回答 p50 ms", lambda s: f"{s.p50_ms:.1f}"),
    ]
    for label, fmt in lines:
        table.add_row(label, *[fmt(s) for s in rows.values()])
    console = Console()
    console.print(table)
    for name, s in rows.items():
        if s.failures:
            console.print(f"[dim]{name}：" + "；".join(s.failures) + "[/dim]")
