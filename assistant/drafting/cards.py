"""One 《过程识别卡》 (the guide's table 3-1) filled from a process template and the company profile.

Cards for the firm's own steps are built in step_cards.py; this module fills the generic processes
(management, 市场开发, 设计, support) and holds what both share.
"""

from __future__ import annotations

from assistant.drafting.existing import ExistingDocument, book, for_clauses
from assistant.drafting.models import CardObjective, ProcessCard, ProcessIO
from assistant.drafting.org import Org
from assistant.drafting.processes import PlannedProcess
from assistant.drafting.templates import Catalogue, ObjectiveTemplate, fill, fill_all

OWN_DOC = "（企业现有文件，沿用并纳入体系）"


def objective_text(t: ObjectiveTemplate, ctx: dict[str, str]) -> str:
    """'产品检验一次合格率 ≥96%' as the guide writes a target in the card."""
    return f"{fill(t.objective, ctx)} {t.target}"


def card_objectives(ids: list[str], catalogue: Catalogue, ctx: dict[str, str]) -> list[CardObjective]:
    objectives = [catalogue.objectives[o] for o in ids]
    return [
        CardObjective(objective=objective_text(o, ctx), formula=o.formula, frequency=o.frequency) for o in objectives
    ]


def io_rows(raw: list[list[str]], ctx: dict[str, str]) -> list[ProcessIO]:
    return [ProcessIO(item=i, party=fill(s, ctx), content=fill(c, ctx), form_time=fill(f, ctx)) for i, s, c, f in raw]


def build_card(
    p: PlannedProcess,
    outsourcing: bool,
    org: Org,
    catalogue: Catalogue,
    base_ctx: dict[str, str],
    existing: list[ExistingDocument],
    replaced: dict[str, list[str]],
    extra_planning: list[str] | None = None,
) -> ProcessCard:
    t = p.template
    ctx = p.ctx(base_ctx)
    extra = t.if_outsourced if outsourcing else {}
    # Small companies keep only the essential records (the guide: 文件的多少……结合企业自身实际需要确定).
    records = t.records + ([] if org.small else t.records_extra) + extra.get("records", [])
    # A procedure the firm already has under its own name is referenced by that name, once.
    rules = [
        x for r in fill_all(t.rules, ctx) for x in ([book(d) + OWN_DOC for d in replaced[r]] if r in replaced else [r])
    ]
    rules += [f"{book(d)}{OWN_DOC}" for d in for_clauses(existing, t.clauses) if f"{book(d)}{OWN_DOC}" not in rules]
    return ProcessCard(
        name=p.name,
        code=p.code,
        outsourced=p.outsourced,
        planning=fill_all(t.planning, ctx) + list(extra_planning or []),
        controls=fill_all(t.controls + extra.get("controls", []), ctx),
        owner_dept=org.name(p.owner_role),
        owner_duty=fill(t.duty, ctx),
        inputs=io_rows(t.inputs, ctx),
        outputs=io_rows(t.outputs, ctx),
        rules=rules,
        records=fill_all(records, ctx),
        people=fill(t.people, ctx),
        infrastructure=fill(t.infrastructure, ctx),
        monitoring=fill(t.monitoring, ctx),
        risks=fill_all(t.risks + extra.get("risks", []), ctx),
        risk_actions=fill_all(t.risk_actions + extra.get("risk_actions", []), ctx),
        opportunities=fill_all(t.opportunities, ctx),
        opportunity_actions=fill_all(t.opportunity_actions, ctx),
        objectives=card_objectives(t.objectives, catalogue, ctx),
    )
