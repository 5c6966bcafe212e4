"""Answering without an LLM: real index and embedder; extractive answers only quote retrieved passages."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from support import INJECTION_PAYLOAD, shared_kb_dir, write_injection_doc

from assistant.answering import Answer
from assistant.config import Settings
from assistant.service import Assistant

_MARKERS = re.compile(r"\[\d+\]")


@pytest.fixture(scope="module")
def kb(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    try:  # conftest's memo of passage vectors: a second index of the corpus costs seconds, not a minute
        request.getfixturevalue("embedding_memo")
    except pytest.FixtureLookupError:
        pass
    data_dir = shared_kb_dir(tmp_path_factory.getbasetemp())
    return Assistant.from_settings(Settings(data_dir=data_dir, llm_backend="none"), progress=False)


def _norm(text: str) -> str:
    # Formatting the extractive answer drops: bold markers, the ":2015" of clause titles, runs of spaces.
    return re.sub(r"\s+", " ", text.replace("**", "").replace("ISO 9001:2015", "ISO 9001"))


def quoted(line: str, passage: str) -> bool:
    """Is an answer line made only of text from `passage`?

    Prose must occur verbatim. A list item may be a table row, which the answer shows as "cell：cell；cell",
    and a clause summary is shown as "ISO 9001 9.2 标题：要点": their pieces must each occur verbatim.
    """
    passage = _norm(passage)
    line = _norm(line).strip()
    if line.startswith("- "):
        pieces = re.split(r"[：；]", line[2:])
    elif re.match(r"ISO 9001 \d", line):
        pieces = line.split("：", 1)
    else:
        pieces = [line]
    return all(p.strip() in passage for p in pieces if p.strip())


def answer_lines(answer: Answer) -> list[str]:
    """The answer's sentences and list items, markers removed; the trailing clause note is not a quotation."""
    lines = []
    for line in answer.text.split("\n"):
        line = _MARKERS.sub("", line).strip()
        if not line or line.startswith("相关 ISO 9001 条款："):
            continue
        if line.startswith("- "):
            lines.append(line)
        else:
            lines += [s for s in re.split(r"(?<=[。！？；])", line) if s.strip()]
    return [s.rstrip("。！？；") for s in lines]


def assert_extractive(kb: Assistant, answer: Answer) -> None:
    assert answer.backend == "extractive" and answer.covered
    retrieved = {d.page_content for d in kb.search(answer.standalone_question, k=kb.settings.retrieve_k)[0]}
    assert answer.citations, answer.text
    for c in answer.citations:
        assert c.text in retrieved, f"[{c.n}] {c.label} is not a retrieved chunk"
    for line in answer_lines(answer):
        assert any(quoted(line, c.text) for c in answer.citations), f"not quoted from a cited passage: {line}"
    # Every [n] in the text names one of the shown sources, and every source is cited in the text.
    marks = {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}
    assert marks == {c.n for c in answer.citations}


# ---- in scope ------------------------------------------------------------------------------------
def test_process_card_answer(kb: Assistant) -> None:
    answer = kb.ask("过程识别卡里要写哪些内容？")
    assert answer.covered and answer.notice is None
    assert "过程管理者" in answer.text
    sections = [c.section for c in answer.citations]
    assert any(s.endswith("2. 过程设计") for s in sections), sections
    assert_extractive(kb, answer)


def test_internal_audit_cites_guide_and_clause(kb: Assistant) -> None:
    answer = kb.ask("内审怎么做？")
    assert any("内部审核" in c.label for c in answer.citations), [c.label for c in answer.citations]
    assert any(c.clause.startswith("9.2") for c in answer.citations)
    assert "内部审核" in answer.text
    assert "**来源**" in answer.markdown() and "[1]" in answer.sources_markdown()
    assert_extractive(kb, answer)


def test_pass_rate_formula_is_quoted(kb: Assistant) -> None:
    answer = kb.ask("产品检验一次合格率怎么算？")
    assert "合格数量÷一次检验总数量×100%" in answer.text
    assert_extractive(kb, answer)


# ---- out of scope --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("ISO 14001 环境管理体系怎么建？", "管理体系"),
        ("ISO 9001 认证费用大概多少钱？", "费用"),
        ("化工企业的配方怎么管理？", "附录"),
        ("今天天气怎么样？", "无关"),
    ],
)
def test_out_of_scope_is_refused_without_citations(kb: Assistant, question: str, expected: str) -> None:
    answer = kb.ask(question)
    assert not answer.covered and answer.citations == [] and answer.backend == "none"
    assert "知识库未涵盖" in answer.text and expected in answer.text
    assert "不会凭空编造" in answer.text


def test_missing_appendix_is_named(kb: Assistant) -> None:
    answer = kb.ask("化工配方怎么管理？")
    assert not answer.covered
    assert "附录" in answer.text and "未收录" in answer.text


# ---- odd input -----------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["", "   \n "])
def test_empty_question_gets_a_chinese_prompt(kb: Assistant, question: str) -> None:
    answer = kb.ask(question)
    assert not answer.covered and answer.citations == []
    assert "请输入" in answer.text


def test_very_long_question_is_cut_with_a_notice(kb: Assistant) -> None:
    question = ("我们是一家二十人的机加工厂，想知道内部审核应该怎么做，谁来做，多久做一次。" * 200)[:5000]
    answer = kb.ask(question)
    assert answer.question == question[: kb.settings.max_question_chars]
    limit = kb.settings.max_question_chars
    assert answer.notice and "5000 字" in answer.notice and f"前 {limit} 字" in answer.notice
    assert answer.covered and answer.citations  # still answered from the first part
    assert answer.notice in answer.markdown()


# ---- follow-ups ----------------------------------------------------------------------------------
def test_follow_up_switches_topic(kb: Assistant) -> None:
    answer = kb.ask("那管理评审呢？", history=[("内审怎么做？", "内部审核可用于……[1]")])
    assert "管理评审" in answer.standalone_question
    assert answer.question == "那管理评审呢？"
    assert any("3. 管理评审" in c.section for c in answer.citations), [c.section for c in answer.citations]


def test_follow_up_accepts_gradio_messages(kb: Assistant) -> None:
    history = [
        {"role": "user", "content": "内审怎么做？"},
        {"role": "assistant", "content": "内部审核可用于……[1]"},
    ]
    as_dicts = kb.ask("那管理评审呢？", history=history)
    as_pairs = kb.ask("那管理评审呢？", history=[["内审怎么做？", "内部审核可用于……[1]"]])
    assert as_dicts.standalone_question == as_pairs.standalone_question
    assert "管理评审" in as_dicts.standalone_question
    assert [c.chunk_id for c in as_dicts.citations] == [c.chunk_id for c in as_pairs.citations]


def test_example_follow_up_keeps_the_topic(kb: Assistant) -> None:
    answer = kb.ask("举个例子", history=[("内审怎么做？", "内部审核可用于……")])
    assert "内审" in answer.standalone_question
    assert answer.covered
    assert any("内部审核" in c.label for c in answer.citations)


# ---- uploaded documents are data -----------------------------------------------------------------
def test_prompt_injection_in_an_upload_is_not_quoted(kb: Assistant, tmp_path: Path) -> None:
    # A copy of the index: this module's other tests and test_llm keep the committed corpus only.
    data_dir = tmp_path / "kb"
    shutil.copytree(kb.settings.data_dir, data_dir)
    own = Assistant.from_settings(Settings(data_dir=data_dir, llm_backend="none"), progress=False)
    report = own.ingest_files([write_injection_doc(tmp_path)], progress=False)
    assert report.added and not report.failed

    answer = own.ask("内部审核补充规定有哪些要求")
    assert answer.covered
    assert INJECTION_PAYLOAD not in answer.text and "忽略以上" not in answer.text
    user_cites = [c for c in answer.citations if c.kind == "user"]
    assert user_cites, [c.label for c in answer.citations]
    # The chunk with the injection was retrieved and cited; only its injected sentence was left out.
    assert INJECTION_PAYLOAD in user_cites[0].text
    assert "每半年至少组织一次内部审核" in answer.text
    assert_extractive(own, answer)
