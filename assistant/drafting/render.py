"""A draft → neutral blocks (headings, paragraphs, lists, tables) shared by the Word and Markdown writers.

Both formats therefore show the same content; the process card grid follows the guide's table 3-1 row for row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.drafting.models import (
    AuditChecklist,
    DraftDocument,
    FormBody,
    Procedure,
    ProcessCard,
    ProcessMap,
    QualityPolicyAndObjectives,
    ScopeStatement,
    SourceRef,
)

CLAUSE_NOTE = "条款要点为本项目自撰的通俗概述，不是标准原文；标准原文请参阅正版 GB/T 19001-2016 / ISO 9001:2015。"


@dataclass
class Heading:
    text: str
    level: int = 1


@dataclass
class Para:
    text: str
    bold: bool = False


@dataclass
class Bullets:
    items: list[str]
    ordered: bool = False


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # (row0, col0, row1, col1) in rows
    header_in_docx: bool = True  # the process card, like table 3-1, has no header row on paper
    label_col: bool = False  # first column holds row labels (bold in Word)
    widths: list[float] = field(default_factory=list)  # relative column widths for Word; empty = equal


Block = Heading | Para | Bullets | Table


def _join(items: list[str], sep: str = "；") -> str:
    return sep.join(i.rstrip("。；;") for i in items)


def card_table(card: ProcessCard) -> Table:
    """The 5-column grid of table 3-1; merged cells are blank in `rows` and listed in `merges`."""
    rows: list[list[str]] = []
    merges: list[tuple[int, int, int, int]] = []

    def group(label: str, lines: list[list[str]], span_from: int | None) -> None:
        start = len(rows)
        for line in lines:
            r = len(rows)
            rows.append([label if r == start else "", *line, *[""] * (4 - len(line))])
            if span_from is not None:
                merges.append((r, span_from, r, 4))
        if len(lines) > 1:
            merges.append((start, 0, len(rows) - 1, 0))

    rows.append(["过程名称", card.name, "过程编号", card.code, ""])
    merges.append((0, 3, 0, 4))
    activity = f"1、策划内容：{_join(card.planning)}。\n2、过程控制：{_join(card.controls)}。"
    group("过程控制活动", [[activity]], 1)
    group("过程管理者", [["项目", "名称", "主要职责"], ["部门", card.owner_dept, card.owner_duty]], 3)
    group(
        "过程输入",
        [["项目", "输入源", "内容", "输入形式、时间"]]
        + [[r.item, r.party, r.content, r.form_time] for r in card.inputs],
        None,
    )
    group(
        "过程输出",
        [["项目", "输出接收方", "内容", "输出形式、时间"]]
        + [[r.item, r.party, r.content, r.form_time] for r in card.outputs],
        None,
    )
    group("过程准则方法", [["规章制度", _join(card.rules, "、")], ["记录", _join(card.records, "、")]], 2)
    group(
        "过程资源",
        [["人员", card.people], ["基础设施、运行环境", card.infrastructure], ["监测资源", card.monitoring]],
        2,
    )
    risk = f"风险：{_join(card.risks)}。\n对策：{_join(card.risk_actions)}。"
    chance = f"机遇：{_join(card.opportunities)}。\n对策：{_join(card.opportunity_actions)}。"
    group("过程风险机遇", [["风险及对策", risk], ["机遇及对策", chance]], 2)
    group(
        "过程目标（绩效评价）",
        [["目标", "计算公式", "频率"]] + [[o.objective, o.formula, o.frequency] for o in card.objectives],
        3,
    )
    return Table(
        header=["栏目", "项目", "内容", "补充1", "补充2"],
        rows=rows,
        merges=merges,
        header_in_docx=False,
        label_col=True,
        widths=[2.6, 2.4, 3.4, 5, 3],
    )


def _map_blocks(body: ProcessMap) -> list[Block]:
    names = {p.code: f"{p.code} {p.name}" for p in body.processes}
    return [
        Para(
            "过程按管理过程（M）、核心过程（C）、支持过程（S）分类编号；各过程的输入和输出把过程联系起来，"
            "形成体系的内控网络，详见各过程的《过程识别卡》。"
        ),
        Heading("一、过程清单", 2),
        Table(
            ["编号", "过程名称", "类别", "主管部门", "外包", "相关条款"],
            [
                [
                    p.code,
                    p.name,
                    f"{p.type}过程",
                    p.owner,
                    "是" if p.outsourced else "否",
                    "、".join(p.clauses),
                ]
                for p in body.processes
            ],
            widths=[1.2, 4, 2, 2.8, 1.2, 4.8],
        ),
        Heading("二、过程之间的联系", 2),
        Table(
            ["来自", "流向", "传递内容"],
            [[names.get(k.source, k.source), names.get(k.target, k.target), k.flow] for k in body.links],
            widths=[4.5, 4.5, 8],
        ),
    ]


def _objective_blocks(body: QualityPolicyAndObjectives) -> list[Block]:
    return [
        Heading("一、质量管理体系范围", 2),
        Para(body.scope),
        Para("不适用的要求及理由见《质量管理体系范围和适用性说明》（QM-00）。"),
        Heading("二、质量方针", 2),
        Para(body.policy, bold=True),
        Bullets(body.policy_notes),
        Heading("三、质量目标", 2),
        Table(
            ["序号", "质量目标", "目标值", "计算公式", "统计频率", "责任部门", "数据来源"],
            [
                [str(i), o.objective, o.target, o.formula, o.frequency, o.owner, o.data_source]
                for i, o in enumerate(body.objectives, 1)
            ],
            widths=[1, 3.2, 1.6, 4.4, 1.4, 2, 3],
        ),
        Para(
            "各责任部门按统计频率统计目标完成情况；未达标时按《纠正措施控制程序》分析原因并采取措施；"
            "目标完成情况作为管理评审的输入。"
        ),
    ]


def _procedure_blocks(body: Procedure) -> list[Block]:
    return [
        Heading("1 目的", 2),
        Para(body.purpose),
        Heading("2 适用范围", 2),
        Para(body.scope),
        Heading("3 职责", 2),
        Table(["部门/岗位", "职责"], [[r.role, r.duty] for r in body.responsibilities], widths=[4, 13]),
        Heading("4 工作程序", 2),
        Table(
            ["序号", "步骤", "工作要求", "责任部门", "记录"],
            [[str(i), s.step, s.detail, s.responsible, s.record] for i, s in enumerate(body.steps, 1)],
            widths=[1, 3, 7.6, 2.4, 3],
        ),
        Heading("5 相关记录", 2),
        Bullets(body.records),
        Heading("6 相关条款", 2),
        Para("ISO 9001:2015 " + "、".join(body.clauses)),
    ]


def _checklist_blocks(body: AuditChecklist) -> list[Block]:
    return [
        Para("受审核部门：__________　审核日期：__________　审核员：__________　陪同人员：__________"),
        Para("审核结果填写：符合（√）/ 不符合（×，另开《不符合报告》）/ 观察项（△）。"),
        Table(
            ["序号", "条款", "过程/部门", "审核要点", "审核方法/证据", "审核结果", "备注"],
            [
                [str(i), r.clause, r.process, r.question, r.evidence, r.result, r.note]
                for i, r in enumerate(body.rows, 1)
            ],
            widths=[1, 1.2, 2.8, 4.6, 3.6, 1.6, 1.4],
        ),
    ]


def _scope_blocks(body: ScopeStatement) -> list[Block]:
    out: list[Block] = [
        Heading("一、质量管理体系范围", 2),
        Para(body.scope, bold=True),
        Para(f"经营模式：{body.business}；行业：{body.industry}。"),
        Heading("二、本公司的业务环节（按顺序）", 2),
        Bullets(body.lines or ["【待填写】"]),
    ]
    if body.outsourced:
        out.append(Para("外包过程：" + "、".join(body.outsourced) + "（由本公司负责控制，见各外包过程识别卡）。"))
    out += [Heading("三、不适用的要求及理由（ISO 9001 4.3）", 2)]
    if body.exclusions:
        out.append(
            Table(
                ["条款", "要求", "不适用的理由"],
                [[e.clause, e.title, e.reason] for e in body.exclusions],
                widths=[1.6, 4, 11.4],
            )
        )
    out += [Para(body.statement), Para(f"特殊过程（8.5.1 f）：{body.special_processes}")]
    out += [Heading("四、适用的法律法规（请确认）", 2), Para(body.regulations)]
    if body.assumptions or body.questions:
        out += [Heading("五、起草时的假定和待确认的问题", 2), Bullets([*body.assumptions, *body.questions])]
    return out


def _form_blocks(body: FormBody) -> list[Block]:
    out: list[Block] = [Para(body.purpose)]
    if body.fields:
        out.append(
            Table(
                ["栏目", "内容"], [[k, v] for k, v in body.fields], header_in_docx=False, label_col=True, widths=[4, 13]
            )
        )
    for t in body.tables:
        if t.title:
            out.append(Heading(t.title, 2))
        out.append(Table(t.columns, [*t.rows, *[[""] * len(t.columns) for _ in range(t.blank_rows)]]))
    if body.notes:
        out.append(Bullets(body.notes))
    return out


def source_line(ref: SourceRef) -> str:
    tail = "（知识库检索命中）" if ref.retrieved else ""
    if ref.kind == "guide":
        return f"指南 {ref.title}：{ref.ref}{tail}"
    if ref.kind == "upload":
        return f"企业资料：{ref.ref}{('：' + ref.title) if ref.title else ''}{tail}"
    return f"{ref.title}{tail}"


def blocks(doc: DraftDocument) -> list[Block]:
    """Everything below the title and the document-control table."""
    out: list[Block] = []
    if doc.notices:
        out += [Heading("提示", 2), Bullets(doc.notices)]
    body = doc.body
    if isinstance(body, ProcessCard):
        out.append(card_table(body))
    elif isinstance(body, ProcessMap):
        out += _map_blocks(body)
    elif isinstance(body, QualityPolicyAndObjectives):
        out += _objective_blocks(body)
    elif isinstance(body, Procedure):
        out += _procedure_blocks(body)
    elif isinstance(body, AuditChecklist):
        out += _checklist_blocks(body)
    elif isinstance(body, ScopeStatement):
        out += _scope_blocks(body)
    elif isinstance(body, FormBody):
        out += _form_blocks(body)
    out += [Heading("依据与来源", 2), Bullets([source_line(s) for s in doc.sources])]
    if any(s.kind == "clause" for s in doc.sources):
        out.append(Para(CLAUSE_NOTE))
    return out


def control_table(doc: DraftDocument) -> Table:
    c = doc.control
    return Table(
        ["编号", "版本", "编制", "审核", "批准", "日期"],
        [[c.number, c.version, c.prepared, c.reviewed, c.approved, c.date]],
    )
