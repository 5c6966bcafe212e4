"""Which processes this company's QMS has (M1…/C1…/S1…, as in the guide's example) and how they connect."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.drafting.models import MapLink, MapProcess, ProcessMap
from assistant.drafting.org import Org
from assistant.drafting.profile import CompanyProfile
from assistant.drafting.templates import Catalogue, ProcessTemplate, fill, match_score

PREFIX = {"管理": "M", "核心": "C", "支持": "S"}
EVALUATION = "绩效评价与改进过程"


@dataclass
class PlannedProcess:
    code: str
    name: str
    template: ProcessTemplate
    outsourced: bool = False
    item: str = ""  # the outsourced work or the user's own process name, for generic templates
    owner_role: str = ""
    steps: list[str] = field(default_factory=list)  # the company's own words for what this process covers

    @property
    def type(self) -> str:
        return self.template.type

    def ctx(self, base: dict[str, str]) -> dict[str, str]:
        return {**base, "外包项": self.item, "过程": self.name}


def _custom_name(text: str) -> str:
    return text if text.endswith("过程") else f"{text}过程"


def _best_template(catalogue: Catalogue, text: str) -> ProcessTemplate | None:
    scored = [
        (match_score(text, t.name, t.aliases), t)
        for t in catalogue.processes.values()
        if not t.generic and not t.only_if_outsourced and t.type != "管理"
    ]
    score, best = max(scored, key=lambda s: s[0], default=(0, None))
    return best if score >= 2 else None


def plan_processes(profile: CompanyProfile, catalogue: Catalogue) -> list[PlannedProcess]:
    """The company's processes in map order: management, core, support, each numbered from 1."""
    industry = catalogue.industries[profile.industry]
    left = list(profile.outsourced)
    chosen: list[PlannedProcess] = []

    def add(template: ProcessTemplate, name: str | None = None, outsourced: bool = False, item: str = "") -> None:
        owner = industry.owners.get(template.name, template.owner)
        chosen.append(PlannedProcess("", name or template.name, template, outsourced, item, owner))

    for name in [*catalogue.management, *industry.core, *industry.support]:
        template = catalogue.processes[name]
        if template.only_if_outsourced:
            hits = [o for o in left if match_score(o, template.name, template.aliases)]
            if not hits:
                continue  # e.g. 外包过程（电镀） only for a shop that sends parts out for plating
            left = [o for o in left if o not in hits]
            add(template, outsourced=True, item="、".join(hits))
        else:
            add(template)
    for text in profile.processes:
        owner = next((p for p in chosen if match_score(text, p.name, p.template.aliases)), None)
        if owner is None:
            template = _best_template(catalogue, text)
            if template is None:
                add(catalogue.generic("custom"), _custom_name(text), item=_custom_name(text))
                continue
            owner = next((p for p in chosen if p.template is template), None)
            if owner is None:
                add(template)
                owner = chosen[-1]
        # "冲压、折弯、焊接" belong to 加工过程: its card names them, so the draft reads as this company's own.
        owner.steps.append(text)
    for item in left:
        add(catalogue.generic("outsourced"), f"外包过程（{item}）", outsourced=True, item=item)

    order = {"管理": 0, "核心": 1, "支持": 2}
    chosen.sort(key=lambda p: order[p.type])  # stable: keeps the catalogue order within a type
    counters = {"管理": 0, "核心": 0, "支持": 0}
    for p in chosen:
        counters[p.type] += 1
        p.code = f"{PREFIX[p.type]}{counters[p.type]}"
    return chosen


def find_process(planned: list[PlannedProcess], query: str) -> PlannedProcess | None:
    """A process by code (C3), name or alias; the best match wins."""
    q = query.strip()
    for p in planned:
        if q.upper() == p.code or q == p.name:
            return p
    scored = [(match_score(q, p.name, p.template.aliases), i, p) for i, p in enumerate(planned)]
    score, _, best = max(scored, key=lambda s: (s[0], -s[1]), default=(0, 0, None))
    return best if score else None


def main_process(planned: list[PlannedProcess]) -> PlannedProcess:
    core = [p for p in planned if p.type == "核心" and not p.outsourced]
    return next((p for p in core if p.template.main), core[-1] if core else planned[0])


def build_map(planned: list[PlannedProcess], org: Org, ctx: dict[str, str]) -> ProcessMap:
    by_name = {p.name: p for p in planned}
    main = main_process(planned)
    core = [p for p in planned if p.type == "核心" and not p.outsourced]
    special = {"$main": main, "$first_core": core[0] if core else main}
    links: list[MapLink] = []

    def link(source: PlannedProcess | None, target: PlannedProcess | None, flow: str) -> None:
        if source and target and source is not target:
            links.append(MapLink(source=source.code, target=target.code, flow=fill(flow, source.ctx(ctx))))

    def ref(name: str | None) -> PlannedProcess | None:
        return special.get(name or "") or by_name.get(name or "")

    for p in planned:
        for t in p.template.links:
            if t.source:
                link(ref(t.source), p, t.flow)
            else:
                link(p, ref(t.to), t.flow)
    for i, p in enumerate(core):
        if not p.template.links:
            if i + 1 < len(core):
                link(p, core[i + 1], p.template.handoff or "过程输出")
            else:
                link(p, by_name.get(EVALUATION), "交付结果、顾客反馈和过程绩效数据")
    purchasing = next((p for p in planned if p.template.purchasing and p.type == "支持"), None) or next(
        (p for p in planned if p.template.purchasing), None
    )
    checker = next((p for p in planned if p.owner_role == "质量" and p.type != "管理" and not p.outsourced), main)
    for p in planned:
        if p.outsourced:
            link(purchasing, p, "合格外包方名录和外包要求")
            link(main, p, p.template.inputs[0][2])
            link(p, checker, p.template.handoff)
        elif p.type == "支持" and not p.template.links:
            link(p, main, p.template.outputs[0][2])

    processes = [
        MapProcess(
            code=p.code,
            name=p.name,
            type=p.type,
            outsourced=p.outsourced,
            clauses=p.template.clauses[:4],
            owner=org.name(p.owner_role),
        )
        for p in planned
    ]
    return ProcessMap(processes=processes, links=links)
