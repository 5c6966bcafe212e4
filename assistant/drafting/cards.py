"""One 《过程识别卡》 (the guide's table 3-1) filled from a process template and the company profile."""

from __future__ import annotations

from assistant.drafting.models import CardObjective, ProcessCard, ProcessIO
from assistant.drafting.org import Org
from assistant.drafting.processes import PlannedProcess
from assistant.drafting.profile import CompanyProfile
from assistant.drafting.templates import Catalogue, ObjectiveTemplate, core_name, fill, fill_all


def objective_text(t: ObjectiveTemplate, ctx: dict[str, str]) -> str:
    """'产品检验一次合格率 ≥96%' as the guide writes a target in the card."""
    return f"{fill(t.objective, ctx)} {t.target}"


def existing_for(profile: CompanyProfile, p: PlannedProcess) -> list[str]:
    """The company's own documents that belong to this process (the guide: keep what already works)."""
    words = {w for w in [core_name(p.name), *p.template.aliases] if len(w) >= 2}
    return [d for d in profile.existing_documents if any(w in d for w in words)]


def _book(title: str) -> str:
    return title if title.startswith("《") else f"《{title}》"


def build_card(
    p: PlannedProcess, profile: CompanyProfile, org: Org, catalogue: Catalogue, base_ctx: dict[str, str]
) -> ProcessCard:
    t = p.template
    ctx = p.ctx(base_ctx)
    extra = t.if_outsourced if profile.outsourced else {}

    def rows(raw: list[list[str]]) -> list[ProcessIO]:
        return [
            ProcessIO(item=i, party=fill(s, ctx), content=fill(c, ctx), form_time=fill(f, ctx)) for i, s, c, f in raw
        ]

    # Small companies keep only the essential records (the guide: 文件的多少……结合企业自身实际需要确定).
    records = t.records + ([] if org.small else t.records_extra) + extra.get("records", [])
    own = [f"{_book(d)}（企业现有文件，建议保留并纳入体系）" for d in existing_for(profile, p)]
    objectives = [catalogue.objectives[o] for o in t.objectives]
    return ProcessCard(
        name=p.name,
        code=p.code,
        outsourced=p.outsourced,
        planning=fill_all(t.planning, ctx) + ([f"本公司该过程包括{'、'.join(p.steps)}"] if p.steps else []),
        controls=fill_all(t.controls + extra.get("controls", []), ctx),
        owner_dept=org.name(p.owner_role),
        owner_duty=fill(t.duty, ctx),
        inputs=rows(t.inputs),
        outputs=rows(t.outputs),
        rules=fill_all(t.rules, ctx) + own,
        records=fill_all(records, ctx),
        people=fill(t.people, ctx),
        infrastructure=fill(t.infrastructure, ctx),
        monitoring=fill(t.monitoring, ctx),
        risks=fill_all(t.risks + extra.get("risks", []), ctx),
        risk_actions=fill_all(t.risk_actions + extra.get("risk_actions", []), ctx),
        opportunities=fill_all(t.opportunities, ctx),
        opportunity_actions=fill_all(t.opportunity_actions, ctx),
        objectives=[
            CardObjective(objective=objective_text(o, ctx), formula=o.formula, frequency=o.frequency)
            for o in objectives
        ],
    )
