"""Scoring one answer: objective questions exactly, short answers by key-point coverage (and the LLM if set).

A key point counts as covered when its text occurs in the answer (ignoring punctuation and spaces) or when at
least 60 % of its words (jieba tokens, QMS vocabulary loaded) occur there — so "先成立内审小组，再编计划"
covers "成立内审小组" and, partly, "编制内审计划". With an LLM configured it may add key points the answer
states in other words; key points found literally always count, and any LLM failure falls back silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.errors import LLMUnavailableError
from assistant.prompts import load_prompt
from assistant.training.models import GradedAnswer, Question, normalise

TOKEN_SHARE = 0.6
PASS_SHARE = 0.6  # a short answer covering this share of its key points counts as correct
_TRUE = {"正确", "对", "是", "√", "✓", "T", "TRUE", "Y", "YES"}
_FALSE = {"错误", "错", "否", "×", "✗", "F", "FALSE", "N", "NO"}


def parse_choice(question: Question, raw: str | Sequence[str] | None) -> list[str]:
    """Letters from "A", "a,c", "AC", ["A", "C"]; 正确/错误 (对/错, T/F, √/×) for true/false questions."""
    if raw is None:
        return []
    text = raw if isinstance(raw, str) else ",".join(str(r) for r in raw)
    token = text.strip().upper()
    if question.type == "true_false":
        if token in _TRUE:
            return ["A"]
        if token in _FALSE:
            return ["B"]
    letters = re.findall(r"[A-H]", token)
    return sorted(set(letters))


def _tokens(text: str) -> list[str]:
    from ingest.tokenize import tokenize

    return [t for t in dict.fromkeys(tokenize(text)) if len(t) > 1 or len(text) <= 2]


def key_point_coverage(answer: str, key_points: list[str]) -> tuple[list[str], list[str]]:
    """(covered, missing) key points of a free-text answer."""
    said = normalise(answer)
    covered, missing = [], []
    for point in key_points:
        hit = bool(said) and normalise(point) in said
        if not hit and said:
            tokens = _tokens(point)
            hit = bool(tokens) and sum(normalise(t) in said for t in tokens) / len(tokens) >= TOKEN_SHARE
        (covered if hit else missing).append(point)
    return covered, missing


class LLMGrade(BaseModel):
    covered: list[int] = Field(default_factory=list)  # 1-based numbers of the key points the answer covers
    feedback: str = ""


def llm_grade(question: Question, answer: str, settings: Settings, model) -> LLMGrade | None:
    """The model's view of which key points the answer covers; None when it cannot say."""
    from assistant.llm import structured

    points = "\n".join(f"{i}. {p}" for i, p in enumerate(question.key_points, 1))
    prompt = load_prompt(settings, "training/grade_short_answer").format(
        question=question.question,
        reference=question.reference,
        key_points=points,
        answer=answer,
    )
    try:
        grade = structured(model, LLMGrade, [HumanMessage(prompt)], settings)
    except (LLMUnavailableError, ValueError):
        return None
    grade.covered = [i for i in dict.fromkeys(grade.covered) if 1 <= i <= len(question.key_points)]
    return grade


def score_answer(
    question: Question, raw: str | Sequence[str] | None, *, settings: Settings | None = None, model=None
) -> GradedAnswer:
    source = f"依据：{question.citation.label()}"
    if question.objective:
        given = parse_choice(question, raw)
        correct = given == sorted(question.answer)  # multiple choice: all or nothing
        verdict = "回答正确。" if correct else f"回答错误（你的答案：{''.join(given) or '未作答'}）。"
        return GradedAnswer(
            question_id=question.id,
            given=given,
            correct=correct,
            score=1.0 if correct else 0.0,
            feedback=f"{verdict}正确答案：{question.answer_text()}。{question.explanation}\n{source}",
            citation=question.citation,
        )
    text = raw if isinstance(raw, str) else "，".join(raw or [])
    covered, missing = key_point_coverage(text, question.key_points)
    graded_by, remark = "key_points", ""
    if model is not None and settings is not None and text.strip() and missing:
        grade = llm_grade(question, text, settings, model)
        if grade is not None:
            extra = {question.key_points[i - 1] for i in grade.covered}
            covered = [p for p in question.key_points if p in covered or p in extra]
            missing = [p for p in question.key_points if p not in covered]
            graded_by, remark = "llm", grade.feedback.strip()
    share = len(covered) / len(question.key_points)
    summary = f"答到要点 {len(covered)}/{len(question.key_points)}"
    summary += f"；遗漏：{'、'.join(missing)}。" if missing else "，要点齐全。"
    return GradedAnswer(
        question_id=question.id,
        given=text,
        correct=share >= PASS_SHARE,
        score=round(share, 4),
        covered=covered,
        missing=missing,
        graded_by=graded_by,  # type: ignore[arg-type]
        feedback=f"{summary}{remark and ' ' + remark}\n参考答案：{question.reference}\n{source}",
        citation=question.citation,
    )
