"""Scoring one answer: objective questions exactly, short answers by meaning (and the LLM if one is set).

Short answers go through `meaning.MeaningGrader`: each key point is matched by words, by synonyms from the
concept model and by sentence similarity with the bundled embedder. A bare keyword list makes no statement and
does not pass; a verdict that hangs on points the grader is unsure of is marked 待复核 (review="pending") and
counts as competence evidence only after a trainer accepts it. The CLI (`qms quiz grade`), the web tab and
Python all grade through `quiz.grade` → `score_answer`, so a script scores exactly what the UI scores.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field

from assistant.config import Settings, load_settings
from assistant.errors import LLMUnavailableError
from assistant.prompts import load_prompt
from assistant.training.meaning import MeaningGrader
from assistant.training.models import GradedAnswer, Question

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


def key_point_coverage(answer: str, key_points: list[str], grader: MeaningGrader | None = None) -> tuple[list, list]:
    """(covered, missing) key points of a free-text answer; unsure points count as missing here."""
    grader = grader or default_grader()
    result = grader.grade("", "", key_points, answer, listing=True)
    return result.of("covered"), [p.point for p in result.points if p.verdict != "covered"]


@lru_cache(maxsize=4)
def _grader(corpus_dir: Path, backend: str, model: str | None) -> MeaningGrader:
    from assistant.embedding_cache import ShippedVectors, vector_key
    from assistant.embeddings import embedding_model_id, get_embeddings
    from assistant.training.vectors import vectors_path

    # No disk cache: trainees' answers are not kept outside the training records.
    settings = load_settings().model_copy(
        update={"corpus_dir": corpus_dir, "embedding_backend": backend, "embedding_model": model, "embedding_cache": ""}
    )
    shipped, model_id = ShippedVectors(vectors_path(settings)), embedding_model_id(settings)
    return MeaningGrader(
        corpus_dir,
        get_embeddings(settings),
        background_contrast(corpus_dir),
        known=lambda text: shipped.get(vector_key(model_id, text)),
    )


def background_contrast(corpus_dir: Path) -> dict[str, list[str]]:
    """Every wrong answer the bank knows, by answer form: what a key point must beat besides its own contrast."""
    from assistant.training.bank import default_bank

    out: dict[str, list[str]] = {"statement": [], "list": []}
    for q in default_bank(corpus_dir).questions:
        if q.type == "short":
            out[q.answer_form] += q.contrast
    return out


def default_grader(settings: Settings | None = None) -> MeaningGrader:
    """The meaning grader of the settings' corpus, with the configured (bundled by default) embedder."""
    settings = settings or load_settings()
    return _grader(Path(settings.corpus_dir).resolve(), settings.embedding_backend, settings.embedding_model)


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
    question: Question,
    raw: str | Sequence[str] | None,
    *,
    settings: Settings | None = None,
    model=None,
    grader: MeaningGrader | None = None,
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
    grader = grader or default_grader(settings)
    meaning = grader.grade(
        question.question,
        question.reference,
        question.key_points,
        text,
        listing=question.answer_form == "list",
        contrast=question.contrast,
    )
    covered, unsure = meaning.of("covered"), meaning.of("unsure")
    graded_by, remark = "meaning", ""
    missing = [p for p in question.key_points if p not in covered]
    if model is not None and settings is not None and text.strip() and missing:
        grade = llm_grade(question, text, settings, model)
        if grade is not None:
            extra = {question.key_points[i - 1] for i in grade.covered}
            covered = [p for p in question.key_points if p in covered or p in extra]
            unsure = [p for p in unsure if p not in covered]
            graded_by, remark = "llm", grade.feedback.strip()
    missing = [p for p in question.key_points if p not in covered and p not in unsure]
    total = len(question.key_points)
    share = len(covered) / total
    # Review only what could pass: at least one point surely there and enough of the rest maybe there.
    hopeful = bool(covered) and (len(covered) + len(unsure)) / total >= PASS_SHARE
    review = ""
    if question.answer_form == "statement" and meaning.keyword_list and text.strip():
        share, correct = 0.0, False
        remark = "只列出了关键词，没有用完整的话说明怎么做、为什么，不能得分。请用自己的话写出做法和理由。"
    elif share >= PASS_SHARE and not (question.answer_form == "list" and meaning.noise):
        correct = True
    else:
        correct = False
        # Unsure points could carry it, or a list answer mixes in unrelated words: a trainer decides.
        if hopeful and text.strip():
            review = "pending"
            remark = "部分要点无法自动判定，已标记为待复核，培训负责人确认后计入能力证据。"
    summary = f"答到要点 {len(covered)}/{total}"
    if unsure:
        summary += f"；待确认：{'、'.join(unsure)}"
    summary += f"；遗漏：{'、'.join(missing)}。" if missing else "。"
    return GradedAnswer(
        question_id=question.id,
        given=text,
        correct=correct,
        score=round(share, 4),
        covered=covered,
        missing=missing,
        unsure=unsure,
        graded_by=graded_by,  # type: ignore[arg-type]
        review=review,  # type: ignore[arg-type]
        feedback=f"{summary}{remark and ' ' + remark}\n参考答案：{question.reference}\n{source}",
        citation=question.citation,
    )
