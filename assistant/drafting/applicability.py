"""ISO 9001 4.3: the QMS scope and each requirement that does not apply, with its reason, decided once.

Every draft reads the same `Applicability`: no design card when 8.3 is excluded, no calibration plan when
7.1.5.2 is, the same reasons in the scope statement, the checklist and the coverage matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.drafting.business import BusinessChoice
from assistant.drafting.profile import CompanyProfile
from assistant.drafting.steps import OwnChain
from assistant.drafting.templates import Catalogue, fill
from assistant.understanding import Concept, ConceptModel

ALWAYS_REGULATION = "regulation.product_quality"


@dataclass(frozen=True)
class Exclusion:
    clause: str
    title: str
    reason: str


@dataclass
class Applicability:
    scope: str
    exclusions: list[Exclusion]
    design: bool
    traceable: bool
    special_steps: list[str]  # own steps whose output cannot be verified afterwards (8.5.1 f)
    special_note: str
    statement: str
    regulations: list[Concept] = field(default_factory=list)

    def excludes(self, clause: str) -> bool:
        """Whether an ISO clause number (or one of its parents) is excluded."""
        return any(clause == e.clause or clause.startswith(e.clause + ".") for e in self.exclusions)

    def applies(self, requirement: str | None) -> bool:
        """For template keys: "8.3", "7.1.5.2" or "8.5.1f" (special processes present)."""
        if not requirement:
            return True
        if requirement == "8.5.1f":
            return bool(self.special_steps)
        return not self.excludes(requirement)

    def reminder(self) -> str:
        """The 4.2 / 8.2.2 prompt: a reminder to check, never a legal opinion."""
        names = "；".join(f"{c.name}：{'、'.join(c.extra.get('laws', []))}" for c in self.regulations)
        return f"请确认适用的法规：{names}（以上为提醒，不是法律意见，请以现行有效版本为准）。"


def regulations(profile: CompanyProfile, model: ConceptModel, chain: OwnChain) -> list[Concept]:
    """Regulation concepts the firm's products, trade and steps mention, plus the general product-quality one."""
    text = "；".join(
        [*profile.products, profile.industry, profile.industry_detail or "", *(s.text for s in chain.steps)]
    )
    found = [c for c in model.resolve(text, kind="regulation") if c.id != ALWAYS_REGULATION]
    return [*found, model.get(ALWAYS_REGULATION)] if ALWAYS_REGULATION in model else found


def decide(
    profile: CompanyProfile, business: BusinessChoice, chain: OwnChain, catalogue: Catalogue, model: ConceptModel
) -> Applicability:
    spec = catalogue.applicability
    own = [s for s in chain.steps if not s.outsourced]
    ctx = {"产品列表": "、".join(profile.products), "外包": "、".join(profile.outsourced) or "无"}
    exclusions: list[Exclusion] = []
    if not business.own_design:
        reasons = spec["design"]["reasons"]
        reason = reasons.get(business.name) or next(iter(reasons.values()))
        exclusions.append(Exclusion(spec["design"]["clause"], spec["design"]["title"], fill(reason, ctx)))
    # An unknown step might measure anything: only steps the library knows can rule traceability out.
    traceable = any(s.get("traceable_measurement", True) for s in own) or any(not s.known for s in own)
    if not traceable:
        words = "、".join(s.text for s in own)
        m = spec["measurement"]
        exclusions.append(Exclusion(m["clause"], m["title"], fill(m["reason"], {**ctx, "环节": words})))
    special = [s.text for s in own if s.special]
    special_out = [s.text for s in [*chain.steps, *chain.extra_outsourced] if s.outsourced and s.special]
    sp = spec["special"]
    if special:
        note = fill(sp["present"], {"环节": "、".join(special)})
    elif any(not s.known for s in own):
        note = (
            "【待填写：工序知识库中没有的环节（" + "、".join(s.text for s in own if not s.known) + "）是否为特殊过程】"
        )
    else:
        note = fill(sp["none"], {"环节": "、".join(s.text for s in own)})
    if special_out:
        note += fill(sp["outsourced"], {"环节": "、".join(special_out)})
    t = business.template
    scope = profile.scope or fill(t.scope_design if business.own_design else t.scope, ctx)
    if profile.outsourced and not profile.scope:
        scope += f"（其中{ctx['外包']}为外包过程，由本公司负责控制）"
    if profile.address:
        scope += f"；场所：{profile.address}"
    return Applicability(
        scope=scope,
        exclusions=exclusions,
        design=business.own_design,
        traceable=traceable,
        special_steps=special,
        special_note=note,
        statement=spec["statement"],
        regulations=regulations(profile, model, chain),
    )
