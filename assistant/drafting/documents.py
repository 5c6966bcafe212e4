"""Procedures, the quality policy and objectives, and the internal-audit checklist, filled from templates."""

from __future__ import annotations

from assistant.drafting.models import (
    AuditChecklist,
    ChecklistRow,
    ObjectiveRow,
    Procedure,
    ProcedureStep,
    ProcessCard,
    QualityPolicyAndObjectives,
    Responsibility,
)
from assistant.drafting.org import Org
from assistant.drafting.processes import PlannedProcess
from assistant.drafting.profile import CompanyProfile
from assistant.drafting.templates import Catalogue, ProcedureTemplate, fill, fill_all, match_score


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


def build_procedure(
    t: ProcedureTemplate, profile: CompanyProfile, org: Org, ctx: dict[str, str]
) -> tuple[Procedure, list[str]]:
    """The procedure and the notices about the company's existing documents it should build on."""
    outsourced = bool(profile.outsourced)
    steps = [
        ProcedureStep(
            step=fill(s.step, ctx),
            detail=fill(s.detail_small if org.small and s.detail_small else s.detail, ctx),
            responsible="、".join(org.name(r) for r in s.responsible.split("、")),
            record=fill(s.record, ctx),
        )
        for s in t.steps
        if outsourced or not s.if_outsourced
    ]
    records = t.records + ([] if org.small else t.records_extra) + (t.records_outsourced if outsourced else [])
    scope = t.scope_outsourced if outsourced and t.scope_outsourced else t.scope
    procedure = Procedure(
        title=t.title,
        code=t.code,
        purpose=fill(t.purpose, ctx),
        scope=fill(scope, ctx),
        responsibilities=merged_responsibilities(t.responsibilities, org, ctx),
        steps=steps,
        records=fill_all(records, ctx),
        clauses=t.clauses,
    )
    own = [d for d in profile.existing_documents if any(w in d for w in t.existing)]
    notices = [
        f"企业已有《{d.strip('《》')}》：建议以其为基础修改或与本程序合并，不必另起炉灶（指南：尊重企业原有的行之有效的各类文件）。"
        for d in own
    ]
    return procedure, notices


# ---- 质量方针和质量目标 ---------------------------------------------------------------------------------
def objective_ids(profile: CompanyProfile, org: Org, catalogue: Catalogue, planned: list[PlannedProcess]) -> list[str]:
    ids = list(catalogue.industries[profile.industry].company_objectives)
    if any(p.outsourced for p in planned):
        ids.append("outsource_pass_rate")
    if not org.small:
        ids.append("training_completion")  # a bigger workforce: make competence a measured objective
    return ids


def build_objectives(
    profile: CompanyProfile,
    org: Org,
    catalogue: Catalogue,
    planned: list[PlannedProcess],
    ctx: dict[str, str],
) -> QualityPolicyAndObjectives:
    industry = catalogue.industries[profile.industry]
    ids = objective_ids(profile, org, catalogue, planned)
    rows = [
        ObjectiveRow(
            objective=fill(o.objective, ctx),
            target=o.target,
            formula=o.formula,
            frequency=o.frequency,
            owner=org.name(o.owner),
            data_source=o.data_source,
        )
        for o in (catalogue.objectives[i] for i in ids)
    ]
    scope = profile.scope or fill(industry.scope, ctx)
    if profile.outsourced and not profile.scope:
        scope += f"（其中{ctx['外包']}为外包过程，由本公司负责控制）"
    return QualityPolicyAndObjectives(
        scope=scope,
        policy=fill(industry.policy, ctx),
        policy_notes=fill_all(industry.policy_notes, ctx),
        objectives=rows,
    )


# ---- 内部审核检查表 -------------------------------------------------------------------------------------
def build_checklist(
    planned: list[PlannedProcess], cards: dict[str, ProcessCard], catalogue: Catalogue, ctx: dict[str, str]
) -> AuditChecklist:
    """Rows grouped by process, so the audit follows the trail of the work (as the guide advises)."""
    spec = catalogue.checklist
    by_name = {p.name: p for p in planned}
    first_management = next(p for p in planned if p.type == "管理")

    def label(p: PlannedProcess) -> str:
        return f"{p.code} {p.name}（{cards[p.code].owner_dept}）"

    system: dict[str, list] = {}
    for item in spec.system:
        target = next((by_name[n] for n in item.process if n in by_name), first_management)
        system.setdefault(target.code, []).append(item)

    rows: list[ChecklistRow] = []
    for p in planned:
        card = cards[p.code]
        local = {
            **p.ctx(ctx),
            "负责部门": card.owner_dept,
            "记录": "、".join(card.records[:3]) or "相关记录",
            "风险": card.risks[0] if card.risks else "",
            "对策": card.risk_actions[0] if card.risk_actions else "",
            "条款": p.template.clauses[0],
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
