"""One company worked out from its profile: business model, own steps, 4.3 applicability, org and processes.

Every draft of the pack reads the same `Company`, so the scope statement, the cards, the checklist, the forms and
the coverage matrix agree with each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.drafting.applicability import Applicability, decide
from assistant.drafting.business import BusinessChoice, resolve_business
from assistant.drafting.existing import ExistingDocument, book, read_existing, replacing
from assistant.drafting.org import Org, context, resolve_org
from assistant.drafting.processes import PlannedProcess, plan_processes
from assistant.drafting.profile import CompanyProfile
from assistant.drafting.steps import OwnChain, own_chain
from assistant.drafting.templates import Catalogue
from assistant.understanding import ConceptModel


@dataclass
class Company:
    """Everything derived from one profile that every draft needs."""

    profile: CompanyProfile
    chain: OwnChain
    business: BusinessChoice
    applicability: Applicability
    org: Org
    ctx: dict[str, str]
    planned: list[PlannedProcess]
    existing: list[ExistingDocument]
    replaced: dict[str, list[str]]  # 《procedure title》 → the firm's own documents that stand for it

    @property
    def assumptions(self) -> list[str]:
        """What the drafter assumed (the CLI prints these; the pack's 清单 lists them)."""
        return [*self.business.assumptions, *self.chain.notices]


def work_out(profile: CompanyProfile, catalogue: Catalogue, model: ConceptModel) -> Company:
    probe = own_chain(profile, model, [], "", False)  # the steps as written, to infer the business model
    ask = catalogue.applicability["questions"]
    business = resolve_business(profile, model, catalogue, probe.steps if profile.processes else [], ask)
    t = business.template
    chain = own_chain(profile, model, t.default_steps, t.placeholder_step, t.add_inspection)
    if business.onsite_service and profile.processes and not any(s.category in ("服务", "软件") for s in chain.steps):
        chain.notices.append(
            "概况说明到顾客现场安装或服务，主要过程里却没有这类环节：请加上（例如 安装、维修），"
            "以便为它起草识别卡（8.5.1、8.5.5）。"
        )
    applicability = decide(profile, business, chain, catalogue, model)
    org = resolve_org(profile, catalogue, t)
    existing = read_existing(profile.existing_documents, model, catalogue.document_topics)
    planned = plan_processes(catalogue, business, chain, applicability)
    replaced = {f"《{t.title}》": ds for t in catalogue.procedures if (ds := replacing(existing, t))}
    return Company(profile, chain, business, applicability, org, context(profile, org), planned, existing, replaced)


def pack_notes(c: Company, catalogue: Catalogue) -> list[str]:
    """Assumptions, open questions and the procedures the firm's own documents stand for."""
    kept = [
        f"沿用企业现有{'、'.join(book(d) for d in ds)}，不另起草《{t.title}》（{t.code}）。"
        for t in catalogue.procedures
        if (ds := replacing(c.existing, t))
    ]
    unplaced = [
        f"企业现有{book(d.title)}从名称看不出对应哪项要求，未计入条款覆盖矩阵，请人工核对。"
        for d in c.existing
        if not d.topics and not d.steps
    ]
    return [*c.assumptions, *(f"请确认：{q}" for q in c.business.questions), *kept, *unplaced]
