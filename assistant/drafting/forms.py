"""The record forms of the pack (corpus/templates/forms.yaml), pre-filled from the profile.

Each `SOURCES` entry turns the company (business model, own steps, applicability, org) and the pack's other
drafts into table rows, so a firm can print the forms and use them the same day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.drafting.models import DraftDocument, FormBody, FormTable, ProcessCard, QualityPolicyAndObjectives
from assistant.drafting.templates import Catalogue

if TYPE_CHECKING:
    from assistant.drafting.builder import Company

Rows = list[list[str]]
OFFICE_WORK = {"商务", "软件"}
REVIEW_INPUTS = [
    ("以往管理评审措施的落实情况", "管理者代表"),
    ("内外部因素和相关方要求的变化", "质量"),
    ("顾客满意和投诉、相关方反馈", "销售"),
    ("质量目标的完成情况", "质量"),
    ("过程绩效和产品、服务的合格情况", "生产"),
    ("不合格和纠正措施", "质量"),
    ("监视和测量结果", "质量"),
    ("内部审核结果", "管理者代表"),
    ("外部供方的绩效", "采购"),
    ("资源是否充分", "行政"),
    ("风险和机遇应对措施的有效性", "质量"),
    ("改进的机会", "管理者代表"),
]


@dataclass(frozen=True)
class BuiltForm:
    code: str
    title: str
    clauses: list[str]
    guide_sections: list[str]
    body: FormBody


def _cards(docs: list[DraftDocument]) -> list[ProcessCard]:
    return [d.body for d in docs if isinstance(d.body, ProcessCard)]


def _own(c: Company) -> list:
    return [p for p in c.planned if p.step is not None and not p.outsourced]


def factors(c: Company, docs: list[DraftDocument]) -> Rows:
    p, owner = c.profile, c.org.name("管理者代表")
    rows = [[k, f, e] for k, f, e in c.business.template.factors]
    if c.org.small:
        rows.append(["内部", f"员工 {p.headcount} 人，一人多岗", "职责要写清楚，记录要少而必要"])
    if p.outsourced:
        rows.append(["外部", f"依赖外包方完成{'、'.join(p.outsourced)}", "外包结果直接影响产品质量"])
    if c.chain.unknown():
        rows.append(["内部", "【待填写：本公司特有的技术、设备或市场因素】", "【待填写】"])
    return [[*r, "", owner, ""] for r in rows]


def parties(c: Company, docs: list[DraftDocument]) -> Rows:
    o = c.org
    products = "、".join(c.profile.products)
    rows = [
        [
            "顾客",
            f"{products}符合约定要求、按时交付、问题及时处理",
            "合同评审、交付检查、满意度调查和投诉处理",
            o.name("销售"),
        ],
        ["供方和外包方", "订单要求明确、按时付款、长期合作", "采购订单、供方评价", o.name("采购")],
        ["员工", "安全的工作条件、培训和发展、按时发放报酬", "培训、沟通会、员工意见", o.name("行政")],
        ["监管部门", c.applicability.reminder(), "识别和更新适用法规清单，产品和过程满足法规", o.name("质量")],
        ["股东或投资人", "经营稳定、质量风险受控", "管理评审、经营分析", o.name("最高管理者")],
    ]
    return rows


def risks(c: Company, docs: list[DraftDocument]) -> Rows:
    rows = []
    for card in _cards(docs):
        for risk, action in zip(card.risks, card.risk_actions, strict=False):
            rows.append([f"{card.code} {card.name}", "风险", risk, action, card.owner_dept, "", ""])
        for chance, action in zip(card.opportunities[:1], card.opportunity_actions[:1], strict=False):
            rows.append([f"{card.code} {card.name}", "机遇", chance, action, card.owner_dept, "", ""])
    return rows


def audit_programme(c: Company, docs: list[DraftDocument]) -> Rows:
    excluded = c.applicability.excludes
    return [
        [
            str(i),
            f"{p.code} {p.name}",
            c.org.name(p.owner_role),
            "、".join(n for n in p.clauses[:4] if not excluded(n)),
            "",
            "",
            "",
        ]
        for i, p in enumerate(c.planned, 1)
    ]


def audit_plan(c: Company, docs: list[DraftDocument]) -> Rows:
    by_dept: dict[str, list] = {}
    for p in c.planned:
        by_dept.setdefault(c.org.name(p.owner_role), []).append(p)
    return [
        ["", dept, "、".join(p.name for p in ps), "、".join(dict.fromkeys(n for p in ps for n in p.clauses[:2])), ""]
        for dept, ps in by_dept.items()
    ]


def review_inputs(c: Company, docs: list[DraftDocument]) -> Rows:
    return [[str(i), text, c.org.name(role), "评审前一周"] for i, (text, role) in enumerate(REVIEW_INPUTS, 1)]


def review_inputs_blank(c: Company, docs: list[DraftDocument]) -> Rows:
    return [[str(i), text, "", ""] for i, (text, _) in enumerate(REVIEW_INPUTS, 1)]


def objectives(c: Company, docs: list[DraftDocument]) -> Rows:
    body = next((d.body for d in docs if isinstance(d.body, QualityPolicyAndObjectives)), None)
    return [[o.objective, o.target, "", "", ""] for o in (body.objectives if body else [])]


def training_needs(c: Company, docs: list[DraftDocument]) -> Rows:
    rows = [["全体员工", "理解质量方针、本岗位的质量目标和不符合要求的后果", "", "质量意识培训", ""]]
    for p in _own(c):
        s = p.step
        need = "、".join((s.get("parameters") or [])[:3]) if s.known else f"【待填写：{s.text}岗位需要的技能】"
        rows.append(
            [f"{c.org.name(p.owner_role)}：{s.get('people') or s.text + '岗位'}", need, "", f"{s.text}岗位技能", ""]
        )
    return rows


def training_plan(c: Company, docs: list[DraftDocument]) -> Rows:
    rows = [
        ["质量方针、目标和质量意识", "全体员工", "", "授课", "提问"],
        ["内部审核员培训", "内审员", "", "外训或内训", "考试"],
    ]
    for p in _own(c):
        s = p.step
        rows.append(
            [
                f"《{s.text}作业指导书》和关键参数",
                str(s.get("people") or f"{s.text}岗位人员"),
                "",
                "现场示范、师带徒",
                "实操考核",
            ]
        )
        if s.special and c.applicability.applies("8.5.1f"):
            rows.append([f"{s.text}特殊过程操作资格", str(s.get("people") or s.text), "", "培训并考核", "资格评定"])
    return [[str(i), *r, ""] for i, r in enumerate(rows, 1)]


def skills(c: Company, docs: list[DraftDocument]) -> tuple[list[str], Rows]:
    return ["姓名", "部门或岗位", *(p.step.text for p in _own(c))], []


def equipment(c: Company, docs: list[DraftDocument]) -> Rows:
    rows, seen = [], set()
    for p in _own(c):
        s = p.step
        if s.category in OFFICE_WORK:
            continue  # quoting, ordering or coding runs on office computers, not on equipment to maintain
        if not s.known:
            rows.append(["", f"【待填写：{s.text}所用设备】", s.text, "【待填写】", "", ""])
            continue
        for item in s.get("equipment") or []:
            if item not in seen:
                seen.add(item)
                rows.append(["", item, s.text, str(s.get("maintenance") or "按说明书保养"), "", ""])
    return rows


def calibration(c: Company, docs: list[DraftDocument]) -> Rows:
    rows, seen = [], set()
    for p in _own(c):
        s = p.step
        if s.known and not s.get("traceable_measurement"):
            continue
        items = (s.get("monitoring") or []) if s.known else [f"【待填写：{s.text}所用量具或仪器】"]
        for item in items:
            if item not in seen:
                seen.add(item)
                rows.append(["", item, s.text, "12 个月（按使用频次调整）", "", "", "", ""])
    return rows


def contract_items(c: Company, docs: list[DraftDocument]) -> Rows:
    sell = c.org.name("销售")
    return [
        ["产品或服务的要求（型号规格、数量、质量标准）是否明确", "", sell],
        ["交期和交付方式能否满足", "", c.org.name("生产")],
        [c.applicability.reminder(), "", c.org.name("质量")],
        ["顾客的特殊要求（包装、标识、验收、售后）", "", sell],
        ["与以前的报价或合同不一致之处是否已解决", "", sell],
    ]


def supplier_survey(c: Company, docs: list[DraftDocument]) -> Rows:
    return [
        [x, "", ""]
        for x in (
            "营业执照和相关资质、许可",
            "质量管理体系或认证情况",
            "生产或供货能力",
            "检验能力和出厂检验报告",
            "以往业绩和顾客评价",
            "价格和交期",
        )
    ]


def _supplies(c: Company) -> list[str]:
    items = [m for p in _own(c) for m in (p.step.get("materials") or [])]
    bought = [] if c.business.own_production else c.profile.products  # a trader buys what it sells
    return list(dict.fromkeys([*bought, *items, *c.profile.outsourced]))


def suppliers(c: Company, docs: list[DraftDocument]) -> Rows:
    return [["", item, "", "", "", "", "", ""] for item in _supplies(c)]


def documents_issued(c: Company, docs: list[DraftDocument]) -> Rows:
    depts = "、".join(c.profile.departments) or "各部门"
    return [[d.control.number, d.title, d.control.version, depts, "", "", "", ""] for d in docs]


SOURCES: dict[str, Callable] = {
    "factors": factors,
    "parties": parties,
    "risks": risks,
    "audit_programme": audit_programme,
    "audit_plan": audit_plan,
    "review_inputs": review_inputs,
    "review_inputs_blank": review_inputs_blank,
    "objectives": objectives,
    "training_needs": training_needs,
    "training_plan": training_plan,
    "skills": skills,
    "equipment": equipment,
    "calibration": calibration,
    "contract_items": contract_items,
    "supplier_survey": supplier_survey,
    "suppliers": suppliers,
    "documents": documents_issued,
}


def _value(key: str, c: Company) -> str:
    """A `$name` field value from the profile; other text is kept as written."""
    values = {
        "$scope": c.applicability.scope,
        "$departments": "、".join(c.profile.departments) or "各部门",
        "$department_choice": "　".join(f"□{d}" for d in c.profile.departments) or "",
        "$top": c.org.name("最高管理者"),
        "$quality": c.org.name("质量"),
        "$products": "、".join(c.profile.products),
        "$supplies": "、".join(_supplies(c)) or "【待填写】",
        "$exclusions": "；".join(f"{e.clause} {e.title}：{e.reason}" for e in c.applicability.exclusions) or "无",
        "$nc_steps": "发现环节可填：" + "、".join(s.text for s in c.chain.steps) + "、顾客退回。",
    }
    return values.get(key, key)


def build_forms(c: Company, catalogue: Catalogue, docs: list[DraftDocument]) -> list[BuiltForm]:
    built = []
    for spec in catalogue.forms:
        if not c.applicability.applies(spec.get("requires")):
            continue  # e.g. no calibration plan where no measurement needs traceability (7.1.5.2)
        tables = []
        for t in spec.get("tables", []):
            columns, rows = list(t.get("columns", [])), []
            if source := t.get("rows"):
                result = SOURCES[source](c, docs)
                columns, rows = result if isinstance(result, tuple) else (columns, result)
            tables.append(
                FormTable(title=t.get("title", ""), columns=columns, rows=rows, blank_rows=t.get("blank_rows", 0))
            )
        body = FormBody(
            purpose=spec["purpose"],
            fields=[[label, _value(str(v), c)] for label, v in spec.get("fields", [])],
            tables=tables,
            notes=[_value(n, c) for n in spec.get("notes", [])],
        )
        built.append(BuiltForm(spec["code"], spec["title"], spec["clauses"], spec["guide_sections"], body))
    return built
