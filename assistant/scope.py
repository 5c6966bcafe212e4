"""Is a question covered by the knowledge base? Named out-of-scope topics first, then match strength."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from assistant.config import Settings
from assistant.retrieval import SearchSignals


@dataclass
class ScopeDecision:
    covered: bool
    reason: str = ""
    topic: str = ""


@lru_cache(maxsize=2)
def _topics(corpus_dir: Path) -> list[tuple[re.Pattern[str], str, str]]:
    path = corpus_dir / "lexicon" / "out_of_scope.yaml"
    rows = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else []
    return [(re.compile(r["pattern"], re.IGNORECASE), r["topic"], r["reason"]) for r in rows or []]


@lru_cache(maxsize=2)
def covered_topics(corpus_dir: Path) -> list[str]:
    path = corpus_dir / "guide" / "coverage.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    return list(data.get("covered_topics", []))


def decide(question: str, signals: SearchSignals, settings: Settings, has_user_docs: bool = False) -> ScopeDecision:
    for pattern, topic, reason in _topics(settings.corpus_dir):
        # A company's own uploaded documents may well cover e.g. its 电镀 outsourcing: then let the match decide.
        if pattern.search(question) and not (
            has_user_docs and signals.best_user_dense >= settings.coverage_min_similarity
        ):
            return ScopeDecision(False, reason, topic)
    if signals.named_clauses:
        return ScopeDecision(True)
    strong_dense = signals.best_dense >= settings.coverage_min_similarity
    strong_lexical = signals.best_bm25 >= settings.coverage_min_bm25
    if strong_dense or (strong_lexical and signals.best_dense >= settings.coverage_min_similarity - 0.03):
        return ScopeDecision(True)
    return ScopeDecision(False, "知识库中没有找到与这个问题足够相关的内容。")


def not_covered_text(decision: ScopeDecision, settings: Settings) -> str:
    topics = covered_topics(settings.corpus_dir)[:8]
    lines = [f"知识库未涵盖这个问题：{decision.reason}", "", "我不会凭空编造答案。知识库可以回答的内容包括："]
    lines += [f"- {t}" for t in topics]
    lines.append("")
    lines.append("如需这方面的资料，可以在“知识库”页上传贵公司的文件或正版标准后再提问。")
    return "\n".join(lines)
