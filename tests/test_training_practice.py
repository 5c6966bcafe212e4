"""Practice beyond one quiz (issue 12): mock exams, the wrong-answer book, 待复核 review, progress, item statistics,
the competence matrix in Excel, and `qms quiz grade` scoring exactly as the UI does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assistant.config import Settings
from assistant.errors import InputError
from assistant.training.models import Quiz
from assistant.training.service import Trainer

PARAPHRASE = (
    "这个件不能再用了。我会把它单独放到不合格品区并做好标记，再通知检验员来判定怎么处理，因为坏件流出去会影响客户。"
)


@pytest.fixture
def trainer(tmp_path: Path) -> Trainer:
    return Trainer(Settings(data_dir=tmp_path / "data", llm_backend="none"))


def right(quiz: Quiz) -> list:
    return [q.answer if q.objective else q.reference for q in quiz.questions]


def wrong(quiz: Quiz) -> list:
    return [[next(x for x in "ABCD" if x not in q.answer)] if q.objective else "不知道" for q in quiz.questions]


def test_mock_exam_has_count_time_limit_pass_mark_and_marks_late(trainer: Trainer, tmp_path: Path) -> None:
    quiz = trainer.mock_exam("不合格", "检验员", n=20, minutes=30, pass_mark=70, seed=3)
    assert (quiz.mode, quiz.time_limit_min, quiz.pass_mark, len(quiz.questions)) == ("mock", 30, 70, 20)
    result = trainer.grade(quiz, right(quiz))
    assert result.score == 100 and all("依据" in a.feedback for a in result.answers)  # reviewed question by question
    record = trainer.record("王芳", "检验员", "品质部", quiz, result, duration_s=31 * 60)
    assert record.mode == "mock" and record.late
    with pytest.raises(InputError, match="考试时间"):
        trainer.mock_exam(minutes=0)
    sheet = load_workbook(trainer.export_xlsx(tmp_path / "r.xlsx"))["培训记录"]
    assert sheet.cell(4, 12).value == "模拟考试（超时）"


def test_wrong_answers_go_to_the_book_and_drill_until_cleared(trainer: Trainer) -> None:
    quiz = trainer.new_quiz("内部审核", "内审员", n=6, seed=5)
    objective = [q for q in quiz.questions if q.objective]
    trainer.record("李雷", "内审员", "质量部", quiz, trainer.grade(quiz, wrong(quiz)))
    book = trainer.wrong_book("李雷")
    assert {e.question_id for e in book} >= {q.id for q in objective}
    for round_ in (1, 2):
        drill = trainer.drill_quiz("李雷", n=50, seed=round_)
        assert drill.mode == "drill" and {q.id for q in drill.questions} == {e.question_id for e in book}
        graded = trainer.grade(drill, {q.id: q.answer for q in drill.questions if q.objective})
        trainer.record("李雷", "内审员", "质量部", drill, graded)
    assert all(e.question["type"] == "short" for e in trainer.wrong_book("李雷"))  # objective ones cleared
    assert any(e.cleared_at for e in trainer.store.wrong_book("李雷", open_only=False))
    with pytest.raises(InputError, match="错题本是空的"):
        trainer.drill_quiz("韩梅梅")


def test_pending_answers_count_as_evidence_only_after_review(trainer: Trainer) -> None:
    q = next(
        q
        for q in trainer.bank.questions
        if q.scenario == "suspect_part" and q.type == "short" and q.roles == ["一线员工"]
    )
    quiz = Quiz(id="q-review", questions=[q], pass_mark=60)
    result = trainer.grade(quiz, [PARAPHRASE])
    assert result.pending == 1 and not result.passed
    record = trainer.record("张三", "一线员工", "生产部", quiz, result)
    assert record.review_status == "pending" and not record.evidence
    assert trainer.matrix() == [] and [p.question_id for p in trainer.pending_reviews()] == [q.id]
    with pytest.raises(InputError, match="复核人"):
        trainer.review(record.id, q.id, True, " ")
    done = trainer.review(record.id, q.id, True, "赵主管")
    assert done.review_status == "confirmed" and done.passed and done.reviewed_by == "赵主管"
    assert "复核：赵主管确认通过" in done.answers[0]["feedback"]
    cell = trainer.matrix()[0]
    assert (cell.employee, cell.role, cell.passed_at) == ("张三", "一线员工", done.taken_at)
    with pytest.raises(InputError, match="不在待复核状态"):
        trainer.review(record.id, q.id, False, "赵主管")


def test_progress_item_statistics_and_matrix_export(trainer: Trainer, tmp_path: Path) -> None:
    quiz = trainer.new_quiz("外部提供", "采购", n=8, seed=2)
    trainer.record("甲", "采购", "采购部", quiz, trainer.grade(quiz, right(quiz)))
    trainer.record("乙", "采购", "采购部", quiz, trainer.grade(quiz, wrong(quiz)))
    rates = {(p.employee, p.topic): p.rate for p in trainer.progress()}
    assert all(v == 100 for (who, _), v in rates.items() if who == "甲")
    assert all(v == 0 for (who, _), v in rates.items() if who == "乙")
    single = next(s for s in trainer.item_stats() if s.type == "single")
    assert single.answered == 2 and single.difficulty == 0.5
    choice = single.choice_rates()
    assert choice[single.answer[0]] == 0.5 and sum(choice.values()) == pytest.approx(1.0)
    wb = load_workbook(trainer.export_xlsx(tmp_path / "矩阵.xlsx"))
    assert {"能力矩阵", "能力矩阵明细"} <= set(wb.sheetnames)
    grid = wb["能力矩阵"]
    assert [c.value for c in grid[1]][:4] == ["员工", "岗位", "部门", "外部提供"]
    marks = {grid.cell(r, 1).value: grid.cell(r, 4).value for r in (2, 3)}
    assert marks["甲"].startswith("✓ 100（") and marks["乙"].startswith("未合格")


def test_cli_grade_scores_exactly_like_the_ui(training_cli, tmp_path: Path) -> None:
    new = training_cli("quiz", "new", "--topic", "内部审核", "--role", "一线员工", "--n", "10", "--seed", "4", "--json")
    assert new.exit_code == 0, new.output
    items = json.loads(new.output)
    assert isinstance(items, list) and len(items) == 10
    for item in items:
        assert {"type", "question", "options", "answer", "explanation", "citation"} <= item.keys()
        assert item["citation"]["section"] and item["citation"]["text"]
    quiz_file = tmp_path / "q.json"
    quiz_file.write_text(new.output, encoding="utf-8")
    answers = ["A" if i % 2 else "B" for i in range(9)] + [PARAPHRASE]
    answers_file = tmp_path / "a.json"
    answers_file.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    graded = training_cli("quiz", "grade", "--quiz", str(quiz_file), "--answers", str(answers_file), "--json")
    assert graded.exit_code == 0, graded.output
    out = json.loads(graded.output)
    trainer = Trainer(Settings(data_dir=tmp_path / "data"))
    ui = trainer.grade(trainer.quiz_from_json(items), answers)  # what the training tab calls
    assert out["score"] == ui.score and [a["correct"] for a in out["answers"]] == [a.correct for a in ui.answers]
    assert [a["review"] for a in out["answers"]] == [a.review for a in ui.answers]
    bad = training_cli("quiz", "grade", "--quiz", str(tmp_path / "missing.json"), "--answers", str(answers_file))
    assert bad.exit_code == 1 and "找不到文件" in bad.output


def test_cli_review_progress_and_stats(training_cli, tmp_path: Path) -> None:
    taken = training_cli(
        "quiz", "take", "--name", "周工", "--role", "库管", "--n", "3", "--seed", "1", input="A\nA\nA\n"
    )
    assert taken.exit_code == 0, taken.output
    assert "仓管" in training_cli("training", "list").output
    assert "还没有" not in training_cli("training", "progress", "--name", "周工").output
    assert "答对率" in training_cli("training", "stats").output
    assert "没有待复核" in training_cli("training", "review").output
