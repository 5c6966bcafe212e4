"""Training with an LLM configured: generated questions are validated, short answers are judged by the model,
and every failure falls back to the template bank and key-point grading.

The model is the OpenAI-compatible stub server on loopback (tests/support/openai_stub.py), speaking the real
wire protocol to the real client; only its script is given the replies an exam-writing model would send.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import openai_stub
from support.openai_stub import OpenAIStub

from assistant.config import Settings
from assistant.training.check import check_question
from assistant.training.quiz import MAX_QUESTIONS
from assistant.training.service import Trainer

AUDIT_QUOTE = "内部审核可用于确定公司的质量管理体系是否符合标准的要求和公司的相关要求。"


def exam_questions(passage: str) -> list[dict[str, Any]]:
    """One good question and four that must be rejected."""
    assert AUDIT_QUOTE in passage  # passage [1] of the 内部审核 topic is the guide's 2. 内部审核
    good = {
        "type": "single",
        "question": "内部审核用来确定质量管理体系是否符合哪些要求？",
        "options": ["标准的要求和公司的相关要求", "竞争对手的要求", "供应商的内部规定", "银行的贷款条件"],
        "answer": ["A"],
        "explanation": "指南原文如此。",
        "passage": 1,
        "quote": AUDIT_QUOTE,
    }
    invented_quote = {**good, "question": "内审多久做一次？", "quote": "内部审核每月必须进行一次。"}
    true_distractor = {
        **good,
        "question": "内部审核的信息可用于什么？",
        "options": ["处理问题和不符合项", "与标杆的比较", "决定员工工资", "替代管理评审"],
        "answer": ["A"],  # supported, but "与标杆的比较" is true as well
        "quote": "内部审核的信息可用于：处理问题和不符合项；与标杆的比较；"
        "在企业内推广好的做法；增强过程之间的相互理解。",
    }
    false_statement = {
        "type": "true_false",
        "question": "内审员必须要求纸质文件。",
        "options": ["正确", "错误"],
        "answer": ["B"],
        "explanation": "见原文。",
        "passage": 1,
        "quote": AUDIT_QUOTE,
    }
    bad_letter = {**good, "question": "内部审核的依据是什么？", "answer": ["F"]}
    return [good, invented_quote, true_distractor, false_statement, bad_letter]


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch):
    real_script = openai_stub.script

    def script(model: str, body: dict[str, Any]) -> str:
        user = openai_stub.message_text(body, "user")
        if "出题老师" in user:
            return json.dumps({"questions": exam_questions(openai_stub.passages(user)[1])}, ensure_ascii=False)
        if "阅卷老师" in user:
            if "乱写" in user:
                return "我觉得答得还行。"  # no JSON: grading must fall back to key points
            return json.dumps({"covered": [1, 2, 3, 4, 5, 9], "feedback": "意思都答到了。"}, ensure_ascii=False)
        return real_script(model, body)

    monkeypatch.setattr(openai_stub, "script", script)
    with OpenAIStub(api_key="k") as server:
        yield server


def llm_settings(data_dir: Path, url: str, model: str = "stub") -> Settings:
    return Settings(
        data_dir=data_dir,
        chroma_url=None,
        llm_backend="openai",
        llm_base_url=url + "/v1",
        llm_model=model,
        llm_api_key="k",
        llm_timeout_s=10,
    )  # type: ignore[arg-type]


def test_only_validated_llm_questions_join_the_quiz(stub: OpenAIStub, tmp_path: Path) -> None:
    trainer = Trainer(llm_settings(tmp_path, stub.url))
    made = trainer.llm_questions("内部审核")
    assert [q.question for q in made] == ["内部审核用来确定质量管理体系是否符合哪些要求？"]
    question = made[0]
    assert question.origin == "llm" and question.citation.text == AUDIT_QUOTE
    assert question.citation.section.endswith("2. 内部审核")
    assert check_question(question, trainer.bank.knowledge) == []
    assert any("出题老师" in openai_stub.message_text(b) for b in stub.chat_requests())

    quiz = trainer.new_quiz("内部审核", n=MAX_QUESTIONS, seed=1)
    assert question.id in {q.id for q in quiz.questions}
    assert trainer.new_quiz("内部审核", n=MAX_QUESTIONS, seed=1, use_llm=False).questions  # template only
    assert all(q.id != question.id for q in trainer.new_quiz("内部审核", n=5, use_llm=False).questions)


def test_short_answers_are_judged_by_the_model(stub: OpenAIStub, tmp_path: Path) -> None:
    trainer = Trainer(llm_settings(tmp_path, stub.url))
    quiz = trainer.new_quiz("内部审核", n=MAX_QUESTIONS, seed=1, use_llm=False)
    short = next(q for q in quiz.questions if q.type == "short" and len(q.answer) == 5)
    answers = {short.id: "先建内审组、定计划，审核时看实际做法和记录是否一致"}
    graded = next(a for a in trainer.grade(quiz, answers).answers if a.question_id == short.id)
    assert graded.graded_by == "llm" and graded.score == 1.0 and "意思都答到了" in graded.feedback
    assert any("阅卷老师" in openai_stub.message_text(b) for b in stub.chat_requests())

    fallback = next(
        a for a in trainer.grade(quiz, {short.id: "乱写一通，成立内审小组"}).answers if a.question_id == short.id
    )
    assert fallback.graded_by == "meaning" and fallback.covered == ["成立内审小组"]


def test_unreachable_or_broken_model_falls_back_silently(stub: OpenAIStub, tmp_path: Path) -> None:
    for settings in (
        llm_settings(tmp_path, stub.url, model="stub-broken"),
        llm_settings(tmp_path, "http://127.0.0.1:9", model="stub"),
    ):
        trainer = Trainer(settings)
        assert trainer.llm_questions("内部审核") == []
        quiz = trainer.new_quiz("内部审核", n=10, seed=4)
        assert len(quiz.questions) == 10 and all(q.origin != "llm" for q in quiz.questions)
        short = next((q for q in quiz.questions if q.type == "short"), None)
        if short is not None:
            graded = trainer.grade(quiz, {short.id: short.reference})
            assert next(a for a in graded.answers if a.question_id == short.id).graded_by == "meaning"
