"""Small constructors shared by the question generators: shuffle options reproducibly, letter the answer."""

from __future__ import annotations

import random

from assistant.training.models import LETTERS, TRUE_FALSE_OPTIONS, Citation, Question, Support, stable_id


def rng_for(*parts: str) -> random.Random:
    """A generator seeded by the question's own text: the bank is identical on every run."""
    return random.Random(stable_id(*parts))


def choice(
    stem: str,
    correct: list[str],
    wrong: list[str],
    *,
    topics: list[str],
    explanation: str,
    citation: Citation,
    support: Support,
    difficulty: int = 2,
    multiple: bool = False,
    origin: str = "template",
) -> Question:
    """A single- or multiple-choice question; options shuffled with a seed taken from the stem."""
    options = [*correct, *wrong]
    rng_for(stem, *options).shuffle(options)
    letters = sorted(LETTERS[options.index(c)] for c in correct)
    return Question(
        type="multiple" if multiple else "single",
        topics=topics,
        question=stem,
        options=options,
        answer=letters,
        explanation=explanation,
        citation=citation,
        support=support,
        difficulty=difficulty,
        origin=origin,  # type: ignore[arg-type]
    )


def judge(
    statement: str,
    true: bool,
    *,
    topics: list[str],
    explanation: str,
    citation: Citation,
    support: Support,
    difficulty: int = 1,
    origin: str = "template",
) -> Question:
    return Question(
        type="true_false",
        topics=topics,
        question=statement,
        options=list(TRUE_FALSE_OPTIONS),
        answer=["A" if true else "B"],
        explanation=explanation,
        citation=citation,
        support=support,
        difficulty=difficulty,
        origin=origin,  # type: ignore[arg-type]
    )


def short(
    stem: str,
    key_points: list[str],
    *,
    topics: list[str],
    explanation: str,
    citation: Citation,
    difficulty: int = 3,
    origin: str = "template",
) -> Question:
    """A short-answer question; its reference answer is the cited passage itself."""
    return Question(
        type="short",
        topics=topics,
        question=stem,
        answer=key_points,
        reference=citation.text,
        explanation=explanation,
        citation=citation,
        support=Support(present=list(key_points)),
        difficulty=difficulty,
        origin=origin,  # type: ignore[arg-type]
    )


def enumerate_cn(items: list[str]) -> str:
    return "、".join(f"“{i}”" for i in items)
