"""The wrong-answer book: every question a trainee got wrong stays open until answered right twice in a row.

Drill quizzes (`Trainer.drill_quiz`) are drawn from the open entries; each stored question is a snapshot, so an
entry still drills after the bank changes.
"""

from __future__ import annotations

import json
import sqlite3

from pydantic import BaseModel

CLEAR_STREAK = 2  # right answers in a row that take a question out of the book


class WrongEntry(BaseModel):
    employee: str
    question_id: str
    question: dict
    topic: str
    wrong_count: int
    right_streak: int
    last_at: str
    cleared_at: str | None


def read_wrong_book(conn: sqlite3.Connection, name: str | None, *, open_only: bool = True) -> list[WrongEntry]:
    sql = (
        "SELECT e.name, w.question_id, w.question_json, w.topic, w.wrong_count, w.right_streak, w.last_at, "
        "w.cleared_at FROM wrong_book w JOIN employees e ON e.id = w.employee_id"
    )
    where, args = [], []
    if name is not None:
        where.append("e.name = ?")
        args.append(name.strip())
    if open_only:
        where.append("w.cleared_at IS NULL")
    sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY w.wrong_count DESC, w.last_at DESC"
    rows = conn.execute(sql, args).fetchall()
    return [
        WrongEntry(
            employee=r[0],
            question_id=r[1],
            question=json.loads(r[2]),
            topic=r[3],
            wrong_count=r[4],
            right_streak=r[5],
            last_at=r[6],
            cleared_at=r[7],
        )
        for r in rows
    ]


def record_answer(conn: sqlite3.Connection, employee_id: int, question: dict, correct: bool, now: str) -> None:
    """Wrong answers open (or reopen) a question in the book; right answers in a row clear it."""
    qid = str(question.get("id"))
    row = conn.execute(
        "SELECT right_streak, cleared_at FROM wrong_book WHERE employee_id = ? AND question_id = ?", (employee_id, qid)
    ).fetchone()
    if not correct:
        conn.execute(
            "INSERT INTO wrong_book (employee_id, question_id, question_json, topic, wrong_count, right_streak, "
            "last_at) VALUES (?, ?, ?, ?, 1, 0, ?) ON CONFLICT (employee_id, question_id) DO UPDATE SET "
            "wrong_count = wrong_count + 1, right_streak = 0, last_at = excluded.last_at, cleared_at = NULL, "
            "question_json = excluded.question_json",
            (employee_id, qid, json.dumps(question, ensure_ascii=False), str((question.get("topics") or [""])[0]), now),
        )
    elif row is not None and row[1] is None:
        streak = row[0] + 1
        conn.execute(
            "UPDATE wrong_book SET right_streak = ?, last_at = ?, cleared_at = ? WHERE employee_id = ? AND "
            "question_id = ?",
            (streak, now, now if streak >= CLEAR_STREAK else None, employee_id, qid),
        )
