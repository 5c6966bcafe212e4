"""Answering without an LLM: real index and embedder; extractive answers only quote retrieved passages."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from support import INJECTION_PAYLOAD, shared_kb_dir, write_injection_doc

from assistant.answering import Answer
from assistant.config import REPO_ROOT, Settings
from assistant.eval.shape import debris
from assistant.service import Assistant
from assistant.understanding import ConceptModel
from ingest.chunking import vector_texts

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
        if not line or line.startswith(("相关 ISO 9001 条款：", "说明：")):
            continue
        if line.startswith("- "):
            lines.append(line)
        else:
            lines += [s for s in re.split(r"(?<=[。！？；])", line) if s.strip()]
    return [s.rstrip("。！？；") for s in lines]


def structured_statements() -> set[str]:
    """Own-words statements of the committed concept model that an answer may state (and cite its basis for):
    descriptions, facts, frequency/who notes, list item names, the scenario's generic correction texts."""
    model = ConceptModel.load(REPO_ROOT / "corpus")
    out: set[str] = set()
    for c in model.all():
        out |= {c.description, str(c.extra.get("frequency", "")), str(c.extra.get("who", ""))}
        out |= {str(c.extra.get(k, "")) for k in ("correction", "corrective_action")}
        out |= {str(f.get("text", "")) for f in c.extra.get("facts") or []}
        out |= {str(i.get("name", "")) for i in c.extra.get("items") or []}
        if c.kind in ("list", "clause"):
            out.add(c.name)
    return {_norm(x).strip() for x in out if x}


STRUCTURED = structured_statements()


def stated(line: str, answer: Answer) -> bool:
    """A line is a quotation of a cited passage, or a committed statement of the concept model (behind its
    label: "判定：", "要求：", "依据：", a verdict in bold, a clause title)."""
    if any(quoted(line, c.text) for c in answer.citations):
        return True
    body = re.sub(r"^(- )?(\d+\. )?", "", _norm(line)).strip()
    body = re.sub(r"^(判定|要求|纠正措施|纠正|依据|建议的不符合项描述)：", "", body)
    body = body.removeprefix("另涉及 ").removeprefix("也可能涉及 ")
    body = re.sub(r"^共 \d+ 项（(.*)）：$", r"\1", body).removesuffix("：")  # a list's heading
    body = re.sub(r"^[\d.]+ 包括 \d+ 个子条款$", "", body)
    body = re.sub(
        r"^(是|否|需要|不需要|可以|不可以|不是必须的|不能完全覆盖|不需要|不可以|要管|标准没有规定[^。]*)。", "", body
    )
    body = re.sub(r"^ISO 9001 [\d.]+（[^）]*）(要保留记录|要形成文件并保持[^：]*)?：", "", body).strip()
    if body.startswith(("不符合，涉及 ISO 9001", "未见不符合", "ISO 9001 ")) or not body:
        return True  # a verdict or a clause label: its basis follows and is checked on its own line
    body = body.rstrip("。")
    return any(body in s or s.startswith(body) for s in STRUCTURED) or any(
        body in _norm(c.text) for c in answer.citations
    )


def assert_extractive(kb: Assistant, answer: Answer) -> None:
    assert answer.backend == "extractive" and answer.covered
    retrieved = {d.page_content for d in kb.search(answer.standalone_question, k=kb.settings.retrieve_k)[0]}
    assert answer.citations, answer.text
    for c in answer.citations:
        # A guide passage was retrieved; a clause summary may also be cited as the basis of a structured opener.
        assert (
            c.kind == "clause"
            or any(part in retrieved for part in c.text.split("\n"))
            or c.text in retrieved
            or any(c.text.startswith(r) or r in c.text for r in retrieved)
        ), f"[{c.n}] {c.label} is not a retrieved chunk"
    for line in answer_lines(answer):
        assert stated(line, answer), f"neither quoted from a cited passage nor a committed statement: {line}"
    assert debris(answer) == [], debris(answer)
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
        ("HACCP 是什么？", "食品安全"),
        ("ERP 系统怎么选型？", "ERP"),
    ],
)
def test_out_of_scope_is_refused_without_citations(kb: Assistant, question: str, expected: str) -> None:
    answer = kb.ask(question)
    assert not answer.covered and answer.citations == [] and answer.backend == "none"
    assert "知识库未涵盖" in answer.text and expected in answer.text
    assert "不会凭空编造" in answer.text
    # The refusal names 3-5 nearest topics that the knowledge base does cover.
    offered = [line for line in answer.text.splitlines() if line.startswith("- ")]
    assert 3 <= len(offered) <= 5, answer.text


@pytest.mark.parametrize(
    "question",
    [
        "我们做涂料的小厂，文件怎么管？",
        "十来个人的软件公司，设计开发要怎么管？",
        "外协电镀怎么管外协厂？",
        "交付期老是拖，怎么改进？",
        "原材料进厂验收怎么做？",
        "做食品包装的，仓库怎么管？",
        "我们是搞注塑的，次品怎么处理？",
    ],
)
def test_context_words_do_not_cause_refusals(kb: Assistant, question: str) -> None:
    answer = kb.ask(question)
    assert answer.covered, answer.text
    assert_extractive(kb, answer)


def test_a_touched_gap_is_named_in_one_line(kb: Assistant) -> None:
    answer = kb.ask("电镀外包怎么管？")
    assert answer.covered and "8.4" in answer.text
    assert [line for line in answer.text.splitlines() if line.startswith("说明：")] == [
        line for line in answer.text.splitlines() if "附录二" in line
    ]


# ---- shaped by intent ----------------------------------------------------------------------------
def test_count_question_gets_the_whole_list(kb: Assistant) -> None:
    answer = kb.ask("建立体系要几步？")
    assert answer.text.startswith("共 8 项")
    steps = ConceptModel.load(REPO_ROOT / "corpus").get("list.build_steps").extra["items"]
    assert len(steps) == 8  # the guide's eight steps, in its order (tests/test_corpus_data.py checks the names)
    for i, step in enumerate(steps, 1):
        assert f"{i}. {step['name']}" in answer.text
    assert_extractive(kb, answer)


def test_what_the_boss_must_do_lists_every_leadership_item(kb: Assistant) -> None:
    answer = kb.ask("老板在质量管理上要做什么？")
    items = [line for line in answer.text.splitlines() if line.startswith("- ")]
    assert len(items) >= 7 and "5.1" in answer.text
    assert_extractive(kb, answer)


@pytest.mark.parametrize(
    ("question", "opener", "clause"),
    [
        ("我们需要设管理者代表吗？", "**不是必须的。**", "5.3"),
        ("内审员一定要有证书吗？", "**不需要。**", "9.2"),
        ("质量手册必须写吗？", "**不是必须的。**", "7.5"),
        ("不做设计的话 8.3 可以删减吗？", "**可以", "4.3"),
        ("ISO 9001 要求做 HACCP 吗？", "**不要求。**", "4.2"),
    ],
)
def test_yes_no_question_opens_with_the_verdict_and_its_basis(
    kb: Assistant, question: str, opener: str, clause: str
) -> None:
    answer = kb.ask(question)
    assert answer.text.startswith(opener), answer.text
    assert any(c.clause.startswith(clause) for c in answer.citations), [c.label for c in answer.citations]


def test_records_question_gives_the_documented_information(kb: Assistant) -> None:
    answer = kb.ask("不合格品处理要留什么记录？")
    assert "8.7.2" in answer.text and "保留" in answer.text
    assert_extractive(kb, answer)


def test_frequency_question_says_the_standard_sets_none(kb: Assistant) -> None:
    answer = kb.ask("管理评审多久开一次？")
    assert answer.text.startswith("标准和指南没有规定") or answer.text.startswith("标准和指南都没有规定")
    assert "9.3" in answer.text


def test_scenario_gets_an_auditors_judgement_on_the_finding(kb: Assistant) -> None:
    answer = kb.ask("内审时发现车间的卡尺过了校准期还在用，这符合要求吗？")
    first = answer.text.splitlines()[0]
    assert first.startswith("判定：不符合") and "7.1.5.2" in first
    assert "建议的不符合项描述：" in answer.text and "纠正：" in answer.text and "纠正措施：" in answer.text
    assert "9.2" not in answer.text.split("相关 ISO 9001 条款：")[-1]  # the framing (内审) is not the finding
    docs = kb.retrieve("内审时发现卡尺过了校准期还在用", k=3)
    assert any("7.1.5.2" in str(d.metadata["clauses"]).split(",") for d in docs)


def test_a_finding_is_judged_by_the_clause_it_breaks_not_by_its_words(kb: Assistant) -> None:
    """ "批量生产""客户退货" are words of production and complaints; the finding is a design not verified (8.3.4),
    found through the clause's typical findings. The question's own ending is not part of the statement."""
    answer = kb.ask("样品没做型式试验就让车间大批量生产了，后来客户退货，这违反哪条？")
    assert answer.text.startswith("判定：不符合，涉及 ISO 9001 8.3.4")
    statement = next(x for x in answer.text.splitlines() if x.startswith("建议的不符合项描述："))
    assert "违反哪条" not in statement and "后来客户退货，不符合 ISO 9001 8.3.4" in statement


@pytest.mark.parametrize(
    ("family", "ranked", "scores", "basis", "runner_up"),
    [
        # the words' topic is also the closest clause: it stands, its sub-clause when close behind
        (("9.2",), ("9.2", "9.2.2", "9.3"), (5.0, 4.5, 1.0), "9.2.2", ""),
        # the words name evidence (文件), the finding is a design change: the closest clause decides
        (("7.5",), ("8.3.6", "7.5.3.2", "8.5.6"), (3.4, 3.3, 1.0), "8.3.6", "7.5.3.2"),
        # a parent summary leads its sub-clause by a hair
        (("7.1.5.2",), ("8.4", "8.4.1", "7.1.5.2"), (6.0, 5.9, 2.0), "8.4.1", ""),
        # a clear first: no runner-up is named
        (("6.2.1",), ("6.2.1", "8.2.1", "10.2.1"), (6.0, 3.0, 2.0), "6.2.1", ""),
    ],
)
def test_finding_clause_and_near_tie(family, ranked, scores, basis, runner_up) -> None:
    from assistant.subject import close_second, finding_clause
    from assistant.understanding import Concept

    topic = Concept(id="topic.t", kind="topic", name="t", clauses=family)
    assert finding_clause(topic, ranked) == basis
    assert close_second(basis, ranked, scores, margin=1.2) == runner_up


def test_an_exam_stem_is_judged_from_the_case_and_its_ask_is_not_the_statement(kb: Assistant) -> None:
    answer = kb.ask("仓库把没有标识的不合格零件和合格品放在同一个货架上，第二天被装配工领走了。主要问题是：")
    first = answer.text.splitlines()[0]
    assert first.startswith("判定：不符合") and "8.7" in first, first
    statement = next(x for x in answer.text.splitlines() if x.startswith("建议的不符合项描述："))
    assert "主要问题" not in statement and "领走了，不符合" in statement


def test_a_question_that_presumes_a_fault_gets_a_nonconformity(kb: Assistant) -> None:
    """No 未/没有 in the telling, but "主要问题是：" takes the fault as given."""
    answer = kb.ask("成品检验员休假，车间主任看了看外观就把整批货签字放行了。主要问题是：")
    assert answer.text.startswith("判定：不符合"), answer.text.splitlines()[0]
    assert "建议的不符合项描述：" in answer.text


def test_asking_for_the_corrective_action_does_not_move_the_finding_to_10_2(kb: Assistant) -> None:
    answer = kb.ask("审核时发现量具柜里的游标卡尺没有校准标识，也查不到校准记录。违反了哪一条？应该怎么整改？")
    assert answer.text.startswith("判定：不符合，涉及 ISO 9001 7.1.5"), answer.text.splitlines()[0]
    assert "纠正措施：" in answer.text


def test_an_understated_claim_is_answered_wrong_with_the_clause(kb: Assistant) -> None:
    answer = kb.ask("产品的设计改了以后只要口头通知车间就行，不需要评审和批准。这种说法对吗？")
    assert answer.text.startswith("**不对。**"), answer.text[:80]
    assert any(c.clause == "8.3.6" for c in answer.citations), [c.label for c in answer.citations]


def test_a_told_situation_is_answered_from_the_clause_it_touches(kb: Assistant) -> None:
    answer = kb.ask("包装好的成品在仓库里被叉车撞坏了好几箱，该怎么整改？")
    assert answer.text.startswith("ISO 9001 8.5.4（防护）")


def test_typical_findings_are_searched_but_never_shown(kb: Assistant) -> None:
    docs = kb.retriever.chunks_where(lambda d: d.metadata.get("kind") == "clause" and d.metadata["clauses"] == "8.3.4")
    finding = docs[0].metadata["findings"].split("\n")[0]
    assert finding and finding not in docs[0].page_content
    texts = vector_texts(docs[0])
    assert texts[0] == docs[0].page_content and texts[1] == f"8.3.4 设计和开发控制：{finding}"
    assert kb.retriever.collection.get(ids=[f"{docs[0].metadata['chunk_id']}#1"])["ids"]
    for question in ("样品没做型式试验就让车间大批量生产了，这违反哪条？", "设计开发要做哪些评审？"):
        assert all(finding not in c.text for c in kb.ask(question).citations)


def test_clause_line_names_only_cited_clauses(kb: Assistant) -> None:
    for question in ("不合格品怎么处理？", "培训要留什么记录？", "内审怎么做？"):
        answer = kb.ask(question)
        line = next(x for x in answer.text.splitlines() if x.startswith("相关 ISO 9001 条款："))
        named = line.removeprefix("相关 ISO 9001 条款：").split("、")
        assert set(named) <= {c.clause for c in answer.citations}, (question, named)
        assert not any(n.startswith("4.4") for n in named), (question, named)


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


def test_follow_up_keeps_the_topic_and_takes_the_new_intent(kb: Assistant) -> None:
    answer = kb.ask("那要留什么记录？", history=[("不合格品怎么处理？", "发现不合格品要标识、隔离……")])
    assert answer.intent == "records" and "8.7.2" in answer.text


def test_example_follow_up_keeps_the_topic(kb: Assistant) -> None:
    answer = kb.ask("举个例子", history=[("内审怎么做？", "内部审核可用于……")])
    assert "内部审核" in answer.standalone_question
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
