"""Issue 12: role scenarios, trivia only on request, balanced true/false, plausible distractors, loose names."""

from __future__ import annotations

from collections import Counter

import pytest

from assistant.config import REPO_ROOT
from assistant.errors import InputError
from assistant.training.bank import QuestionBank, default_bank
from assistant.training.check import check_question
from assistant.training.quiz import new_quiz
from assistant.training.topics import CLAUSE_TOPIC
from assistant.understanding import ConceptModel

CORPUS = REPO_ROOT / "corpus"
STAFF = ["一线员工", "检验员", "仓管", "采购", "销售/客服", "班组长", "内审员", "管理者"]


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return default_bank(CORPUS)


def shares(bank: QuestionBank, role: str, quizzes: int = 12, n: int = 10) -> tuple[float, float]:
    items = [q for seed in range(quizzes) for q in new_quiz(role=role, n=n, seed=seed, bank=bank).questions]
    return sum(bool(q.scenario) for q in items) / len(items), sum(q.trivia for q in items) / len(items)


@pytest.mark.parametrize("role", STAFF)
def test_each_role_has_25_scenarios_from_its_own_work_and_quizzes_are_mostly_scenarios(bank, role) -> None:
    own = [q for q in bank.select(role=role) if q.scenario]
    assert len(own) >= 25
    assert all(q.question.startswith(f"（{role}）") and q.support.derived == "scenario" for q in own)
    assert all(q.citation.section and q.citation.clause and q.citation.text for q in own)
    scenario_share, trivia_share = shares(bank, role)
    assert scenario_share >= 0.6 and trivia_share <= 0.1


def test_scenarios_cite_their_clause_and_the_checker_holds_them_to_scenarios_yaml(bank) -> None:
    k = bank.knowledge
    gauge = next(q for q in bank.questions if q.scenario == "expired_gauge" and q.type == "single")
    assert gauge.citation.clause == "7.1.5.2" and gauge.citation.text in k.clauses["7.1.5.2"]["summary"]
    assert "送检或校准" in gauge.citation.text and gauge.citation.label().startswith("ISO 9001:2015 > 7 支持")
    assert check_question(gauge, k) == []
    wrong = next(x for x in "ABCD" if x not in gauge.answer)
    assert check_question(gauge.model_copy(update={"answer": [wrong]}), k)
    false_tf = next(q for q in bank.questions if q.scenario == "expired_gauge" and q.answer == ["B"])
    assert check_question(false_tf.model_copy(update={"answer": ["A"]}), k)


def test_suspect_part_scenario_reads_like_the_work(bank) -> None:
    q = next(q for q in bank.select(role="一线员工") if q.scenario == "suspect_part" and q.type == "single")
    right = q.option_text(q.answer[0])
    assert "隔离" in right and "报告" in right
    assert all(len(o) >= 8 for o in q.options)  # whole actions, not one-word options


def test_trivia_only_in_the_opt_in_topic(bank) -> None:
    trivia = [q for q in bank.questions if q.trivia]
    assert trivia and all(q.topics == [CLAUSE_TOPIC] and not q.roles for q in trivia)
    kinds = Counter(q.support.derived or ("order" if q.support.index is not None else "") for q in trivia)
    assert {"clause_number", "clause_title", "doc_info", "section_heading", "order"} <= set(kinds)
    for topic in bank.catalogue.topic_names():
        if topic != CLAUSE_TOPIC:
            assert not any(q.trivia for q in bank.select(topic))
    opt_in = new_quiz(CLAUSE_TOPIC, n=10, seed=2, bank=bank)
    assert all(q.topics == [CLAUSE_TOPIC] for q in opt_in.questions) and sum(q.trivia for q in opt_in.questions) >= 8


def test_true_false_is_balanced_in_the_bank_and_in_quizzes(bank) -> None:
    tf = [q for q in bank.questions if q.type == "true_false"]
    assert 0.45 <= sum(q.answer == ["A"] for q in tf) / len(tf) <= 0.55
    staff = [q for q in tf if not q.trivia]
    assert 0.45 <= sum(q.answer == ["A"] for q in staff) / len(staff) <= 0.55
    drawn = [
        q
        for seed in range(30)
        for q in new_quiz(role=STAFF[seed % len(STAFF)], n=12, seed=seed, bank=bank).questions
        if q.type == "true_false"
    ]
    assert 0.45 <= sum(q.answer == ["A"] for q in drawn) / len(drawn) <= 0.55


def test_distractors_are_quality_words_not_absurd(bank) -> None:
    options = {o for q in bank.questions for o in q.options}
    for absurd in ("钱", "行业协会的收费标准", "过程所在城市", "股东分红", "员工家庭情况"):
        assert absurd not in options


@pytest.mark.parametrize(
    ("typed", "topic"),
    [("不合格", "不合格和纠正措施"), ("内审", "内部审核"), ("文件", "文件和记录"), ("内部审核", "内部审核")],
)
def test_loose_topic_names_resolve(bank, typed, topic) -> None:
    quiz = new_quiz(typed, n=5, seed=1, bank=bank)
    assert quiz.topic == topic and all(topic in q.topics for q in quiz.questions)


def test_unknown_topic_suggests_the_nearest_in_chinese(bank) -> None:
    with pytest.raises(InputError, match="您是不是想找：.*管理评审") as err:
        new_quiz("管理评价", bank=bank)
    assert "可选主题" in str(err.value)


@pytest.mark.parametrize(
    ("alias", "role"), [("操作工", "一线员工"), ("普工", "一线员工"), ("质检", "检验员"), ("库管", "仓管")]
)
def test_role_aliases_come_from_the_concept_model(bank, alias, role) -> None:
    assert ConceptModel.load(CORPUS).lookup(alias, kind="role").name == role
    quiz = new_quiz(role=alias, n=6, seed=4, bank=bank)
    assert quiz.role == role and all(role in q.roles for q in quiz.questions)


def test_every_scenario_role_is_a_role_concept(bank) -> None:
    roles = {c.name for c in ConceptModel.load(CORPUS).of_kind("role")}
    assert set(STAFF) <= roles
    for scenario in bank.knowledge.scenarios:
        assert set(scenario["situations"]) <= roles, scenario["id"]


def test_a_quiz_spreads_over_situations(bank) -> None:
    quiz = new_quiz("文件", "库管", n=8, seed=3, bank=bank)
    asked = Counter(q.source_key for q in quiz.questions if q.scenario)
    assert asked and max(asked.values()) <= 2  # no situation asked four times over
    for seed in range(10):
        staff = new_quiz(role="班组长", n=10, seed=seed, bank=bank)
        assert max(Counter(q.source_key for q in staff.questions).values()) <= 2
