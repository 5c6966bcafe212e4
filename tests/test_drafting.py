"""Drafting (issues #4, #11): profile → scope, process cards, procedures, objectives, checklist, forms, Word,
Markdown, ZIP with the coverage matrix. Business models and own steps in depth: tests/test_drafting_business.py.

Everything runs for real: the templates under corpus/templates, python-docx, zipfile, the typer CLI, a real
index for retrieval-enriched sources and a loopback OpenAI-compatible endpoint for the LLM path.
"""

from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import docx
import openpyxl
import pytest
import yaml
from docx.oxml.ns import qn
from support.openai_stub import free_port
from typer.testing import CliRunner

from assistant.config import Settings
from assistant.drafting.builder import Drafter
from assistant.drafting.cli import draft_app
from assistant.drafting.export_docx import write_docx
from assistant.drafting.export_markdown import to_markdown
from assistant.drafting.models import AuditChecklist, ProcessCard, ProcessMap
from assistant.drafting.pack import LIST_NAME, MATRIX_NAME, PROFILE_NAME
from assistant.drafting.profile import load_profile, profile_from_dict, save_profile
from assistant.drafting.templates import load_catalogue
from assistant.errors import InputError
from assistant.understanding import ConceptModel
from ingest.clauses import clause_index

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"

IT_PROFILE = {
    "name": "杭州云联信息系统集成有限公司",
    "industry": "系统集成",
    "business": "软件与集成",
    "own_design": "否",  # integrates the makers' products to the client's design
    "headcount": "12人",
    "products": "网络综合布线、机房建设、安防监控系统集成",
    "processes": ["系统集成", "运维"],
    "departments": "总经理、商务部、项目部、技术部",
}
METAL_PROFILE = {
    "name": "佛山精锐五金制品有限公司",
    "industry": "五金加工",
    "business": "制造",
    "own_design": "否",
    "headcount": 40,
    "products": ["不锈钢紧固件", "冲压支架"],
    "processes": "冲压、机加工、检验",
    "outsourced": "电镀",
    "departments": ["总经理", "销售部", "采购部", "技术部", "生产车间", "品质部", "仓库", "行政人事部"],
    "existing_documents": ["采购管理办法", "员工手册"],
}


@pytest.fixture(scope="module")
def drafter(tmp_path_factory) -> Drafter:
    return Drafter(Settings(data_dir=tmp_path_factory.mktemp("drafting"), llm_backend="none"))


@pytest.fixture(scope="module")
def it():
    return profile_from_dict(IT_PROFILE)


@pytest.fixture(scope="module")
def metal():
    return profile_from_dict(METAL_PROFILE)


def _yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _guide_paths() -> set[str]:
    paths, stack = set(), []
    for line in (CORPUS / "guide" / "guide.md").read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^(#{2,6}) (.+)$", line):
            stack = stack[: len(m.group(1)) - 2] + [m.group(2).strip()]
            paths.add(" > ".join(stack))
    return paths


# ---- profile ---------------------------------------------------------------------------------------------
def test_profile_keeps_the_users_words_and_reads_lines(it, metal):
    assert (it.industry, it.business, it.headcount) == ("系统集成", "软件与集成", 12)
    assert it.products == ["网络综合布线", "机房建设", "安防监控系统集成"]
    assert (metal.industry, metal.steps, metal.outsourced, metal.own_design) == (
        "五金加工",
        ["冲压", "机加工", "检验"],
        ["电镀"],
        False,
    )
    plating = profile_from_dict({"企业名称": "甲", "行业": "电镀", "员工人数": "8 人", "产品": "镀锌件；镀铬件"})
    assert (plating.name, plating.industry, plating.headcount, plating.products) == (
        "甲",
        "电镀",
        8,
        ["镀锌件", "镀铬件"],
    )
    # Parallel lines: a mapping, a list of lists, or one "line：steps" per text line.
    base = {"name": "乙", "industry": "塑料软包装", "headcount": 30, "products": "包装袋"}
    forms = [
        {"吹膜线": ["吹膜", "分切"], "制袋线": "印刷→复合→制袋"},
        [["吹膜", "分切"], ["印刷", "复合", "制袋"]],
        "吹膜线：吹膜、分切\n制袋线：印刷→复合→制袋",
    ]
    for value in forms:
        lines = profile_from_dict({**base, "processes": value}).processes
        assert [ln.steps for ln in lines] == [["吹膜", "分切"], ["印刷", "复合", "制袋"]], value
    named = profile_from_dict({**base, "processes": forms[2]})
    assert [ln.name for ln in named.processes] == ["吹膜线", "制袋线"]
    assert profile_from_dict({**base, "processes": named.lines_text()}) == named
    assert profile_from_dict({**base, "自有生产": "是", "现场服务": "否"}).own_production is True


def test_profile_yaml_roundtrip(tmp_path, metal):
    path = save_profile(metal, tmp_path)
    assert path.suffix == ".yaml" and load_profile(path) == metal
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["processes"] == ["冲压", "机加工", "检验"]
    lines = load_profile(REPO / "tests" / "drafting" / "plant.yaml")  # two named lines
    assert [ln.name for ln in lines.processes] == ["吹膜线", "复合制袋线"]
    assert load_profile(save_profile(lines, tmp_path)) == lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: 甲\nindustry: 化工\nheadcount: 很多\nproducts: 涂料\n", ["员工人数", "整数"]),
        ("name: 甲\nindustry: 化工\nheadcount: 9\nproducts: 涂料\ncolour: red\n", ["colour", "不认识的字段"]),
        ("name: 甲\nindustry: 化工\nheadcount: 9\n", ["主要产品/服务", "必须填写"]),
        ("name: 甲\nindustry: 化工\nheadcount: 9\nproducts: 涂料\nown_design: 也许\n", ["自行设计", "是 / 否"]),
        ("name: 甲\n  industry: [化工\n", ["YAML 格式错误"]),
        ("- 只是一个列表\n", ["字段"]),
    ],
)
def test_bad_profile_gives_chinese_error(tmp_path, text, expected):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_profile(path)
    assert all(word in str(err.value) for word in expected), str(err.value)


# ---- templates ----------------------------------------------------------------------------------------------
def test_templates_are_consistent_with_guide_clauses_and_concepts():
    catalogue = load_catalogue(CORPUS)
    model = ConceptModel.load(CORPUS)
    assert catalogue.problems() == []
    assert set(catalogue.business) == {c.extra["template"] for c in model.of_kind("business_model")}
    headings, clauses = _guide_paths(), clause_index(CORPUS)
    sections = [s for p in catalogue.processes.values() for s in p.guide_sections]
    sections += [s for p in catalogue.procedures for s in p.guide_sections]
    sections += [s for f in catalogue.forms for s in f["guide_sections"]]
    assert sections and not [s for s in sections if s not in headings]
    numbers = [c for p in catalogue.processes.values() for c in p.clauses]
    numbers += [c for p in catalogue.procedures for c in p.clauses]
    numbers += [c for o in catalogue.objectives.values() for c in o.clauses]
    numbers += [c for f in catalogue.forms for c in f["clauses"]]
    numbers += [c for s in model.of_kind("process_step") for c in s.clauses]
    assert not [n for n in numbers if n not in clauses]
    # Every topic a procedure or the document-topic list names exists in the shared concept model.
    topics = [t for p in catalogue.procedures for t in p.topics] + catalogue.document_topics
    assert topics and all(t in model for t in topics)
    # The step library: at least 30 steps, each with controls of its own, owned by a known role.
    steps = model.of_kind("process_step")
    assert len(steps) >= 30
    for step in steps:
        e = step.extra
        assert e["owner"] in catalogue.roles and e["objective"] in catalogue.objectives, step.name
        assert e["parameters"] and e["risks"] and e["records"] and len(e["risks"]) == len(e["risk_actions"]), step.name
        assert not e.get("special") or e.get("validation"), step.name  # 8.5.1 f: how the process is validated
    assert len(catalogue.forms) >= 20 and len({f["code"] for f in catalogue.forms}) == len(catalogue.forms)
    # The guide's own example objective is carried over verbatim.
    first_pass = catalogue.objectives["first_pass_yield"]
    assert (first_pass.target, first_pass.formula) == ("≥96%", "合格数量÷一次检验总数量×100%")


# ---- contrasting companies -------------------------------------------------------------------------------
def test_drafts_differ_for_it_integrator_and_plating_outsourcer(drafter, it, metal):
    it_map, metal_map = drafter.process_map(it).body, drafter.process_map(metal).body
    assert isinstance(it_map, ProcessMap) and isinstance(metal_map, ProcessMap)
    core = {m: [p.name for p in b.processes if p.type == "核心"] for m, b in (("it", it_map), ("metal", metal_map))}
    assert core["it"] == ["市场开发过程", "项目管理策划过程", "系统集成过程", "运维过程", "项目沟通过程"]
    assert core["metal"] == ["市场开发过程", "冲压过程", "机加工过程", "检验过程", "外包过程（电镀）"]
    assert [p.code for p in it_map.processes][:3] == ["M1", "M2", "M3"]
    # The user's order is the chain: 冲压 → 机加工 → 检验.
    links = {(k.source, k.target) for k in metal_map.links}
    assert {("C2", "C3"), ("C3", "C4")} <= links and ("C4", "C3") not in links

    # Outsourcing: flagged, fed by the S-process for external provision, and only where the profile says so.
    plating = next(p for p in metal_map.processes if p.outsourced)
    supplier = next(p for p in metal_map.processes if p.name == "外部提供过程")
    assert supplier.code.startswith("S") and plating.code.startswith("C")
    assert any(k.source == supplier.code and k.target == plating.code for k in metal_map.links)
    assert not any(p.outsourced for p in it_map.processes)
    plating_card = drafter.card(metal, "电镀").body
    assert any("镀层" in c or "膜厚" in c for c in plating_card.controls + [plating_card.monitoring])
    it_supply = drafter.procedure(it, "外部提供").body
    assert not [s for s in it_supply.steps if "外包" in s.step]
    metal_rows, it_rows = drafter.audit_checklist(metal).body.rows, drafter.audit_checklist(it).body.rows
    assert any(r.clause == "8.4.3" and "外包过程（电镀）" in r.process for r in metal_rows)
    assert not any(r.clause == "8.4.3" for r in it_rows)

    # Size: 12 people → combined roles and fewer records; 40 people → a separate management representative.
    it_review, metal_review = drafter.procedure(it, "管理评审"), drafter.procedure(metal, "管评")
    assert it_review.control.reviewed == "总经理（兼管理者代表）" and metal_review.control.reviewed == "管理者代表"
    assert it_review.body.responsibilities[0].role == "总经理（兼管理者代表）"
    assert len(it_review.body.responsibilities) < len(metal_review.body.responsibilities)
    assert "年度经营总结会合并" in it_review.body.steps[0].detail
    assert len(drafter.procedure(it, "文件控制").body.records) < len(drafter.procedure(metal, "QP-01").body.records)

    # The company's own names: departments, steps, existing documents; objectives never carry product names.
    stamping = drafter.card(metal, "冲压").body
    assert isinstance(stamping, ProcessCard)
    assert (stamping.name, stamping.owner_dept) == ("冲压过程", "生产车间")
    assert any(c.startswith("首件检验：") for c in stamping.controls)
    assert drafter.card(it, "运维").body.owner_dept == "项目部"
    assert "采购管理办法" in " ".join(drafter.card(metal, "外部提供").body.rules)
    it_goals = [o.objective for o in drafter.objectives(it).body.objectives]
    metal_goals = [o.objective for o in drafter.objectives(metal).body.objectives]
    assert "项目一次验收通过率" in it_goals and "外包回厂检验合格率" in metal_goals
    assert "外包回厂检验合格率" not in it_goals
    assert not [g for g in metal_goals if "紧固件" in g or "支架" in g]


def test_unknown_process_and_procedure(drafter, it):
    with pytest.raises(InputError, match="过程清单中没有“无人机巡检”"):
        drafter.card(it, "无人机巡检")
    with pytest.raises(InputError, match="过程名称或编号"):
        drafter.card(it, "  ")
    with pytest.raises(InputError, match="可选：文件和记录控制"):
        drafter.procedure(it, "财务报销")
    with pytest.raises(InputError, match="不认识经营模式“外贸工厂”.*制造、贸易"):
        drafter.company(profile_from_dict({**IT_PROFILE, "business": "外贸工厂"}))
    assert len(drafter.available_procedures()) == 8


# ---- export ----------------------------------------------------------------------------------------------
def test_process_card_docx_is_laid_out_like_table_3_1(drafter, metal, tmp_path):
    path = write_docx(drafter.card(metal, "机加工"), tmp_path / "卡.docx")
    document = docx.Document(str(path))
    control, card = document.tables[0], document.tables[1]
    assert [c.text for c in control.rows[0].cells] == ["编号", "版本", "编制", "审核", "批准", "日期"]
    assert control.cell(1, 0).text == "QM-PC-C3"
    assert (card.cell(0, 0).text, card.cell(0, 1).text, card.cell(0, 2).text, card.cell(0, 3).text) == (
        "过程名称",
        "机加工过程",
        "过程编号",
        "C3",
    )
    labels = [row.cells[0].text for row in card.rows]
    assert {
        "过程控制活动",
        "过程管理者",
        "过程输入",
        "过程输出",
        "过程准则方法",
        "过程资源",
        "过程风险机遇",
        "过程目标（绩效评价）",
    } <= set(labels)
    header = next(i for i, row in enumerate(card.rows) if row.cells[2].text == "计算公式")
    goal_rows = card.rows[header + 1 :]
    assert goal_rows and all("×100%" in row.cells[2].text for row in goal_rows)
    assert card.cell(1, 1).text.startswith("1、策划内容：") and "2、过程控制：" in card.cell(1, 1).text
    assert "首件检验" in card.cell(1, 1).text and "千分尺" in " ".join(c.text for r in card.rows for c in r.cells)
    # Merged label column: the input rows report the same "过程输入" cell.
    assert labels.count("过程输入") >= 2
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "宋体"
    assert any("依据与来源" == p.text for p in document.paragraphs)


def test_markdown_has_pipe_tables_and_sources(drafter, metal):
    text = to_markdown(drafter.card(metal, "电镀"))
    assert (
        "| 栏目 | 项目 | 内容 | 补充1 | 补充2 |" in text and "| 过程名称 | 外包过程（电镀） | 过程编号 | C5 |" in text
    )
    assert "### 依据与来源" in text
    assert "三、小微企业质量管理体系建设方法步骤 > （六）生产过程控制 > 2. 过程设计" in text
    assert "ISO 9001:2015 8.4.3 提供给外部供方的信息" in text
    table_lines = [line for line in text.splitlines() if line.startswith("|")]
    assert table_lines and all(line.endswith("|") for line in table_lines)


def test_pack_zip_holds_every_document_and_the_matrix(drafter, metal, tmp_path):
    path, docs = drafter.write_pack(metal, tmp_path / "包.zip")
    kinds = [d.kind for d in docs]
    # 采购管理办法 is the firm's own 外部提供 procedure: kept, not drafted a second time.
    assert kinds.count("procedure") == 7 and "外部提供过程控制程序" not in [d.title for d in docs]
    assert kinds.count("process_card") == len(drafter.process_map(metal).body.processes)
    assert kinds.count("form") >= 20 and kinds[0] == "scope"
    assert all(d.sources and d.clauses for d in docs)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert len(names) == 2 * len(docs) + 4
        root = names[0].split("/")[0]
        assert root == "佛山精锐五金制品有限公司-质量管理体系文件包"
        assert f"{root}/Word版/01-质量管理体系范围和适用性说明.docx" in names
        assert any(n.endswith("过程识别卡-C5-外包过程（电镀）.docx") for n in names)
        for name in names:
            assert not re.search(r"[\\:*?\"<>|]", name) and ".." not in name
            if name.endswith(".docx"):
                assert docx.Document(io.BytesIO(zf.read(name))).tables
            if name.endswith(".md") and "/Markdown版/" in name:
                text = zf.read(name).decode("utf-8")
                assert "| --- |" in text and "{" not in text, name  # placeholders all filled
        listing = zf.read(f"{root}/{LIST_NAME}").decode("utf-8")
        assert all(d.title in listing for d in docs) and "不锈钢紧固件" in listing
        assert "沿用企业现有《采购管理办法》" in listing and "企业现有文件如何计入" in listing
        assert profile_from_dict(yaml.safe_load(zf.read(f"{root}/{PROFILE_NAME}"))) == metal
        sheet = openpyxl.load_workbook(io.BytesIO(zf.read(f"{root}/{MATRIX_NAME}"))).active
        values = list(sheet.iter_rows(min_row=4, values_only=True))
        assert ("8.3", "产品和服务的设计和开发") == values[[v[0] for v in values].index("8.3")][:2]
        assert values[[v[0] for v in values].index("8.3")][2] == "不适用"


# ---- CLI -------------------------------------------------------------------------------------------------
def test_cli_pack_card_and_errors(tmp_path):
    runner = CliRunner()
    profile = _yaml(tmp_path / "it.yaml", IT_PROFILE)
    out = tmp_path / "pack.zip"
    result = runner.invoke(draft_app, ["pack", "--profile", str(profile), "-o", str(out), "--no-index"])
    assert result.exit_code == 0, result.output
    assert "已生成文件包" in result.output
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None and any(n.endswith("系统集成过程.docx") for n in zf.namelist())
    # Without a business model the CLI says what it assumed, from the steps the user gave.
    guess = _yaml(tmp_path / "guess.yaml", {k: v for k, v in METAL_PROFILE.items() if k != "business"})
    result = runner.invoke(draft_app, ["pack", "-p", str(guess), "-o", str(tmp_path / "g.zip"), "--no-index"])
    assert result.exit_code == 0 and "推断为“制造”" in result.output, result.output
    result = runner.invoke(draft_app, ["scope", "-p", str(guess), "--no-index", "--raw"])
    assert result.exit_code == 0 and "| 8.3 | 产品和服务的设计和开发 |" in result.output

    card = tmp_path / "card.docx"
    result = runner.invoke(draft_app, ["card", "-p", str(profile), "--process", "C2", "-o", str(card), "--no-index"])
    assert result.exit_code == 0 and docx.Document(str(card)).tables[1].cell(0, 1).text == "项目管理策划过程"
    result = runner.invoke(draft_app, ["procedure", "-p", str(profile), "--kind", "内审", "--no-index", "--raw"])
    assert result.exit_code == 0 and "# 内部审核控制程序" in result.output and "| 序号 | 步骤 |" in result.output

    bad = _yaml(tmp_path / "bad.yaml", {**IT_PROFILE, "headcount": "很多"})
    result = runner.invoke(draft_app, ["map", "-p", str(bad), "--no-index"])
    assert result.exit_code == 1 and "企业概况有误" in result.output and "员工人数" in result.output
    result = runner.invoke(draft_app, ["objectives", "-p", str(profile), "-o", str(tmp_path / "x.pdf"), "--no-index"])
    assert result.exit_code == 1 and ".docx 或 .md" in result.output


# ---- knowledge base and LLM ------------------------------------------------------------------------------
def test_sources_are_enriched_by_retrieval(built_assistant, drafter, metal):
    enriched = Drafter(built_assistant)  # the session's real index (tests/conftest.py)
    headings = _guide_paths()
    card = enriched.card(metal, "外包")
    assert any(s.retrieved for s in card.sources), card.sources
    assert all(s.ref in headings for s in card.sources if s.kind == "guide")
    assert "8.4.3" in [s.ref for s in card.sources if s.kind == "clause"]
    audit = enriched.procedure(metal, "内部审核")
    assert any(s.retrieved and s.kind == "clause" and s.ref.startswith("9.2") for s in audit.sources)
    # Search adds sections the template did not name; the template's own basis stays first.
    plain, searched = drafter.process_map(metal).sources, enriched.process_map(metal).sources
    added = [s for s in searched if (s.kind, s.ref) not in {(p.kind, p.ref) for p in plain}]
    assert added and all(s.retrieved for s in added)
    plain_guides = [s.ref for s in plain if s.kind == "guide"]
    assert [s.ref for s in searched if s.kind == "guide"][: len(plain_guides)] == plain_guides
    assert "知识库检索命中" in to_markdown(enriched.objectives(metal))


def test_llm_failure_falls_back_to_template(tmp_path, metal):
    settings = Settings(
        data_dir=tmp_path,
        llm_backend="openai",
        llm_base_url=f"http://127.0.0.1:{free_port()}/v1",
        llm_timeout_s=5,
    )
    doc = Drafter(settings).card(metal, "冲压")
    template = Drafter(Settings(data_dir=tmp_path, llm_backend="none")).card(metal, "冲压")
    assert doc.body == template.body
    assert any(n.startswith("大模型完善未成功") and "无法连接" in n for n in doc.notices), doc.notices


class _ChatEndpoint(BaseHTTPRequestHandler):
    """An OpenAI-compatible streaming endpoint that edits the draft JSON it finds in the prompt."""

    def do_POST(self):  # noqa: N802 - http.server's naming
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = request["messages"][-1]["content"]
        draft = json.loads(prompt.split("模板草稿（JSON）：", 1)[1].rsplit("请输出", 1)[0])
        draft.update(owner_duty="负责冲压和机加工全过程的策划、实施和改进", name="模型改的名字")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for delta, finish in (
            ({"role": "assistant", "content": json.dumps(draft, ensure_ascii=False)}, None),
            ({}, "stop"),
        ):
            chunk = {
                "id": "c1",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": request["model"],
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


def test_llm_refines_the_template_draft(tmp_path, metal):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChatEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = Settings(
            data_dir=tmp_path,
            llm_backend="openai",
            llm_timeout_s=10,
            llm_base_url=f"http://127.0.0.1:{server.server_port}/v1",
        )
        doc = Drafter(settings).card(metal, "冲压")
    finally:
        server.shutdown()
    assert isinstance(doc.body, ProcessCard)
    assert doc.body.owner_duty == "负责冲压和机加工全过程的策划、实施和改进"
    assert (doc.body.name, doc.body.code) == ("冲压过程", "C2")  # identity is not the model's to change
    assert any("大模型" in n and "人工审核" in n for n in doc.notices)
    assert isinstance(Drafter(Settings(data_dir=tmp_path)).audit_checklist(metal).body, AuditChecklist)
