"""The business model (制造 / 贸易 / 服务 / 软件与集成 / 混合) and the three answers that shape the QMS.

Given by the profile (`business`, any name or alias in corpus/concepts/business_models.yaml), or inferred from
explicit answers only: 自有生产？自行设计？现场安装或服务？ — and the firm's own steps, which answer the first
question. Whatever had to be assumed is said (`assumptions`) and asked (`questions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.drafting.profile import CompanyProfile
from assistant.drafting.steps import OwnStep
from assistant.drafting.templates import BusinessTemplate, Catalogue
from assistant.errors import InputError
from assistant.understanding import Concept, ConceptModel

KIND = "business_model"
DEFAULT = "business.manufacturing"
# What a step's category says about the business, strongest first (a firm with any own production makes things).
CATEGORY_BUSINESS = [("生产", "business.manufacturing"), ("软件", "business.software"), ("服务", "business.service")]
TRADE_CATEGORIES = {"商务", "物流", "检验"}


@dataclass
class BusinessChoice:
    concept: Concept
    template: BusinessTemplate
    own_production: bool
    own_design: bool
    onsite_service: bool
    assumptions: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.concept.name


def _from_answers(profile: CompanyProfile) -> str | None:
    if profile.own_production is True:
        return "business.manufacturing"
    if profile.own_production is False:
        return "business.service" if profile.onsite_service else "business.trading"
    return None


def _from_steps(steps: list[OwnStep]) -> str | None:
    categories = {s.category for s in steps if s.known and not s.outsourced}
    for category, business in CATEGORY_BUSINESS:
        if category in categories:
            return business
    if categories and categories <= TRADE_CATEGORIES and all(s.known for s in steps):
        return "business.trading"
    return None


def resolve_business(
    profile: CompanyProfile, model: ConceptModel, catalogue: Catalogue, steps: list[OwnStep], ask: dict[str, str]
) -> BusinessChoice:
    assumptions: list[str] = []
    questions: list[str] = []
    if profile.business:
        concept = model.lookup(profile.business, kind=KIND)
        if concept is None:
            names = "、".join(c.name for c in model.of_kind(KIND))
            raise InputError(f"不认识经营模式“{profile.business}”。请填写以下之一：{names}（也可写英文，如 trading）。")
    elif business_id := _from_answers(profile):
        concept = model.get(business_id)
        assumptions.append(f"经营模式按“{concept.name}”起草（依据概况的回答：自有生产、现场安装或服务）。")
    elif business_id := _from_steps(steps):
        concept = model.get(business_id)
        words = "、".join(s.text for s in steps if s.known)
        assumptions.append(f"概况未写经营模式，按所列环节（{words}）推断为“{concept.name}”。")
        questions.append(ask["business"])
    else:
        concept = model.get(DEFAULT)
        assumptions.append(f"概况未写经营模式，暂按“{concept.name}”起草，内容以通用要求和【待填写】为主。")
        questions.append(ask["business"])
    answers = dict(concept.extra.get("answers") or {})
    template = catalogue.business[str(concept.extra.get("template", concept.name))]

    def answer(key: str, default: bool) -> bool:
        given = getattr(profile, key)
        if given is not None:
            return given
        if answers.get(key) is not None:
            return bool(answers[key])
        if key == "own_design":  # the one answer the drafts turn on once the business model is known (8.3)
            questions.append(ask[key])
        return default

    designs = [s for s in steps if s.known and "产品设计和开发过程" in s.covers and not s.outsourced]
    own_design = answer("own_design", True)
    if profile.own_design is False and designs:
        names = "、".join(s.text for s in designs)
        raise InputError(f"企业概况前后矛盾：填写了“自行设计：否”，主要过程里却有“{names}”。请改正其中一项。")
    if designs:
        own_design = True
    elif profile.own_design is None and own_design:
        assumptions.append(
            "未说明是否自行设计，按“8.3 设计和开发适用”起草；如只按顾客图纸或样品生产，请填写 own_design: 否。"
        )
    elif profile.own_design is None:
        assumptions.append(
            f"未说明是否自行设计，按{concept.name}企业的通常情况视为不自行设计（8.3 不适用）；"
            "如自行设计，请填写 own_design: 是。"
        )
    return BusinessChoice(
        concept=concept,
        template=template,
        own_production=answer("own_production", True),
        own_design=own_design,
        onsite_service=answer("onsite_service", False),
        assumptions=assumptions,
        questions=list(dict.fromkeys(questions)),
    )
