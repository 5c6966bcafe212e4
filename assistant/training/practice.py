"""What the records say beyond one quiz: progress per person and topic, item statistics for the trainer, the
competence matrix (person × role × topic, date passed, score) and the answers waiting for a trainer (待复核).

Pure functions over stored `AttemptRecord`s: every number here can be recomputed from the SQLite file. Only
evidence counts for the matrix (attempts with nothing left 待复核), as ISO 9001 7.2 wants retained evidence of
competence, not provisional scores.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from assistant.training.models import LETTERS
from assistant.training.records import AttemptRecord


@dataclass
class TopicProgress:
    employee: str
    topic: str
    answered: int = 0
    correct: int = 0
    last_at: str = ""

    @property
    def rate(self) -> float:
        return round(100 * self.correct / self.answered, 1) if self.answered else 0.0


def progress(records: list[AttemptRecord]) -> list[TopicProgress]:
    """Per person and topic (each question's main topic): questions answered, answered right, last practised."""
    rows: dict[tuple[str, str], TopicProgress] = {}
    for r in records:
        questions = {str(q.get("id")): q for q in r.questions}
        for a in r.answers:
            if a.get("review") == "pending":
                continue
            q = questions.get(str(a.get("question_id")), {})
            topic = str((q.get("topics") or [r.topic or "综合"])[0])
            row = rows.setdefault((r.employee, topic), TopicProgress(r.employee, topic))
            row.answered += 1
            row.correct += bool(a.get("correct"))
            row.last_at = max(row.last_at, r.taken_at)
    return sorted(rows.values(), key=lambda p: (p.employee, p.rate, p.topic))


@dataclass
class ItemStats:
    question_id: str
    question: str
    type: str
    topic: str
    answered: int = 0
    correct: int = 0
    options: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)
    chosen: Counter = field(default_factory=Counter)  # letter → times chosen (objective items)

    @property
    def difficulty(self) -> float:
        """Share answered right (the classical p value: low = hard)."""
        return round(self.correct / self.answered, 2) if self.answered else 0.0

    def choice_rates(self) -> dict[str, float]:
        """Letter → share of trainees who chose it; a distractor nobody picks does no work."""
        return {
            LETTERS[i]: round(self.chosen[LETTERS[i]] / self.answered, 2) if self.answered else 0.0
            for i in range(len(self.options))
        }

    def rates_text(self) -> str:
        """Option choice rates, e.g. "A*:60%  B:30%  C:10%  D:0%" (* marks a correct option)."""
        return "  ".join(f"{x}{'*' if x in self.answer else ''}:{r:.0%}" for x, r in self.choice_rates().items())


def item_stats(records: list[AttemptRecord]) -> list[ItemStats]:
    """Per question asked: how often answered right and, for choice items, how often each option was chosen."""
    items: dict[str, ItemStats] = {}
    for r in records:
        questions = {str(q.get("id")): q for q in r.questions}
        for a in r.answers:
            qid = str(a.get("question_id"))
            q = questions.get(qid)
            if q is None or a.get("review") == "pending":
                continue
            item = items.setdefault(
                qid,
                ItemStats(
                    question_id=qid,
                    question=str(q.get("question", "")),
                    type=str(q.get("type", "")),
                    topic=str((q.get("topics") or [""])[0]),
                    options=list(q.get("options", [])),
                    answer=list(q.get("answer", [])),
                ),
            )
            item.answered += 1
            item.correct += bool(a.get("correct"))
            if isinstance(a.get("given"), list):
                item.chosen.update(str(x) for x in a["given"])
    return sorted(items.values(), key=lambda i: (i.difficulty, -i.answered))


@dataclass
class MatrixCell:
    employee: str
    role: str
    department: str
    topic: str
    passed_at: str  # date of the best passing attempt, "" if not passed yet
    score: float  # best evidence score
    attempts: int


def competence_matrix(records: list[AttemptRecord]) -> list[MatrixCell]:
    """Person × role × topic: the best confirmed score and the date it was first passed."""
    cells: dict[tuple[str, str, str], MatrixCell] = {}
    for r in records:
        if not r.evidence or r.mode == "drill":
            continue  # 待复核 is not evidence yet; a drill of one's wrong answers is practice, not assessment
        topic = r.topic or (f"岗位综合（{r.role}）" if r.role else "综合")
        key = (r.employee, r.role, topic)
        cell = cells.setdefault(key, MatrixCell(r.employee, r.role, r.department, topic, "", 0.0, 0))
        cell.attempts += 1
        cell.score = max(cell.score, r.score)
        if r.passed and (not cell.passed_at or r.taken_at < cell.passed_at):
            cell.passed_at = r.taken_at
    return sorted(cells.values(), key=lambda c: (c.department, c.employee, c.role, c.topic))


def matrix_grid(cells: list[MatrixCell]) -> tuple[list[str], list[list[str]]]:
    """The matrix as a grid for a sheet: one row per person and role, one column per topic."""
    topics = sorted({c.topic for c in cells})
    rows: dict[tuple[str, str, str], dict[str, str]] = defaultdict(dict)
    for c in cells:
        mark = f"✓ {c.score:g}（{c.passed_at[:10]}）" if c.passed_at else f"未合格（最高 {c.score:g}）"
        rows[(c.employee, c.role, c.department)][c.topic] = mark
    grid = [[name, role, dept, *(marks.get(t, "") for t in topics)] for (name, role, dept), marks in rows.items()]
    return ["员工", "岗位", "部门", *topics], grid


@dataclass
class PendingAnswer:
    attempt_id: int
    employee: str
    taken_at: str
    question_id: str
    question: str
    given: str
    covered: list[str]
    unsure: list[str]
    missing: list[str]
    reference: str


def pending_answers(records: list[AttemptRecord]) -> list[PendingAnswer]:
    """Short answers marked 待复核, oldest first: the trainer's queue."""
    out = []
    for r in records:
        if r.review_status != "pending":
            continue
        questions = {str(q.get("id")): q for q in r.questions}
        for a in r.answers:
            if a.get("review") != "pending":
                continue
            q = questions.get(str(a.get("question_id")), {})
            out.append(
                PendingAnswer(
                    attempt_id=r.id,
                    employee=r.employee,
                    taken_at=r.taken_at,
                    question_id=str(a.get("question_id")),
                    question=str(q.get("question", "")),
                    given=str(a.get("given", "")),
                    covered=list(a.get("covered", [])),
                    unsure=list(a.get("unsure", [])),
                    missing=list(a.get("missing", [])),
                    reference=str(q.get("reference", "")),
                )
            )
    return out
