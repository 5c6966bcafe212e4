"""Training records in SQLite (settings.training_db): employees, quiz attempts and the wrong-answer book.

The schema and its migrations are in schema.py; opening a database upgrades it. Each attempt stores the
answers and a snapshot of the questions as JSON, so a record still shows what was asked after the bank
changes — the documented evidence of competence ISO 9001 7.2 asks organisations to retain. An attempt with a
short answer the grader could not decide stays 待复核 (review_status "pending") until a trainer reviews it, and
only then counts as evidence.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from assistant.errors import InputError
from assistant.training.models import Quiz, QuizResult
from assistant.training.schema import SCHEMA_VERSION, migrate, schema_version
from assistant.training.wrong_book import WrongEntry, read_wrong_book, record_answer

__all__ = ["SCHEMA_VERSION", "AttemptRecord", "Employee", "TrainingRecords", "migrate", "schema_version"]


class Employee(BaseModel):
    id: int
    name: str
    role: str
    department: str


class AttemptRecord(BaseModel):
    id: int
    employee: str
    role: str
    department: str
    quiz_id: str
    topic: str | None
    taken_at: str
    score: float
    passed: bool
    pass_mark: float
    question_count: int
    correct_count: int
    # As stored: plain JSON, so records written by older releases still load after the models change.
    answers: list[dict]
    questions: list[dict]
    mode: str = "quiz"
    time_limit_min: int | None = None
    duration_s: float | None = None
    review_status: str = ""  # "" graded automatically, "pending" 待复核, "confirmed" after a trainer's review
    reviewed_by: str = ""
    reviewed_at: str = ""

    @property
    def evidence(self) -> bool:
        """Counts as ISO 9001 7.2 competence evidence: nothing is waiting for a trainer."""
        return self.review_status != "pending"

    @property
    def late(self) -> bool:
        return bool(self.time_limit_min and self.duration_s and self.duration_s > 60 * self.time_limit_min)


_ATTEMPT_SQL = """
    SELECT a.id, e.name, a.role, e.department, a.quiz_id, a.topic, a.taken_at, a.score, a.passed, a.pass_mark,
           a.question_count, a.correct_count, a.answers_json, a.questions_json, a.mode, a.time_limit_min,
           a.duration_s, a.review_status, a.reviewed_by, a.reviewed_at
    FROM attempts a JOIN employees e ON e.id = a.employee_id
"""


class TrainingRecords:
    """Employees and quiz attempts in one SQLite file; every call opens and closes its own connection."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect():
            pass  # create or upgrade the schema now, not on the first write

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as conn:
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn)
            yield conn

    def upsert_employee(self, name: str, role: str = "", department: str = "") -> Employee:
        name, role, department = name.strip(), role.strip(), department.strip()
        if not name:
            raise InputError("请填写员工姓名。")
        with self._connect() as conn, conn:
            conn.execute(
                "INSERT INTO employees (name, role, department, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name, department) DO UPDATE SET role = excluded.role WHERE excluded.role != ''",
                (name, role, department, _now()),
            )
            row = conn.execute(
                "SELECT id, name, role, department FROM employees WHERE name = ? AND department = ?",
                (name, department),
            ).fetchone()
        return Employee(id=row[0], name=row[1], role=row[2], department=row[3])

    def save(
        self,
        name: str,
        role: str,
        department: str,
        quiz: Quiz,
        result: QuizResult,
        *,
        duration_s: float | None = None,
    ) -> AttemptRecord:
        """Store one graded attempt with the quiz's questions and update the wrong-answer book."""
        if result.quiz_id != quiz.id:
            raise InputError("成绩与测验不对应，无法保存。")
        employee = self.upsert_employee(name, role, department)
        answers = json.dumps([a.model_dump(mode="json") for a in result.answers], ensure_ascii=False)
        questions = json.dumps([q.model_dump(mode="json") for q in quiz.questions], ensure_ascii=False)
        now = _now()
        with self._connect() as conn, conn:
            cursor = conn.execute(
                "INSERT INTO attempts (employee_id, quiz_id, topic, taken_at, score, passed, answers_json, "
                "role, pass_mark, questions_json, question_count, correct_count, mode, time_limit_min, duration_s, "
                "review_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    employee.id,
                    quiz.id,
                    quiz.topic,
                    now,
                    result.score,
                    int(result.passed),
                    answers,
                    role.strip() or employee.role,
                    result.pass_mark,
                    questions,
                    len(quiz.questions),
                    result.correct_count,
                    quiz.mode,
                    quiz.time_limit_min,
                    duration_s,
                    "pending" if result.pending else "",
                ),
            )
            attempt_id = cursor.lastrowid
            for question, graded in zip(quiz.questions, result.answers, strict=True):
                if graded.review != "pending":
                    record_answer(conn, employee.id, question.model_dump(mode="json"), graded.correct, now)
        return self.attempts(attempt_id=attempt_id)[0]

    def review(self, attempt_id: int, question_id: str, accept: bool, reviewer: str) -> AttemptRecord:
        """A trainer's verdict on one 待复核 answer; the attempt is re-scored and, with none left, confirmed."""
        found = self.attempts(attempt_id=attempt_id)
        if not found:
            raise InputError(f"没有第 {attempt_id} 条培训记录。")
        record = found[0]
        answers = [dict(a) for a in record.answers]
        target = next((a for a in answers if a.get("question_id") == question_id), None)
        if target is None or target.get("review") != "pending":
            raise InputError("这道题不在待复核状态，无需确认。")
        if not reviewer.strip():
            raise InputError("请填写复核人姓名，复核记录要能追溯到人。")
        points = len(target.get("covered", [])) + len(target.get("unsure", [])) + len(target.get("missing", []))
        if accept:
            credit = (len(target.get("covered", [])) + len(target.get("unsure", []))) / max(points, 1)
            target.update(review="accepted", correct=True, score=round(credit, 4))
        else:
            target.update(review="rejected", correct=False)
        target["feedback"] = (
            f"{target.get('feedback', '')}\n复核：{reviewer.strip()}{'确认通过' if accept else '判定未通过'}。"
        )
        score = round(100 * sum(float(a.get("score", 0)) for a in answers) / max(len(answers), 1), 1)
        status = "pending" if any(a.get("review") == "pending" for a in answers) else "confirmed"
        with self._connect() as conn, conn:
            conn.execute(
                "UPDATE attempts SET answers_json = ?, score = ?, passed = ?, correct_count = ?, review_status = ?, "
                "reviewed_by = ?, reviewed_at = ? WHERE id = ?",
                (
                    json.dumps(answers, ensure_ascii=False),
                    score,
                    int(score >= record.pass_mark),
                    sum(bool(a.get("correct")) for a in answers),
                    status,
                    reviewer.strip(),
                    _now(),
                    attempt_id,
                ),
            )
            question = next((q for q in record.questions if q.get("id") == question_id), None)
            employee_id = conn.execute("SELECT employee_id FROM attempts WHERE id = ?", (attempt_id,)).fetchone()[0]
            if question is not None:
                record_answer(conn, employee_id, question, accept, _now())
        return self.attempts(attempt_id=attempt_id)[0]

    def wrong_book(self, name: str | None = None, *, open_only: bool = True) -> list[WrongEntry]:
        """Questions answered wrong (per employee), most-missed first; cleared ones too unless `open_only`."""
        with self._connect() as conn:
            return read_wrong_book(conn, name, open_only=open_only)

    def attempts(
        self, name: str | None = None, topic: str | None = None, *, attempt_id: int | None = None
    ) -> list[AttemptRecord]:
        """Attempts, oldest first, optionally of one employee and/or topic."""
        where, args = [], []
        for column, value in (("e.name", name), ("a.topic", topic), ("a.id", attempt_id)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = _ATTEMPT_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY a.taken_at, a.id"
        with self._connect() as conn:
            rows = conn.execute(sql, args).fetchall()
        return [_record(row) for row in rows]

    def employees(self) -> list[Employee]:
        with self._connect() as conn:
            rows = conn.execute("SELECT id, name, role, department FROM employees ORDER BY department, name").fetchall()
        return [Employee(id=r[0], name=r[1], role=r[2], department=r[3]) for r in rows]


def _record(row: tuple) -> AttemptRecord:
    return AttemptRecord(
        id=row[0],
        employee=row[1],
        role=row[2],
        department=row[3],
        quiz_id=row[4],
        topic=row[5],
        taken_at=row[6],
        score=row[7],
        passed=bool(row[8]),
        pass_mark=row[9],
        question_count=row[10],
        correct_count=row[11],
        answers=json.loads(row[12] or "[]"),
        questions=json.loads(row[13] or "[]"),
        mode=row[14],
        time_limit_min=row[15],
        duration_s=row[16],
        review_status=row[17],
        reviewed_by=row[18],
        reviewed_at=row[19],
    )


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")
