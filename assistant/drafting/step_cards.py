"""The card of one of the firm's own steps: its parameters, first-piece and patrol checks, special-process
validation (8.5.1 f), risks and records, all from the step's concept in corpus/concepts/process_steps.yaml.

A step the library does not know gets visible 【待填写】 placeholders: never filler, never another step's content.
"""

from __future__ import annotations

from assistant.drafting.cards import OWN_DOC, card_objectives, io_rows
from assistant.drafting.existing import ExistingDocument, book, for_step
from assistant.drafting.models import CardObjective, ProcessCard, ProcessIO
from assistant.drafting.org import Org
from assistant.drafting.processes import PlannedProcess, output_of
from assistant.drafting.templates import Catalogue, fill_all

TODO = "【待填写：{what}】"


def todo(what: str) -> str:
    return TODO.format(what=what)


def _io(p: PlannedProcess, org: Org, ctx: dict[str, str]) -> tuple[list[ProcessIO], list[ProcessIO]]:
    s = p.step
    assert s is not None
    inputs = [
        ProcessIO(item="输入", party=f"{u.code} {u.name}", content=output_of(u), form_time="按计划或订单")
        for u in p.upstream
    ]
    materials = [] if s.outsourced else s.get("materials") or []  # the outsourcer brings its own
    if materials:
        inputs.append(
            ProcessIO(
                item="物资", party=org.name("仓库"), content="合格的" + "、".join(materials), form_time="按领用单"
            )
        )
    if not inputs:
        inputs = io_rows([["要求", "顾客", "询价、订单或服务请求", "随时"]], ctx)
    outputs = [
        ProcessIO(item="输出", party=f"{d.code} {d.name}", content=output_of(p), form_time="完成并检查合格后")
        for d in p.downstream
    ]
    if not outputs:
        outputs = [ProcessIO(item="输出", party="顾客或成品库", content=output_of(p), form_time="检查合格后交付或入库")]
    return inputs, outputs


def _known(p: PlannedProcess, org: Org, applies_special: bool) -> dict:
    s = p.step
    assert s is not None and s.concept is not None
    word = s.text
    params = s.get("parameters") or []
    where = f"数值写入《{word}作业指导书》或工艺卡" if s.category == "生产" else f"具体要求写入《{word}工作规范》"
    planning = [f"关键参数和控制点：{'、'.join(params)}（{where}）"] if params else []
    controls: list[str] = []
    if s.get("first_piece"):
        controls.append(f"首件检验：{s.get('first_piece')}")
    if s.get("patrol"):
        controls.append(f"巡检：{s.get('patrol')}")
    controls += list(s.get("checks") or [])
    if s.special and applies_special and not s.outsourced:
        planning.append("本环节为特殊过程（8.5.1 f）：输出不能由后续检验完全验证，投产前和变更后进行过程确认")
        controls.append(f"特殊过程确认：{s.get('validation')}")
    maintenance = s.get("maintenance")
    if maintenance and maintenance != "—":
        controls.append(f"设备维护：{maintenance}")
    if s.outsourced:
        controls = [
            "外包给经评价的合格外包方完成，以外协单书面传递要求：" + ("、".join(params) or word),
            *(f"要求外包方执行：{c}" for c in controls[:2]),
            "回厂逐批验证，不合格退回并反馈外包方",
        ]
        if s.special:
            controls.append(f"特殊过程由外包方确认，要求其提供确认证据：{s.get('validation')}")
    monitoring = "、".join(s.get("monitoring") or []) or "目视检查、核对单据和实物（不需要计量器具）"
    equipment = "、".join(s.get("equipment") or []) or "办公场所和计算机"
    records = list(s.get("records") or [])
    if s.outsourced:  # the work happens at the outsourcer's: its equipment, its records, our verification
        equipment = f"外包方的{equipment}（评价外包方时确认）；本公司的待发、待检区和周转箱"
        records = ["《外协加工单》", "《外包回厂检验记录》", *(f"外包方提供的{r}" for r in records)]
    if s.get("traceable_measurement") and s.get("monitoring"):
        monitoring += "（按《校准计划》定期检定或校准）"
    owner = org.staff(p.owner_role, "")
    return {
        "planning": planning,
        "controls": controls,
        "rules": [f"《{word}作业指导书》"] if s.category == "生产" else [f"《{word}工作规范》"],
        "records": records,
        "people": str(s.get("people") or owner),
        "infrastructure": equipment,
        "monitoring": monitoring,
        "risks": list(s.get("risks") or []),
        "risk_actions": list(s.get("risk_actions") or []),
        "objective": s.get("objective"),
    }


def _unknown(word: str) -> dict:
    return {
        "planning": [todo(f"{word}的关键参数或控制点，及其数值范围")],
        "controls": [
            todo(f"如何确认{word}的结果合格：检查项目、方法和频次"),
            todo(f"{word}的结果能否由后续检验验证；不能时按特殊过程确认（8.5.1 f）"),
        ],
        "rules": [f"《{word}作业指导书》（待编写）"],
        "records": [todo(f"{word}的记录名称")],
        "people": todo("岗位和资格要求"),
        "infrastructure": todo("所用设备和场所"),
        "monitoring": todo("所用量具、仪器或检查方法"),
        "risks": [todo(f"{word}常见的质量问题")],
        "risk_actions": [todo("对应的预防措施")],
        "objective": None,
    }


def build_step_card(
    p: PlannedProcess,
    org: Org,
    catalogue: Catalogue,
    base_ctx: dict[str, str],
    existing: list[ExistingDocument],
    applies_special: bool,
    reminder: str | None = None,
) -> ProcessCard:
    s = p.step
    assert s is not None
    t = p.template
    ctx = p.ctx(base_ctx)
    content = _known(p, org, applies_special) if s.known else _unknown(s.text)
    chain = [f"所在业务链：{line}" for line in p.lines]
    output = output_of(p)
    basis = t.acceptance.get(s.category, t.acceptance.get("", "要求"))
    planning = [*chain, f"确定{s.text}的作业要求和“{output}”的接收准则（{basis}）", *content["planning"]]
    if reminder and any(c.startswith("8.2") for c in p.clauses):
        planning.append(reminder)  # 8.2.2: the requirements include applicable statutory and regulatory ones
    own = [f"{book(d)}{OWN_DOC}" for d in for_step(existing, s.concept)]
    inputs, outputs = _io(p, org, ctx)
    objective_id = content["objective"]
    objectives = (
        card_objectives([objective_id], catalogue, ctx)
        if objective_id
        else [CardObjective(objective=todo(f"{s.text}的过程目标"), formula=todo("计算公式"), frequency="月")]
    )
    duty = (
        f"负责{s.text}的策划、实施、检查和改进"
        if not s.outsourced
        else f"负责{s.text}外包方的选择、要求传递和外包结果的验证"
    )
    return ProcessCard(
        name=p.name,
        code=p.code,
        outsourced=p.outsourced,
        planning=planning,
        controls=content["controls"],
        owner_dept=org.name(p.owner_role),
        owner_duty=duty,
        inputs=inputs,
        outputs=outputs,
        rules=own or content["rules"],  # the firm's own instruction replaces the one we would ask it to write
        records=content["records"],
        people=content["people"],
        infrastructure=content["infrastructure"],
        monitoring=content["monitoring"],
        risks=content["risks"],
        risk_actions=content["risk_actions"],
        opportunities=fill_all(t.opportunities, ctx),
        opportunity_actions=fill_all(t.opportunity_actions, ctx),
        objectives=objectives,
    )
