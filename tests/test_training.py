"""Staff training (issue #5): question bank, quizzes, grading, SQLite records, exports and the CLI.

Everything here runs on the real corpus files without an index, except the one Trainer.ask test.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assistant.config import REPO_ROOT
from assistant.errors import InputError
from assistant.training.bank import QuestionBank, default_bank
from assistant.training.check import check_question, check_questions
from assistant.training.export import HEADERS, export_csv, export_xlsx
from assistant.training.knowledge import GUIDE_SOURCE
from assistant.training.models import LETTERS, Question, normalise
from assistant.training.quiz import grade, new_quiz
from assistant.training.records import SCHEMA_VERSION, TrainingRecords, migrate, schema_version
from assistant.training.scoring import key_point_coverage, parse_choice
from assistant.training.service import Trainer
from assistant.training.topics import CLAUSE_TOPIC

CORPUS = REPO_ROOT / "corpus"


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return default_bank(CORPUS)


def correct_answers(quiz) -> list:
    return [q.answer if q.objective else q.reference for q in quiz.questions]


# ---- the bank -----------------------------------------------------------------------------------------
def test_internal_audit_quiz_has_ten_unique_cited_questions(bank: QuestionBank) -> None:
    quiz = new_quiz("内部审核", n=10, seed=7, bank=bank)
    assert len(quiz.questions) == 10
    assert len({q.id for q in quiz.questions}) == 10
    assert len({normalise(q.question) for q in quiz.questions}) == 10
    assert {q.type for q in quiz.questions} >= {"single", "multiple", "true_false", "short"}
    for q in quiz.questions:
        assert "内部审核" in q.topics
        assert q.citation.section and q.citation.text and q.explanation
        if q.objective:
            assert q.answer and all(LETTERS.index(a) < len(q.options) for a in q.answer)
        else:
            assert q.reference and q.answer  # key points


def test_internal_audit_pool_mixes_clauses_guide_and_monitoring_levels(bank: QuestionBank) -> None:
    pool = bank.select("内部审核")
    assert len(pool) >= 10
    clauses = {q.citation.clause for q in pool}
    assert {"9.2", "9.2.1", "9.2.2"} <= clauses
    assert any(q.citation.section.endswith("2. 内部审核") and q.citation.source == GUIDE_SOURCE for q in pool)
    assert any("监视和测量活动的哪个层面" in q.question for q in pool)


def test_every_question_is_supported_by_its_cited_passage(bank: QuestionBank) -> None:
    report = check_questions(bank.questions, bank.knowledge)
    assert report.ok, [(q.question, p) for q, p in report.failures[:5]]
    assert report.total == len(bank) > 500
    assert set(report.per_type) == {"single", "multiple", "true_false", "short"}
    # Every topic and every role has material for a full quiz.
    assert all(bank.stats().get(t, 0) >= 9 for t in bank.catalogue.topic_names()), bank.stats()
    assert all(len(bank.select(role=r.name)) >= 30 for r in bank.catalogue.roles)
    assert any(q.support.derived == "scenario" for q in bank.questions)


def test_bank_is_deduplicated_and_distractors_are_not_in_the_passage(bank: QuestionBank) -> None:
    stems = [normalise(q.question) for q in bank.questions]
    assert len(stems) == len(set(stems))
    for q in bank.questions:
        passage = normalise(q.citation.text)
        assert not any(normalise(a) in passage for a in q.support.absent), q.question


def test_list_questions_use_the_guide_lists(bank: QuestionBank) -> None:
    steps = [i["name"] for i in bank.knowledge.lists["build_steps"]["items"]]
    odd_one = next(q for q in bank.questions if q.question == "以下哪一项不属于小微企业质量管理体系建设的八个步骤？")
    assert odd_one.option_text(odd_one.answer[0]) not in steps
    assert all(odd_one.option_text(x) in steps for x in LETTERS[:4] if x not in odd_one.answer)
    third = next(q for q in bank.questions if "体系建设的八个步骤中的第 3 步" in q.question)
    assert third.option_text(third.answer[0]) == "核心过程梳理"
    formula = next(q for q in bank.questions if "“产品检验一次合格率”的计算公式" in q.question)
    assert formula.option_text(formula.answer[0]) == "合格数量÷一次检验总数量×100%"
    review = next(q for q in bank.questions if q.question == "简述管理评审的程序（按顺序）。")
    assert review.type == "short" and review.answer[0] == "确定评审时间，准备管理评审资料"
    assert review.topics == [CLAUSE_TOPIC] and third.topics == [CLAUSE_TOPIC]  # step order: opt-in topic only


def test_checker_rejects_unsupported_answers(bank: QuestionBank) -> None:
    k = bank.knowledge
    single = next(q for q in bank.questions if q.question.startswith("以下哪一项属于小微企业质量管理体系建设"))
    wrong_letter = next(x for x in LETTERS[: len(single.options)] if x not in single.answer)
    assert check_question(single.model_copy(update={"answer": [wrong_letter]}), k)
    edited = single.citation.model_copy(update={"text": single.citation.text.replace("管理", "治理")})
    assert check_question(single.model_copy(update={"citation": edited}), k)
    doc_info = next(q for q in bank.questions if q.support.derived == "doc_info" and q.type == "true_false")
    flipped = ["B"] if doc_info.answer == ["A"] else ["A"]
    assert check_question(doc_info.model_copy(update={"answer": flipped}), k)
    short = next(q for q in bank.questions if q.type == "short")
    assert check_question(short.model_copy(update={"answer": [*short.answer, "建立质量奖惩基金"]}), k)


def test_roles_follow_the_training_levels(bank: QuestionBank) -> None:
    frontline = new_quiz(role="一线员工", n=15, seed=1, bank=bank)
    assert all(q.difficulty <= 2 and not q.trivia and CLAUSE_TOPIC not in q.topics for q in frontline.questions)
    writers = bank.select(role="文件编写人员")
    assert any("文件和记录" in q.topics for q in writers)
    with pytest.raises(InputError, match="可选岗位"):
        new_quiz(role="保安", bank=bank)
    with pytest.raises(InputError, match="可选主题"):
        new_quiz(topic="天气", bank=bank)


def test_same_seed_gives_the_same_quiz(bank: QuestionBank) -> None:
    a = new_quiz("管理评审", n=8, seed=3, bank=bank)
    b = new_quiz("管理评审", n=8, seed=3, bank=bank)
    assert [q.id for q in a.questions] == [q.id for q in b.questions] and a.id == b.id


# ---- grading ------------------------------------------------------------------------------------------
def test_grading_all_correct_all_wrong_and_multiple_choice_partial(bank: QuestionBank) -> None:
    quiz = new_quiz("内部审核", n=10, seed=7, bank=bank)
    perfect = grade(quiz, correct_answers(quiz))
    assert perfect.score == 100 and perfect.passed and perfect.correct_count == 10
    blank = grade(quiz, {})
    assert blank.score == 0 and not blank.passed
    multi = next(q for q in quiz.questions if q.type == "multiple")
    partial = {
        q.id: (q.answer[:1] if q is multi else a) for q, a in zip(quiz.questions, correct_answers(quiz), strict=True)
    }
    result = grade(quiz, partial)
    graded = next(g for g in result.answers if g.question_id == multi.id)
    assert not graded.correct and graded.score == 0
    assert result.score == 90 and result.passed  # one question of ten lost
    assert multi.citation.section in graded.feedback and "依据" in graded.feedback


def test_short_answer_gets_partial_credit_by_key_points(bank: QuestionBank) -> None:
    question = next(q for q in bank.questions if q.question == "简述改进的七个步骤（按顺序）。")
    quiz = new_quiz(CLAUSE_TOPIC, n=1, seed=1, bank=QuestionBank(bank.knowledge, [question]))
    half = grade(quiz, ["先明确问题，然后现状把握，再分析问题原因"])
    assert half.answers[0].covered == ["明确问题", "现状把握", "分析问题原因"]
    assert half.score == pytest.approx(100 * 3 / 7, abs=0.1) and not half.passed
    assert grade(quiz, [question.reference]).score == 100
    assert grade(quiz, ["不知道"]).score == 0


def test_key_points_match_reworded_answers_and_choices_parse() -> None:
    covered, missing = key_point_coverage("我们先成立了内审小组，计划由质量部编制", ["成立内审小组", "编制内审计划"])
    assert covered == ["成立内审小组", "编制内审计划"] and missing == []
    assert key_point_coverage("", ["成立内审小组"]) == ([], ["成立内审小组"])
    tf = Question.model_validate(
        {
            "type": "true_false",
            "topics": ["改进"],
            "question": "q",
            "options": ["正确", "错误"],
            "answer": ["A"],
            "explanation": "e",
            "citation": {"section": "s", "text": "t", "source": GUIDE_SOURCE},
        }
    )
    assert parse_choice(tf, "对") == ["A"] and parse_choice(tf, "错误") == ["B"] and parse_choice(tf, "b") == ["B"]
    assert parse_choice(tf, "a, c") == ["A", "C"] and parse_choice(tf, ["C", "A"]) == ["A", "C"]


# ---- records and exports ------------------------------------------------------------------------------
def test_records_are_saved_and_read_back(tmp_path: Path, bank: QuestionBank) -> None:
    store = TrainingRecords(tmp_path / "training.sqlite3")
    quiz = new_quiz("内部审核", n=5, seed=2, bank=bank)
    saved = store.save("张三", "一线员工", "生产部", quiz, grade(quiz, correct_answers(quiz)))
    quiz2 = new_quiz("管理评审", n=4, seed=2, bank=bank)
    store.save("李四", "部门负责人", "质量部", quiz2, grade(quiz2, {}))
    rows = store.attempts()
    assert [r.employee for r in rows] == ["张三", "李四"]
    assert rows[0].model_dump() == saved.model_dump()
    assert saved.score == 100 and saved.passed and saved.question_count == 5 and saved.correct_count == 5
    assert [q["id"] for q in saved.questions] == [q.id for q in quiz.questions]
    assert store.attempts(name="李四")[0].topic == "管理评审" and not store.attempts(name="李四")[0].passed
    assert {e.name for e in store.employees()} == {"张三", "李四"}
    with pytest.raises(InputError):
        store.upsert_employee("  ")


def test_schema_upgrades_from_version_1(tmp_path: Path, bank: QuestionBank) -> None:
    path = tmp_path / "old.sqlite3"
    quiz = new_quiz("改进", n=3, seed=1, bank=bank)
    result = grade(quiz, correct_answers(quiz)[:2])
    with sqlite3.connect(path) as conn:
        assert migrate(conn, target=1) == 1
        conn.execute(
            "INSERT INTO employees (name, role, department, created_at) "
            "VALUES ('王五', '一线员工', '装配车间', '2024-03-01 08:00:00')"
        )
        conn.execute(
            "INSERT INTO attempts (employee_id, quiz_id, topic, taken_at, score, passed, answers_json) "
            "VALUES (1, ?, '改进', '2024-03-02 09:30:00', ?, ?, ?)",
            (
                quiz.id,
                result.score,
                int(result.passed),
                json.dumps([a.model_dump(mode="json") for a in result.answers], ensure_ascii=False),
            ),
        )
    store = TrainingRecords(path)
    with sqlite3.connect(path) as conn:
        assert schema_version(conn) == SCHEMA_VERSION == 3
    old = store.attempts()[0]
    assert (old.employee, old.role, old.department) == ("王五", "一线员工", "装配车间")
    assert old.question_count == 3 and old.correct_count == 2 and old.questions == []
    assert old.mode == "quiz" and old.review_status == "" and old.evidence  # v3 defaults for old rows
    store.save("王五", "一线员工", "装配车间", quiz, result)
    assert len(store.attempts(name="王五")) == 2
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(InputError, match="升级"):
        store.attempts()


def test_csv_and_xlsx_exports_are_auditor_ready(tmp_path: Path, bank: QuestionBank) -> None:
    store = TrainingRecords(tmp_path / "t.sqlite3")
    quiz = new_quiz("内部审核", n=6, seed=5, bank=bank)
    store.save("张三", "一线员工", "生产部", quiz, grade(quiz, correct_answers(quiz)))
    records = store.attempts()

    csv_path = export_csv(records, tmp_path / "记录.csv")
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == HEADERS and rows[1][:4] == ["张三", "一线员工", "生产部", "内部审核"]
    assert float(rows[1][5]) == 100 and rows[1][7] == "合格"

    wb = load_workbook(export_xlsx(records, tmp_path / "记录.xlsx"))
    assert wb.sheetnames == ["培训记录", "答题明细", "能力矩阵", "能力矩阵明细"]
    sheet = wb["培训记录"]
    assert "ISO 9001" in sheet["A1"].value and "7.2" in sheet["A1"].value
    assert [c.value for c in sheet[3]] == HEADERS
    assert [sheet.cell(4, i).value for i in (1, 6, 8)] == ["张三", 100, "合格"]
    details = wb["答题明细"]
    assert details.max_row == 1 + 6 and details["F2"].value == quiz.questions[0].question
    with pytest.raises(InputError):
        export_xlsx(records, tmp_path / "记录.txt")


# ---- the CLI ------------------------------------------------------------------------------------------
def test_cli_quiz_new_json(training_cli) -> None:
    result = training_cli("quiz", "new", "--topic", "内部审核", "--n", "10", "--json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert len(items) == 10 and len({i["id"] for i in items}) == 10
    for item in items:
        assert {"question", "options", "answer", "explanation", "citation", "type", "id"} <= item.keys()
        assert item["citation"]["section"] and item["citation"]["text"] and "clause" in item["citation"]


def test_cli_take_grades_and_saves_then_exports(training_cli, tmp_path: Path) -> None:
    new = ("quiz", "new", "--topic", "内部审核", "--role", "一线员工", "--n", "5", "--seed", "11", "--json")
    items = json.loads(training_cli(*new).output)
    typed = [("".join(i["answer"]) if i["type"] != "short" else i["reference"]) for i in items]
    typed = ["正确" if i["type"] == "true_false" and t == "A" else t for i, t in zip(items, typed, strict=True)]
    result = training_cli(
        "quiz",
        "take",
        "--name",
        "张三",
        "--role",
        "一线员工",
        "--department",
        "生产部",
        "--topic",
        "内部审核",
        "--n",
        "5",
        "--seed",
        "11",
        input="\n".join(typed) + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "得分：100 / 100" in result.output and "已保存培训记录" in result.output
    assert "依据：" in result.output

    listed = training_cli("training", "list")
    assert "张三" in listed.output and "合格" in listed.output
    out = tmp_path / "培训记录.xlsx"
    exported = training_cli("training", "export", "--format", "xlsx", "-o", str(out))
    assert exported.exit_code == 0, exported.output
    assert load_workbook(out)["培训记录"].cell(4, 1).value == "张三"
    assert training_cli("training", "export", "-o", str(tmp_path / "r.csv")).exit_code == 0
    assert "张三" in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")


def test_cli_bank_reports_counts_and_support_check(training_cli) -> None:
    result = training_cli("quiz", "bank")
    assert result.exit_code == 0, result.output
    assert "内部审核：" in result.output and "0 题未通过" in result.output
    bad = training_cli("quiz", "new", "--topic", "天气")
    assert bad.exit_code == 1 and "可选主题" in bad.output


# ---- free questions in training mode (builds the real index once) --------------------------------------
@pytest.mark.skipif(importlib.util.find_spec("assistant.answering") is None, reason="assistant.answering 尚未实现")
def test_trainer_ask_answers_from_the_knowledge_base(built_assistant) -> None:
    trainer = Trainer(built_assistant.settings, built_assistant)
    answer = trainer.ask("内审怎么做？")
    assert answer.covered and answer.citations
    assert "内部审核" in answer.text or "内审" in answer.text
    assert trainer.new_quiz("内部审核", n=3, seed=1).questions  # quizzes still come from the template bank
