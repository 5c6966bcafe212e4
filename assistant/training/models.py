"""Pydantic models of the training feature: questions with cited evidence, quizzes and graded results."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, computed_field, model_validator

QuestionType = Literal["single", "multiple", "true_false", "short"]
TRUE_FALSE_OPTIONS = ["正确", "错误"]
LETTERS = "ABCDEFGH"
TYPE_NAMES: dict[str, str] = {
    "single": "单选题",
    "multiple": "多选题",
    "true_false": "判断题",
    "short": "简答题",
}
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Text without whitespace and punctuation: the key for de-duplication and phrase matching."""
    return _NOISE.sub("", text).lower()


def stable_id(*parts: str) -> str:
    """The same question text always gets the same id, across runs and machines."""
    return hashlib.sha1("\x1f".join(normalise(p) for p in parts).encode("utf-8")).hexdigest()[:12]


class Citation(BaseModel):
    """Where the answer comes from: `text` is a passage copied verbatim from guide.md or clauses.yaml."""

    section: str
    clause: str = ""
    text: str
    source: str

    def label(self) -> str:
        where = self.section + (f"（ISO 9001:2015 {self.clause}）" if self.clause else "")
        return f"{where}：“{self.text}”"


class Support(BaseModel):
    """How `assistant.training.check` re-verifies the answer against the cited passage."""

    present: list[str] = Field(default_factory=list)  # phrases the passage must contain
    absent: list[str] = Field(default_factory=list)  # phrases it must not contain (a "not one of" answer)
    ordered: bool = False  # `present` occurs in this order (list-order questions)
    index: int | None = None  # the answer is present[index] (the n-th step)
    # The answer follows from clauses.yaml rather than from words in the passage:
    # clause_title | clause_number | clause_of_text | doc_info | principle_of_text | section_heading
    # scenario: a role situation whose actions rest on the cited clause sentence (its `present` basis phrases)
    derived: str = ""


# Memory items (clause number/title, "which section", 保持/保留): the opt-in topic 条款知识（内审员） only.
TRIVIA_DERIVED = {"clause_title", "clause_number", "clause_of_text", "doc_info", "section_heading"}


class Question(BaseModel):
    id: str = ""
    type: QuestionType
    topics: list[str] = Field(min_length=1)  # first = main topic
    roles: list[str] = Field(default_factory=list)
    question: str
    options: list[str] = Field(default_factory=list)
    # Objective: correct option letters. Short answer: the key points a good answer covers.
    answer: list[str] = Field(min_length=1)
    reference: str = ""  # short answer: the model answer
    explanation: str
    citation: Citation
    difficulty: int = Field(default=2, ge=1, le=3)
    support: Support = Field(default_factory=Support)
    origin: Literal["template", "curated", "llm"] = "template"
    scenario: str = ""  # id of the scenarios.yaml situation this item puts the trainee in; "" for knowledge items
    # Short answers: "statement" wants sentences that say what and why; "list" ("请列举…") accepts the bare items.
    answer_form: Literal["statement", "list"] = "statement"
    # Short answers: plausible but wrong answers (a scenario's wrong actions, a list's distractors). The grader
    # credits a key point only when the answer is closer to it than to any of these.
    contrast: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def topic(self) -> str:
        return self.topics[0]

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if not self.id:
            self.id = stable_id(self.question, *sorted(self.options))
        if self.type == "short":
            if self.options or not self.reference:
                raise ValueError("简答题不应有选项，且必须给出参考答案")
            return self
        if self.type == "true_false" and self.options != TRUE_FALSE_OPTIONS:
            raise ValueError("判断题的选项必须是“正确”“错误”")
        if len(self.options) < 2 or len(set(map(normalise, self.options))) != len(self.options):
            raise ValueError(f"选项不足或重复：{self.options}")
        valid = set(LETTERS[: len(self.options)])
        if not set(self.answer) <= valid or len(set(self.answer)) != len(self.answer):
            raise ValueError(f"答案 {self.answer} 不在选项范围内")
        if self.type != "multiple" and len(self.answer) != 1:
            raise ValueError("单选题和判断题只能有一个正确答案")
        return self

    @property
    def source_key(self) -> str:
        """What a quiz should not ask twice: the situation of a scenario item, else the cited passage."""
        return f"{self.scenario}/{','.join(self.roles)}" if self.scenario else self.citation.text

    @property
    def trivia(self) -> bool:
        """Recall of numbering, headings, step order or 保持/保留 rather than knowing what to do."""
        s = self.support
        return s.derived in TRIVIA_DERIVED or s.index is not None or s.ordered

    @property
    def objective(self) -> bool:
        return self.type != "short"

    @property
    def key_points(self) -> list[str]:
        return self.answer if self.type == "short" else []

    def option_text(self, letter: str) -> str:
        return self.options[LETTERS.index(letter)]

    def answer_text(self) -> str:
        """The correct answer in words, for feedback and exports."""
        if self.type == "short":
            return self.reference
        return "；".join(f"{letter}. {self.option_text(letter)}" for letter in self.answer)

    def public(self) -> dict:
        """The JSON shape of `qms quiz new --json`."""
        return {
            "id": self.id,
            "type": self.type,
            "topic": self.topic,
            "roles": self.roles,
            "scenario": self.scenario,
            "difficulty": self.difficulty,
            "question": self.question,
            "options": self.options,
            "answer": self.answer,
            "reference": self.reference,
            "explanation": self.explanation,
            "citation": self.citation.model_dump(),
        }


class Quiz(BaseModel):
    id: str
    topic: str | None = None
    role: str | None = None
    questions: list[Question]
    pass_mark: float = 80.0
    created_at: datetime = Field(default_factory=datetime.now)
    mode: Literal["quiz", "mock", "drill"] = "quiz"  # a practice quiz, a timed mock exam, or wrong-answer drill
    time_limit_min: int | None = None  # mock exams: answers submitted later than this still grade, marked late


class GradedAnswer(BaseModel):
    question_id: str
    given: list[str] | str  # letters for objective questions, the text for short answers
    correct: bool
    score: float = Field(ge=0.0, le=1.0)  # share of the question's credit
    covered: list[str] = Field(default_factory=list)  # short answers: key points found
    missing: list[str] = Field(default_factory=list)
    graded_by: Literal["exact", "key_points", "meaning", "llm"] = "exact"
    unsure: list[str] = Field(default_factory=list)  # short answers: key points the grader could not decide
    # "pending" (待复核): the verdict hangs on unsure points; a trainer accepts or rejects it (records.py).
    review: Literal["", "pending", "accepted", "rejected"] = ""
    feedback: str
    citation: Citation


class QuizResult(BaseModel):
    quiz_id: str
    answers: list[GradedAnswer]
    score: float  # 0–100
    passed: bool
    pass_mark: float

    @property
    def correct_count(self) -> int:
        return sum(a.correct for a in self.answers)

    @property
    def pending(self) -> int:
        """Answers waiting for a trainer (待复核): until then the result is not competence evidence."""
        return sum(a.review == "pending" for a in self.answers)


REVIEW_NAMES = {"": "自动评分", "pending": "待复核", "accepted": "复核通过", "rejected": "复核未通过"}
