"""Which processes this company's QMS has (M1…/C1…/S1…, as in the guide's example) and how they connect.

Management processes, then the business model's generic core processes (市场开发 …), then the firm's own
steps line by line in the firm's order (each its own card), outsourced work, and support processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.drafting.applicability import Applicability
from assistant.drafting.business import BusinessChoice
from assistant.drafting.models import MapLink, MapProcess, ProcessMap
from assistant.drafting.org import Org
from assistant.drafting.steps import OwnChain, OwnStep
from assistant.drafting.templates import Catalogue, ProcessTemplate, fill, match_score

PREFIX = {"管理": "M", "核心": "C", "支持": "S"}
EVALUATION = "绩效评价与改进过程"
DESIGN = "产品设计和开发过程"
REALISATION = ("生产", "服务", "软件")


@dataclass
class PlannedProcess:
    code: str
    name: str
    template: ProcessTemplate
    outsourced: bool = False
    item: str = ""  # the outsourced work, for the generic outsourced template
    owner_role: str = ""
    step: OwnStep | None = None  # the firm's own step this card stands for
    lines: list[str] = field(default_factory=list)  # for a step: the lines it belongs to, as "a→b→c"
    upstream: list[PlannedProcess] = field(default_factory=list)
    downstream: list[PlannedProcess] = field(default_factory=list)

    @property
    def type(self) -> str:
        return self.template.type

    @property
    def clauses(self) -> list[str]:
        own = list(self.step.concept.clauses) if self.step and self.step.concept else []
        if own and self.template.generic == "step":
            return own  # a known step names its own clauses (询价报价 is 8.2, not 8.5.1)
        return list(dict.fromkeys([*own, *self.template.clauses]))

    def ctx(self, base: dict[str, str]) -> dict[str, str]:
        word = self.step.text if self.step else self.item
        return {**base, "外包项": self.item, "过程": self.name, "工序": word or self.name}


def plan_processes(
    catalogue: Catalogue, business: BusinessChoice, chain: OwnChain, applicability: Applicability
) -> list[PlannedProcess]:
    """The company's processes in map order: management, core, support, each numbered from 1."""
    t = business.template
    covered = {c for s in chain.steps for c in s.covers}
    chosen: list[PlannedProcess] = []

    def add(template: ProcessTemplate, **kw) -> PlannedProcess:
        kw.setdefault("owner_role", t.owners.get(template.name, template.owner))
        p = PlannedProcess("", kw.pop("name", template.name), template, **kw)
        chosen.append(p)
        return p

    for name in catalogue.management:
        add(catalogue.processes[name])
    before = []
    for name in t.core_before:
        if name in covered or (name == DESIGN and not applicability.design):
            continue  # 询价报价/合同评审 stand for 市场开发; no design card where 8.3 does not apply
        before.append(add(catalogue.processes[name]))
    frame = catalogue.generic("step")
    by_step: dict[str, PlannedProcess] = {}
    for _, line in chain.lines:
        for s in line:
            if s.text not in by_step:
                owner = "采购" if s.outsourced else str(s.get("owner", frame.owner))
                by_step[s.text] = add(frame, name=s.name, step=s, outsourced=s.outsourced, owner_role=owner)
    outsourced = catalogue.generic("outsourced")
    for s in chain.extra_outsourced:
        add(outsourced, name=f"外包过程（{s.text}）", outsourced=True, item=s.text, step=s, owner_role=outsourced.owner)
    for name in [*t.core_after, *t.support]:
        add(catalogue.processes[name])

    for i, p in enumerate(before[:-1]):
        p.downstream.append(before[i + 1])
        before[i + 1].upstream.append(p)
    for _, line in chain.lines:
        cards = [by_step[s.text] for s in line]
        chain_text = "→".join(s.text for s in line)
        for i, p in enumerate(cards):
            if chain_text not in p.lines:
                p.lines.append(chain_text)
            if i and cards[i - 1] not in p.upstream:
                p.upstream.append(cards[i - 1])
                cards[i - 1].downstream.append(p)
        # A line that makes something starts from the design (if any); a resale or service line from the order.
        makes = any(s.category == "生产" or not s.known for s in line)
        source = (before[-1] if makes else before[0]) if before else None
        if source is not None and source not in cards[0].upstream:
            cards[0].upstream.append(source)
            source.downstream.append(cards[0])

    order = {"管理": 0, "核心": 1, "支持": 2}
    chosen.sort(key=lambda p: order[p.type])  # stable: keeps the planned order within a type
    counters = {"管理": 0, "核心": 0, "支持": 0}
    for p in chosen:
        counters[p.type] += 1
        p.code = f"{PREFIX[p.type]}{counters[p.type]}"
    return chosen


def find_process(planned: list[PlannedProcess], query: str) -> PlannedProcess | None:
    """A process by code (C3), name, the user's step word or a template alias; the best match wins."""
    q = query.strip()
    for p in planned:
        if q.upper() == p.code or q == p.name or (p.step and q == p.step.text):
            return p
    scored = [(match_score(q, p.name, p.template.aliases), i, p) for i, p in enumerate(planned)]
    score, _, best = max(scored, key=lambda s: (s[0], -s[1]), default=(0, 0, None))
    return best if score else None


def own_steps(planned: list[PlannedProcess]) -> list[PlannedProcess]:
    return [p for p in planned if p.step is not None]


def main_process(planned: list[PlannedProcess]) -> PlannedProcess:
    """The step that realises the product or service (first production, service or software step)."""
    steps = [p for p in own_steps(planned) if not p.outsourced]
    core = [p for p in planned if p.type == "核心"]
    return next((p for p in steps if p.step and p.step.category in REALISATION), (steps or core or planned)[0])


def first(planned: list[PlannedProcess], test) -> PlannedProcess | None:
    return next((p for p in planned if test(p)), None)


def inspection(planned: list[PlannedProcess]) -> PlannedProcess | None:
    return first(planned, lambda p: p.step is not None and p.step.category == "检验" and not p.outsourced)


def output_of(p: PlannedProcess) -> str:
    if p.step is not None:
        return str(p.step.get("output") or f"{p.step.text}的输出")
    return p.template.handoff or "过程输出"


def build_map(planned: list[PlannedProcess], org: Org, ctx: dict[str, str]) -> ProcessMap:
    by_name = {p.name: p for p in planned}
    main = main_process(planned)
    core = [p for p in planned if p.type == "核心"]
    special = {"$main": main, "$first_core": core[0] if core else main}
    links: list[MapLink] = []

    def link(source: PlannedProcess | None, target: PlannedProcess | None, flow: str) -> None:
        if source and target and source is not target:
            links.append(MapLink(source=source.code, target=target.code, flow=fill(flow, source.ctx(ctx))))

    for p in planned:
        for t in p.template.links:
            target = special.get(t.source or t.to or "") or by_name.get(t.source or t.to or "")
            if t.source:
                link(target, p, t.flow)
            else:
                link(p, target, t.flow)
        for d in p.downstream:
            link(p, d, output_of(p))
    evaluation = by_name.get(EVALUATION)
    for p in own_steps(planned):
        if p.lines and not p.downstream:  # the end of a line: results feed the evaluation
            link(p, evaluation, "交付结果、顾客反馈和过程绩效数据")
    purchasing = first(planned, lambda p: p.template.purchasing)
    checker = inspection(planned) or main
    for p in planned:
        if p.outsourced:
            link(purchasing, p, "合格外包方名录和外包要求")
            if not p.upstream and p.template.generic == "outsourced":
                link(main, p, p.template.inputs[0][2])
            if not p.downstream:
                link(p, checker, p.template.handoff if p.step is None else output_of(p))
        elif p.type == "支持" and not p.template.links:
            link(p, main, p.template.outputs[0][2])

    processes = [
        MapProcess(
            code=p.code,
            name=p.name,
            type=p.type,
            outsourced=p.outsourced,
            clauses=p.clauses[:4],
            owner=org.name(p.owner_role),
        )
        for p in planned
    ]
    return ProcessMap(processes=processes, links=links)
