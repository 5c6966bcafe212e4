"""`Trainer`: the one object the CLI, the web app and Python users share for staff training.

Quizzes come from the template bank (no index, no embedding); with an LLM configured, validated LLM
questions join the pool and short answers are also judged by the model. Free questions in training mode go
to `Assistant.ask`, which is the only part that opens the index.
"""

from __future__ import annotations

import random
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4

from assistant.config import Settings, load_settings
from assistant.errors import InputError
from assistant.training import quiz as quizzes
from assistant.training.bank import QuestionBank, default_bank
from assistant.training.check import CheckReport, check_questions
from assistant.training.export import export_csv, export_xlsx
from assistant.training.models import Question, Quiz, QuizResult, stable_id
from assistant.training.practice import (
    ItemStats,
    MatrixCell,
    PendingAnswer,
    TopicProgress,
    competence_matrix,
    item_stats,
    pending_answers,
    progress,
)
from assistant.training.records import AttemptRecord, Employee, TrainingRecords
from assistant.training.wrong_book import WrongEntry

if TYPE_CHECKING:
    from assistant.answering import Answer
    from assistant.service import Assistant


class Trainer:
    def __init__(self, settings: Settings | None = None, assistant: Assistant | None = None) -> None:
        self.settings = settings or load_settings()
        self.assistant = assistant
        self._llm_questions: dict[str, list[Question]] = {}

    # ---- questions and quizzes -----------------------------------------------------------------------
    @cached_property
    def bank(self) -> QuestionBank:
        return default_bank(Path(self.settings.corpus_dir))

    @cached_property
    def model(self):
        """The configured chat model, or None (template questions and key-point grading only)."""
        from assistant.llm import get_chat_model

        return get_chat_model(self.settings)

    def topics(self) -> list[str]:
        return list(self.bank.stats())

    def roles(self) -> list[str]:
        return [r.name for r in self.bank.catalogue.roles]

    def bank_stats(self) -> dict[str, int]:
        """Questions per topic (a question counts under each of its topics)."""
        return self.bank.stats()

    def check(self) -> CheckReport:
        """Re-verify every question's answer against its cited passage."""
        return check_questions(self.bank.questions, self.bank.knowledge)

    def llm_questions(self, topic: str, count: int = 5) -> list[Question]:
        """Validated LLM questions for a topic, made once per topic and process; [] without an LLM."""
        topic = self.bank.catalogue.check_topic(topic) or topic  # 内审 → 内部审核
        if self.model is None:
            return []
        if topic not in self._llm_questions:
            from assistant.training.llm_questions import generate

            made = generate(
                self.settings,
                self.model,
                self.bank.knowledge,
                self.bank.catalogue,
                topic,
                count=count,
                assistant=self.assistant,
            )
            self._llm_questions[topic] = [q for q in made if q.id not in {b.id for b in self.bank.questions}]
        return self._llm_questions[topic]

    def new_quiz(
        self,
        topic: str | None = None,
        role: str | None = None,
        n: int = 10,
        seed: int | None = None,
        *,
        pass_mark: float = 80.0,
        use_llm: bool | None = None,
    ) -> Quiz:
        """A quiz; `use_llm=None` adds LLM questions when a model is configured, False never does."""
        extra = self.llm_questions(topic) if topic and use_llm is not False else []
        return quizzes.new_quiz(topic, role, n, seed, bank=self.bank, pass_mark=pass_mark, extra=extra)

    def mock_exam(
        self,
        topic: str | None = None,
        role: str | None = None,
        n: int = 20,
        minutes: int = 30,
        pass_mark: float = 80.0,
        seed: int | None = None,
    ) -> Quiz:
        """A timed mock exam: a fixed question count, time limit and pass mark; reviewed question by question."""
        return quizzes.new_quiz(
            topic, role, n, seed, bank=self.bank, pass_mark=pass_mark, time_limit_min=minutes, mode="mock"
        )

    def drill_quiz(self, name: str, n: int = 10, seed: int | None = None) -> Quiz:
        """A quiz of the trainee's open wrong-answer book; each question leaves it after two right answers in a row."""
        entries = self.store.wrong_book(name.strip())
        if not entries:
            raise InputError(f"{name.strip() or '该员工'}的错题本是空的：没有需要重练的题目。")
        rng = random.Random(seed)
        picked = entries[: max(n, 1) * 2]
        rng.shuffle(picked)
        questions = [Question.model_validate(e.question) for e in picked[:n]]
        quiz_id = (
            stable_id("drill", name, str(seed), *(q.id for q in questions)) if seed is not None else uuid4().hex[:12]
        )
        return Quiz(id=quiz_id, topic=None, questions=questions, mode="drill")

    def grade(self, quiz: Quiz, answers: quizzes.Answers) -> QuizResult:
        """The one grading path of the CLI (`qms quiz take/grade`), the web tab and Python."""
        return quizzes.grade(quiz, answers, settings=self.settings)

    def quiz_from_json(self, data: object) -> Quiz:
        """A quiz written by `qms quiz new --json` (a list of items, or {"questions": [...]}) for `qms quiz grade`.

        Items still in the bank are taken from it, so grading uses exactly what the UI would (key points,
        contrasts, answer form); others are rebuilt from the JSON.
        """
        items = data.get("questions") if isinstance(data, dict) else data
        if not isinstance(items, list) or not items:
            raise InputError("测验文件应为 `qms quiz new --json` 输出的题目列表。")
        questions = []
        for raw in items:
            if not isinstance(raw, dict):
                raise InputError("测验文件中的每道题应为一个 JSON 对象。")
            known = self.bank.get(str(raw.get("id", "")))
            if known is not None:
                questions.append(known)
                continue
            try:
                fields = {k: v for k, v in raw.items() if k in Question.model_fields}
                questions.append(Question.model_validate({"topics": [raw.get("topic") or "综合"], **fields}))
            except ValueError as exc:
                raise InputError(f"测验文件中的题目无法读取（{raw.get('id', '无编号')}）：{exc}") from exc
        quiz_id = stable_id("file", *(q.id for q in questions))
        pass_mark = float(data.get("pass_mark", 80.0)) if isinstance(data, dict) else 80.0
        return Quiz(id=quiz_id, questions=questions, pass_mark=pass_mark)

    # ---- records -------------------------------------------------------------------------------------
    @cached_property
    def store(self) -> TrainingRecords:
        return TrainingRecords(self.settings.training_db)

    def record(
        self,
        employee: str,
        role: str,
        department: str,
        quiz: Quiz,
        result: QuizResult,
        *,
        duration_s: float | None = None,
    ) -> AttemptRecord:
        return self.store.save(employee, role, department, quiz, result, duration_s=duration_s)

    def pending_reviews(self) -> list[PendingAnswer]:
        return pending_answers(self.store.attempts())

    def review(self, attempt_id: int, question_id: str, accept: bool, reviewer: str) -> AttemptRecord:
        """A trainer confirms (or rejects) a 待复核 short answer; confirmed attempts count as 7.2 evidence."""
        return self.store.review(attempt_id, question_id, accept, reviewer)

    def wrong_book(self, name: str) -> list[WrongEntry]:
        return self.store.wrong_book(name.strip())

    def progress(self, name: str | None = None) -> list[TopicProgress]:
        return progress(self.records(name))

    def item_stats(self, topic: str | None = None) -> list[ItemStats]:
        return item_stats(self.records(topic=topic))

    def matrix(self) -> list[MatrixCell]:
        return competence_matrix(self.records())

    def records(self, name: str | None = None, topic: str | None = None) -> list[AttemptRecord]:
        return self.store.attempts(name=name, topic=topic)

    def employees(self) -> list[Employee]:
        return self.store.employees()

    def export_csv(self, path: Path, name: str | None = None, topic: str | None = None) -> Path:
        return export_csv(self.records(name, topic), Path(path))

    def export_xlsx(self, path: Path, name: str | None = None, topic: str | None = None) -> Path:
        return export_xlsx(self.records(name, topic), Path(path))

    # ---- free questions ------------------------------------------------------------------------------
    def ask(self, question: str, history: list | None = None) -> Answer:
        """A cited answer from the knowledge base (opens or builds the index on first use)."""
        if self.assistant is None:
            from assistant.service import Assistant

            self.assistant = Assistant.from_settings(self.settings, progress=False)
        return self.assistant.ask(question, history or [])
