"""Who does what in this company: organisational roles → the company's own department names.

Small companies (fewer than `small_headcount` people) get combined roles such as 总经理（兼管理者代表）.
A role that falls to a person (the top manager) is marked, so "{质量:检验员}" never reads "总经理检验员".
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.drafting.profile import CompanyProfile
from assistant.drafting.templates import BusinessTemplate, Catalogue, RoleName


@dataclass(frozen=True)
class Org:
    names: dict[str, RoleName]  # role (质量, 生产 …) → department or post as the company calls it
    small: bool

    def name(self, role: str) -> str:
        """A role's department; text that is not a role (e.g. 各部门, 内审员) is returned as it is."""
        return str(self.names.get(role, role))

    def person_key(self, role: str) -> str:
        # 总经理 and 总经理（兼管理者代表） are the same person: their duties are merged in a procedure.
        return self.name(role).split("（")[0]

    def staff(self, role: str, post: str) -> str:
        """'品质部检验员', or just '检验员' where the role is held by a person."""
        return format(self.names.get(role, RoleName(role)), post)


def resolve_org(profile: CompanyProfile, catalogue: Catalogue, business: BusinessTemplate) -> Org:
    small = profile.headcount < catalogue.small_headcount
    size = "small" if small else "large"
    overrides = business.org.get(size, {})
    top = catalogue.roles["最高管理者"]

    def found(role: str, seen: frozenset[str]) -> str | None:
        template = catalogue.roles[role]
        # The role's keywords first, then the business model's own choice (an IT firm's 生产 is its 项目部).
        preferred = overrides.get(role, "").removesuffix("部")
        for words in (template.keywords, [preferred] if preferred else []):
            for dept in profile.departments:
                if any(k in dept for k in words):
                    return dept
        for other in template.fallback:
            if other not in seen and (hit := found(other, seen | {other})):
                return hit
        return None

    names: dict[str, RoleName] = {}
    persons = {top.small, top.large, catalogue.roles["管理者代表"].small, catalogue.roles["管理者代表"].large}
    for role, template in catalogue.roles.items():
        default = overrides.get(role) or getattr(template, size)
        if not profile.departments:
            value = default
        elif template.post:
            value = found(role, frozenset({role})) or default
        else:
            # Name only departments that exist; what none of them covers falls to the top manager.
            value = found(role, frozenset({role})) or top.large
        names[role] = RoleName(value, is_post=template.post or value in persons)
    return Org(names=names, small=small)


def product_phrase(products: list[str]) -> str:
    """How the drafts name the products: 'A', 'A、B' or 'A、B等'."""
    return "、".join(products[:2]) + ("等" if len(products) > 2 else "")


def context(profile: CompanyProfile, org: Org) -> dict[str, str]:
    """Placeholder values for template text: roles, company, products, outsourced work."""
    ctx: dict[str, str] = dict(org.names)
    ctx.update(
        公司=profile.name,
        产品=product_phrase(profile.products),
        产品列表="、".join(profile.products),
        外包="、".join(profile.outsourced) or "无",
        行业=profile.industry,
    )
    return ctx
