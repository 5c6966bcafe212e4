"""`Trainer`: the one object the CLI, the web app and Python users share for staff training.

Quizzes come from the template bank (no index, no embedding); with an LLM configured, validated LLM
questions join the pool and short answers are also judged by the model. Free questions in training mode go
to `Assistant.ask`, which is the only part that opens the index.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import Settings, load_settings
from assistant.training import quiz as quizzes
from assistant.training.bank import QuestionBank, default_bank
from assistant.training.check import CheckReport, check_questions
from assistant.training.export import export_csv, export_xlsx
from assistant.training.models import Question, Quiz, QuizResult
from assistant.training.records import AttemptRecord, Employee, TrainingRecords

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
        self.bank.catalogue.check_topic(topic)
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

    def grade(self, quiz: Quiz, answers: quizzes.Answers) -> QuizResult:
        return quizzes.grade(quiz, answers, settings=self.settings)

    # ---- records -------------------------------------------------------------------------------------
    @cached_property
    def store(self) -> TrainingRecords:
        return TrainingRecords(self.settings.training_db)

    def record(self, employee: str, role: str, department: str, quiz: Quiz, result: QuizResult) -> AttemptRecord:
        return self.store.save(employee, role, department, quiz, result)

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
