"""Procedures, the quality policy and objectives, the scope statement (4.3) and the internal-audit checklist."""

from __future__ import annotations

from assistant.drafting.applicability import Applicability
from assistant.drafting.business import BusinessChoice
from assistant.drafting.models import (
    AuditChecklist,
    ChecklistRow,
    Exclusion,
    ObjectiveRow,
    Procedure,
    ProcedureStep,
    ProcessCard,
    QualityPolicyAndObjectives,
    Responsibility,
    ScopeStatement,
)
from assistant.drafting.org import Org
from assistant.drafting.processes import PlannedProcess, first, inspection, main_process
from assistant.drafting.profile import CompanyProfile
from assistant.drafting.steps import OwnChain
from assistant.drafting.templates import Catalogue, ProcedureTemplate, RoleName, fill, fill_all, match_score


# ---- 程序文件 -------------------------------------------------------------------------------------------
def find_procedure(catalogue: Catalogue, query: str) -> ProcedureTemplate | None:
    """By kind (内部审核), title (内部审核控制程序), code (QP-02) or alias (内审)."""
    q = query.strip()
    for t in catalogue.procedures:
        if q.upper() == t.code or q in (t.kind, t.title):
            return t
    scored = [
        (max(match_score(q, t.kind, t.aliases), match_score(q, t.title, t.aliases)), t) for t in catalogue.procedures
    ]
    score, best = max(scored, key=lambda s: s[0], default=(0, None))
    return best if score else None


def merged_responsibilities(pairs: list[tuple[str, str]], org: Org, ctx: dict[str, str]) -> list[Responsibility]:
    """One row per person: in a small company 总经理 and 总经理（兼管理者代表） share one row of duties."""
    rows: dict[str, Responsibility] = {}
    for role, duty in pairs:
        key, name, duty = org.person_key(role), org.name(role), fill(duty, ctx)
        if key in rows:
            row = rows[key]
            row.role = max(row.role, name, key=len)
            row.duty = f"{row.duty}；{duty}" if duty not in row.duty else row.duty
        else:
            rows[key] = Responsibility(role=name, duty=duty)
    return list(rows.values())


def build_procedure(t: ProcedureTemplate, profile: CompanyProfile, org: Org, ctx: dict[str, str]) -> Procedure:
    outsourced = bool(profile.outsourced)
    steps = [
        ProcedureStep(
            step=fill(s.step, ctx),
            detail=fill(s.detail_small if org.small and s.detail_small else s.detail, ctx),
            responsible="、".join(dict.fromkeys(org.name(r) for r in s.responsible.split("、"))),
            record=fill(s.record, ctx),
        )
        for s in t.steps
        if outsourced or not s.if_outsourced
    ]
    records = t.records + ([] if org.small else t.records_extra) + (t.records_outsourced if outsourced else [])
    scope = t.scope_outsourced if outsourced and t.scope_outsourced else t.scope
    return Procedure(
        title=t.title,
        code=t.code,
        purpose=fill(t.purpose, ctx),
        scope=fill(scope, ctx),
        responsibilities=merged_responsibilities(t.responsibilities, org, ctx),
        steps=steps,
        records=fill_all(records, ctx),
        clauses=t.clauses,
    )


# ---- 质量方针和质量目标 ---------------------------------------------------------------------------------
def objective_ids(business: BusinessChoice, org: Org, planned: list[PlannedProcess]) -> list[str]:
    ids = list(business.template.company_objectives)
    if any(p.outsourced for p in planned):
        ids.append("outsource_pass_rate")
    if not org.small:
        ids.append("training_completion")  # a bigger workforce: make competence a measured objective
    return ids


def build_objectives(
    business: BusinessChoice,
    applicability: Applicability,
    org: Org,
    catalogue: Catalogue,
    planned: list[PlannedProcess],
    ctx: dict[str, str],
) -> QualityPolicyAndObjectives:
    t = business.template
    rows = [
        ObjectiveRow(
            objective=fill(o.objective, ctx),
            target=o.target,
            formula=o.formula,
            frequency=o.frequency,
            owner=org.name(o.owner),
            data_source=o.data_source,
        )
        for o in (catalogue.objectives[i] for i in objective_ids(business, org, planned))
    ]
    return QualityPolicyAndObjectives(
        scope=applicability.scope,
        policy=fill(t.policy, ctx),
        policy_notes=fill_all(t.policy_notes, ctx),
        objectives=rows,
    )


# ---- 体系范围和适用性说明（4.3） ---------------------------------------------------------------------------
def build_scope(
    profile: CompanyProfile, business: BusinessChoice, chain: OwnChain, applicability: Applicability
) -> ScopeStatement:
    lines = [
        (f"{name}：" if name else "") + "→".join(s.text + ("（外包）" if s.outsourced else "") for s in line)
        for name, line in chain.lines
    ]
    return ScopeStatement(
        scope=applicability.scope,
        business=business.name,
        industry=profile.industry,
        lines=lines,
        outsourced=[s.text for s in [*chain.steps, *chain.extra_outsourced] if s.outsourced],
        exclusions=[Exclusion(clause=e.clause, title=e.title, reason=e.reason) for e in applicability.exclusions],
        statement=applicability.statement if applicability.exclusions else "本公司适用 ISO 9001:2015 的全部要求。",
        special_processes=applicability.special_note,
        regulations=applicability.reminder(),
        assumptions=[*business.assumptions, *chain.notices],
        questions=business.questions,
    )


# ---- 内部审核检查表 -------------------------------------------------------------------------------------
def _target(token: str, planned: list[PlannedProcess], by_name: dict[str, PlannedProcess]) -> PlannedProcess | None:
    steps = [p for p in planned if p.step is not None and not p.outsourced]
    known = {
        "$inspection": lambda: inspection(planned),
        "$measuring": lambda: next((p for p in steps if p.step.get("traceable_measurement")), None),
        "$special": lambda: next((p for p in steps if p.step.special), None),
        "$design": lambda: first(
            planned,
            lambda p: p.template.name == "产品设计和开发过程" or (p.step and "产品设计和开发过程" in p.step.covers),
        ),
        "$contract": lambda: next((p for p in steps if p.step.category == "商务" and "8.2.3" in p.clauses), None),
        "$main": lambda: main_process(planned),
    }
    return known[token]() if token in known else by_name.get(token)


def build_checklist(
    planned: list[PlannedProcess],
    cards: dict[str, ProcessCard],
    catalogue: Catalogue,
    applicability: Applicability,
    ctx: dict[str, str],
) -> AuditChecklist:
    """Rows grouped by process, so the audit follows the trail of the work (as the guide advises)."""
    spec = catalogue.checklist
    by_name = {p.name: p for p in planned}
    first_management = next(p for p in planned if p.type == "管理")

    def label(p: PlannedProcess) -> str:
        return f"{p.code} {p.name}（{cards[p.code].owner_dept}）"

    system: dict[str, list] = {}
    for item in spec.system:
        if not applicability.applies(item.requires):
            continue
        target = next((t for n in item.process if (t := _target(n, planned, by_name))), None)
        if target is None and item.only_if_present:
            continue
        system.setdefault((target or first_management).code, []).append(item)

    rows: list[ChecklistRow] = []
    special = "、".join(applicability.special_steps)
    for p in planned:
        card = cards[p.code]
        local = {
            **p.ctx(ctx),
            "负责部门": next(
                (v for v in ctx.values() if isinstance(v, RoleName) and v == card.owner_dept), card.owner_dept
            ),
            "记录": "、".join(card.records[:3]) or "相关记录",
            "风险": card.risks[0] if card.risks else "",
            "对策": card.risk_actions[0] if card.risk_actions else "",
            "条款": next((c for c in p.clauses if not applicability.excludes(c)), "8.5.1"),
            "特殊过程": special,
        }
        items = system.get(p.code, []) + spec.per_process.get(p.type, [])
        if card.objectives:
            local.update(目标=card.objectives[0].objective, 频率=card.objectives[0].frequency)
            items.append(spec.objective)
        if p.outsourced:
            items += spec.outsourced
        rows += [
            ChecklistRow(
                clause=fill(i.clause, local),
                process=label(p),
                question=fill(i.question, local),
                evidence=fill(i.evidence, local),
            )
            for i in items
        ]
    return AuditChecklist(rows=rows)
