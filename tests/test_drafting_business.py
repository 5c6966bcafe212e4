"""Drafts that fit the business (issue 11): seven firms of different business models, drafted for real.

Each profile in tests/drafting/*.yaml is drafted as a whole pack (templates, python-docx, openpyxl). The tests
read the generated text the way a quality manager would: nothing from another trade, every own step with
controls of its own, one story about what applies (4.3), clean sentences, forms and a coverage matrix.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import docx
import openpyxl
import pytest

from assistant.config import Settings
from assistant.drafting.builder import Company, Drafter
from assistant.drafting.coverage import EXCLUDED, GAP, gaps, xlsx_bytes
from assistant.drafting.export_docx import docx_bytes
from assistant.drafting.export_markdown import to_markdown
from assistant.drafting.models import AuditChecklist, DraftDocument, FormBody, ProcessCard
from assistant.drafting.profile import load_profile
from assistant.drafting.templates import RoleName, tidy

PROFILES = Path(__file__).parent / "drafting"

# profile → (business model, excluded clauses, special own steps, words that belong to other trades)
EXPECTED = {
    "trader": (
        "贸易",
        {"8.3", "7.1.5.2"},
        [],
        ["车床", "炉号", "首件", "注塑", "反应釜", "pH", "工艺卡", "出厂合格率"],
    ),
    "service": ("服务", {"8.3"}, [], ["首件", "车床", "炉号", "反应釜", "注塑", "工艺卡", "出厂合格率"]),
    "software": ("软件与集成", {"7.1.5.2"}, [], ["首件", "车床", "炉号", "反应釜", "pH", "注塑", "扭矩", "工艺卡"]),
    "jobshop": ("制造", {"8.3"}, [], ["pH", "反应釜", "注塑", "吹膜", "软件开发", "熟化"]),
    "plant": ("制造", {"8.3"}, ["复合"], ["车床", "炉号", "反应釜", "pH", "扭矩", "焊工"]),
    "assembler": ("制造", set(), [], ["pH", "反应釜", "注塑", "炉号", "吹膜"]),
    "moulder": ("制造", set(), [], ["pH 计", "反应釜", "配方", "车床", "炉号", "扭矩"]),
}
JOB_TITLES = "检验员|采购员|采购人员|业务人员|跟单人员|项目经理|工程师|技术人员|人事专员|商务人员|负责人|设计人员"


@dataclass
class Drafted:
    company: Company
    docs: list[DraftDocument]
    text: str
    matrix: list


@pytest.fixture(scope="module")
def drafter(tmp_path_factory) -> Drafter:
    return Drafter(Settings(data_dir=tmp_path_factory.mktemp("business"), llm_backend="none"))


@pytest.fixture(scope="module")
def packs(drafter) -> dict[str, Drafted]:
    out = {}
    for name in EXPECTED:
        profile = load_profile(PROFILES / f"{name}.yaml")
        docs = drafter.pack(profile)
        text = "\n".join(to_markdown(d) for d in docs)
        out[name] = Drafted(drafter.company(profile), docs, text, drafter.coverage(profile, docs))
    return out


def _cards(d: Drafted) -> dict[str, ProcessCard]:
    return {doc.body.name: doc.body for doc in d.docs if isinstance(doc.body, ProcessCard)}


@pytest.mark.parametrize("name", EXPECTED)
def test_no_content_from_another_trade(packs, name):
    d = packs[name]
    business, *_, foreign = EXPECTED[name]
    assert d.company.business.name == business
    found = {w: d.text.count(w) for w in foreign if w in d.text}
    assert not found, f"{name}: {found}"
    assert not re.search(r"[{}]", d.text)  # every placeholder filled


@pytest.mark.parametrize("name", EXPECTED)
def test_each_own_step_has_controls_of_its_own(packs, name):
    d = packs[name]
    cards = _cards(d)
    steps = [s for s in d.company.chain.steps]
    controls_seen: dict[str, str] = {}
    for step in steps:
        card = cards[step.name]
        body = "；".join(card.planning + card.controls)
        if not step.known:
            assert "【待填写" in body and "【待填写" in "".join(card.records), step.text
            continue
        e = step.concept.extra
        own = [e.get("first_piece"), e.get("patrol"), *(e.get("checks") or []), *(e.get("parameters") or [])]
        assert any(x and x in body for x in own), f"{name}/{step.text}: {body}"
        if not step.outsourced:
            assert set(card.records) == set(e["records"]) and card.risks == e["risks"], step.text
            assert step.text in card.owner_duty
        key = "；".join(card.controls)
        assert key not in controls_seen, f"{step.text} has the same controls as {controls_seen.get(key)}"
        controls_seen[key] = step.text
    # The user's order is the chain, line by line.
    codes = {p.step.text: p.code for p in d.company.planned if p.step is not None}
    map_doc = next(doc for doc in d.docs if doc.kind == "process_map")
    links = {(k.source, k.target) for k in map_doc.body.links}
    for _, line in d.company.chain.lines:
        for a, b in zip(line, line[1:], strict=False):
            assert (codes[a.text], codes[b.text]) in links, (a.text, b.text)


@pytest.mark.parametrize("name", EXPECTED)
def test_applicability_is_the_same_everywhere(packs, name):
    d = packs[name]
    _, excluded, special, _ = EXPECTED[name]
    a = d.company.applicability
    assert {e.clause for e in a.exclusions} == excluded
    assert a.special_steps == special
    scope = next(doc.body for doc in d.docs if doc.kind == "scope")
    assert {e.clause for e in scope.exclusions} == excluded and all(e.reason for e in scope.exclusions)
    checklist = next(doc.body for doc in d.docs if isinstance(doc.body, AuditChecklist))
    titles = [doc.title for doc in d.docs]
    rows = {r.clause: r for r in d.matrix}
    for clause in excluded:
        # Not claimed by any document, not audited, and the matrix gives the same reason as the scope statement.
        assert not [doc.title for doc in d.docs if any(c == clause or c.startswith(clause + ".") for c in doc.clauses)]
        assert not [r for r in checklist.rows if r.clause == clause or r.clause.startswith(clause + ".")]
        reason = next(e.reason for e in a.exclusions if e.clause == clause)
        assert rows[clause].status == EXCLUDED and reason in rows[clause].note
    if "8.3" in excluded:
        assert not [t for t in titles if "设计和开发过程" in t]
    else:
        # A design card, or an own step that is design (软件开发 covers 8.3 for a software house).
        assert any(doc.kind == "process_card" and any(c.startswith("8.3") for c in doc.clauses) for doc in d.docs)
        assert any(r.clause == "8.3" for r in checklist.rows)
    if "7.1.5.2" in excluded:
        assert "校准计划和记录" not in titles and "《校准计划》" not in d.text
    else:
        assert "校准计划和记录" in titles
    if special:
        assert any("特殊过程确认" in c for c in _cards(d)[f"{special[0]}过程"].controls)
        assert any(r.clause == "8.5.1" and "特殊过程" in r.question for r in checklist.rows)


@pytest.mark.parametrize("name", EXPECTED)
def test_sentences_are_clean(packs, name):
    d = packs[name]
    posts = {str(v) for v in d.company.org.names.values() if isinstance(v, RoleName) and v.is_post}
    for post in posts:
        assert not re.search(re.escape(post) + f"(?:{JOB_TITLES})", d.text), f"{post}+title in {name}"
    assert not re.search(r"由([^，。；、由]{2,12}?)组织\1", d.text)
    assert not re.search(r"([\u4e00-\u9fff]{2,8}(?:部|室|车间))、\1(?![\u4e00-\u9fff])", d.text)
    goals = [o.objective for doc in d.docs if hasattr(doc.body, "objectives") for o in doc.body.objectives]
    assert goals
    for product in d.company.profile.products:
        assert not [g for g in goals if product in g], product


def test_tidy_removes_collisions():
    names = {"总经理", "技术部"}
    assert tidy("由总经理组织总经理评审", names) == "由总经理评审"
    assert tidy("由总经理组织技术部、总经理评审", names) == "由总经理组织技术部评审"
    assert tidy("技术部、技术部会签", names) == "技术部会签"
    assert format(RoleName("总经理", is_post=True), "检验员") == "检验员"
    assert format(RoleName("品质部"), "检验员") == "品质部检验员"


def test_unknown_steps_get_placeholders_not_filler(packs):
    jobshop = packs["jobshop"]
    cutting = _cards(jobshop)["下料过程"]
    text = "；".join(cutting.planning + cutting.controls + cutting.records + cutting.risks)
    assert text.count("【待填写") >= 4 and "首件检验：" not in text
    assert any("下料" in n for n in jobshop.company.assumptions)
    # Outsourced special processes are validated by the outsourcer; the note says so.
    assert "热处理" in jobshop.company.applicability.special_note
    heat = _cards(jobshop)["热处理过程"]
    assert heat.outsourced and any("外包方" in c for c in heat.controls)


def test_regulation_reminders_follow_the_products(packs):
    plant, assembler, trader = packs["plant"], packs["assembler"], packs["trader"]
    assert "食品接触材料" in plant.company.applicability.reminder()
    assert "GB 4806" in plant.text and "请确认适用的法规" in plant.text
    assert "压力容器" in assembler.company.applicability.reminder()
    assert "食品接触材料" not in trader.text and "不是法律意见" in trader.text
    contract = next(doc.body for doc in plant.docs if doc.title == "合同评审表")
    assert any("GB 4806" in row[0] for row in contract.tables[0].rows)


def test_existing_documents_are_referenced_not_duplicated(packs):
    plant = packs["plant"]
    titles = [doc.title for doc in plant.docs]
    assert "不合格品控制程序" not in titles  # the firm has its own
    printing = _cards(plant)["印刷过程"]
    assert printing.rules == ["《印刷作业指导书》（企业现有文件，沿用并纳入体系）"]
    rows = {r.clause: r for r in plant.matrix}
    assert "《不合格品控制程序》" in rows["8.7.1"].own


def test_forms_are_prefilled_and_controlled(packs):
    moulder, trader = packs["moulder"], packs["trader"]
    forms = {doc.title: doc for doc in moulder.docs if doc.kind == "form"}
    assert len(forms) >= 20
    skills = forms["员工技能评定表"].body
    assert isinstance(skills, FormBody) and skills.tables[0].columns[2:] == ["注塑", "过程检验", "包装"]
    equipment = [r[1] for r in forms["设备清单和保养记录"].body.tables[0].rows]
    assert "注塑机" in equipment
    trader_equipment = next(d for d in trader.docs if d.title == "设备清单和保养记录").body.tables[0].rows
    assert not [r for r in trader_equipment if "注塑" in r[1] or "车床" in r[1]]
    issued = forms["文件发放和回收记录"].body.tables[0].rows
    assert [r[1] for r in issued][:3] == [
        "质量管理体系范围和适用性说明",
        "质量方针和质量目标",
        "质量管理体系过程清单和相互关系（过程图）",
    ]
    review = forms["管理评审计划"].body
    assert dict(review.fields)["主持人"] == "总经理"
    for doc in (forms["不符合报告"], forms["8D 问题解决报告"], forms["校准计划和记录"]):
        word = docx.Document(io.BytesIO(docx_bytes(doc)))
        assert [c.text for c in word.tables[0].rows[0].cells] == ["编号", "版本", "编制", "审核", "批准", "日期"]
        assert word.tables[0].cell(1, 0).text == doc.control.number


@pytest.mark.parametrize("name", EXPECTED)
def test_coverage_matrix_accounts_for_every_clause(packs, name):
    d = packs[name]
    rows = d.matrix
    assert [r.clause for r in rows][:2] == ["4", "4.1"] and rows[-1].clause.startswith("10")
    for r in rows:
        assert r.status in {"已覆盖", "企业现有文件", "不适用", "部分覆盖", "缺口"}
        if r.status == "已覆盖" and r.clause.count(".") >= 1 and not r.note.startswith("各子条款"):
            assert r.documents, r.clause
    assert all(rows[[x.clause for x in rows].index(g)].status == GAP for g in gaps(rows))
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(rows, d.company.profile.name)))
    sheet = book["条款覆盖矩阵"]
    assert "existing_documents" in sheet["A2"].value  # says how the firm's own documents are counted
    assert [c.value for c in sheet[3]] == ["条款", "条款标题", "状态", "本文件包中的文件/记录", "企业现有文件", "说明"]
    assert sheet.max_row == len(rows) + 3 and sheet["A4"].value == "4"


def test_drafting_tab_shows_the_matrix_and_the_questions(built_assistant):
    from assistant.web.drafting_tab import DraftingHandlers
    from assistant.web.profile_form import fields_from_profile

    handlers = DraftingHandlers(built_assistant)
    profile = load_profile(PROFILES / "moulder.yaml")  # no business model, no answer about design
    text = handlers.coverage(*fields_from_profile(profile))
    assert "## 起草时的假定和请确认的事项" in text and "推断为“制造”" in text and "8.3" in text
    assert "## 条款覆盖矩阵" in text and "| 条款 | 条款标题 | 状态 |" in text and "existing_documents" in text
    assert re.search(r"\| 8\.5\.1 \| 生产和服务提供的控制 \| 已覆盖 \| [^|]*注塑过程", text)
    scope = handlers.preview(*fields_from_profile(profile), ["体系范围和适用性说明（4.3）"])
    assert scope.startswith("# 质量管理体系范围和适用性说明") and "注塑→过程检验→包装" in scope


def test_a_bare_profile_gets_general_content_and_visible_gaps(drafter):
    """Only name, trade, size and products: nothing from another trade, 【待填写】 where the firm must say more."""
    bare = load_profile(PROFILES / "bare.yaml")
    c = drafter.company(bare)
    docs = drafter.pack(bare)
    text = "\n".join(to_markdown(d) for d in docs)
    assert c.business.name == "制造" and any("暂按“制造”起草" in a for a in c.assumptions)
    assert [s.text for s in c.chain.steps] == ["生产", "成品检验"]
    assert text.count("【待填写") >= 8 and "宠物用品" in text
    for word in ("注塑", "车床", "反应釜", "焊接", "软件开发", "炉号", "pH"):
        assert word not in text, word
    # Design assumed to apply (safer than excluding it unasked), and the question is put to the firm.
    assert not c.applicability.exclusions[:1] or c.applicability.exclusions[0].clause != "8.3"
    assert any("自行设计" in q for q in c.business.questions)


def test_uploaded_documents_count_in_the_coverage_matrix(built_assistant, tmp_path):
    """A procedure the firm uploaded to the knowledge base counts for its clauses (and is removed afterwards)."""
    path = tmp_path / "售后服务管理办法.md"
    path.write_text("# 售后服务管理办法\n\n产品交付后的保修、回访和投诉处理按本办法执行。\n", encoding="utf-8")
    report = built_assistant.ingest_files([path], progress=False)
    try:
        drafter = Drafter(built_assistant)
        assert "售后服务管理办法" in drafter.uploaded_titles()
        profile = load_profile(PROFILES / "moulder.yaml")
        docs = drafter.pack(profile)
        rows = {r.clause: r for r in drafter.coverage(profile, docs)}
        assert "《售后服务管理办法》" in rows["8.5.5"].own and rows["8.5.5"].status == "企业现有文件"
        without = {r.clause: r for r in Drafter(built_assistant.settings).coverage(profile, docs)}
        assert without["8.5.5"].status == GAP
    finally:
        for source in [*report.added, *report.updated]:
            built_assistant.remove_source(source)
