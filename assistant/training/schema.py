"""The training records' SQLite schema: versioned with PRAGMA user_version and an ordered list of migrations.

Opening a database applies whatever it lacks, each migration in its own transaction, so a file written by an
older release keeps working (v1 employees and attempts, v2 question snapshots and counts, v3 practice modes,
review status and the wrong-answer book).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from assistant.errors import InputError


def _run(conn: sqlite3.Connection, script: str) -> None:
    # Statement by statement: executescript() would commit, and a migration must be all or nothing.
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v1(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE employees (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT '',
            department TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (name, department)
        );
        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            employee_id INTEGER NOT NULL REFERENCES employees(id),
            quiz_id TEXT NOT NULL,
            topic TEXT,
            taken_at TEXT NOT NULL,
            score REAL NOT NULL,
            passed INTEGER NOT NULL,
            answers_json TEXT NOT NULL
        );
        """,
    )


def _v2(conn: sqlite3.Connection) -> None:
    """Role at the time of the attempt, pass mark, question snapshot and counts (v1 had only answers)."""
    _run(
        conn,
        """
        ALTER TABLE attempts ADD COLUMN role TEXT NOT NULL DEFAULT '';
        ALTER TABLE attempts ADD COLUMN pass_mark REAL NOT NULL DEFAULT 80;
        ALTER TABLE attempts ADD COLUMN questions_json TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE attempts ADD COLUMN question_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE attempts ADD COLUMN correct_count INTEGER NOT NULL DEFAULT 0;
        UPDATE attempts SET role = (SELECT e.role FROM employees e WHERE e.id = attempts.employee_id);
        CREATE INDEX attempts_by_employee ON attempts (employee_id, taken_at);
        """,
    )
    # Counts of old rows come from their answers (JSON1 may be missing from some SQLite builds).
    rows = conn.execute("SELECT id, answers_json FROM attempts").fetchall()
    for row_id, answers in rows:
        graded = json.loads(answers or "[]")
        conn.execute(
            "UPDATE attempts SET question_count = ?, correct_count = ? WHERE id = ?",
            (len(graded), sum(bool(a.get("correct")) for a in graded), row_id),
        )


def _v3(conn: sqlite3.Connection) -> None:
    """Practice and evidence: quiz mode and timing, the review status of short answers (待复核 → confirmed),
    and the wrong-answer book (a question stays open until answered right CLEAR_STREAK times in a row)."""
    _run(
        conn,
        """
        ALTER TABLE attempts ADD COLUMN mode TEXT NOT NULL DEFAULT 'quiz';
        ALTER TABLE attempts ADD COLUMN time_limit_min INTEGER;
        ALTER TABLE attempts ADD COLUMN duration_s REAL;
        ALTER TABLE attempts ADD COLUMN review_status TEXT NOT NULL DEFAULT '';
        ALTER TABLE attempts ADD COLUMN reviewed_by TEXT NOT NULL DEFAULT '';
        ALTER TABLE attempts ADD COLUMN reviewed_at TEXT NOT NULL DEFAULT '';
        CREATE TABLE wrong_book (
            employee_id INTEGER NOT NULL REFERENCES employees(id),
            question_id TEXT NOT NULL,
            question_json TEXT NOT NULL,
            topic TEXT NOT NULL DEFAULT '',
            wrong_count INTEGER NOT NULL DEFAULT 0,
            right_streak INTEGER NOT NULL DEFAULT 0,
            last_at TEXT NOT NULL,
            cleared_at TEXT,
            PRIMARY KEY (employee_id, question_id)
        );
        """,
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the missing migrations up to `target`, each in its own transaction; returns the new version."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise InputError(f"培训记录库的版本（{current}）比本程序新，请升级质量助手后再打开。")
    for version in range(current + 1, target + 1):
        conn.execute("BEGIN IMMEDIATE")  # the write lock first: another process may be migrating too
        try:
            if schema_version(conn) < version:
                MIGRATIONS[version - 1](conn)
                conn.execute(f"PRAGMA user_version = {version}")
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    return schema_version(conn)
