"""The drafting templates under corpus/templates/, loaded once and validated, plus placeholder filling."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.drafting.models import ProcessType
from assistant.errors import QMSError

TEMPLATES_DIR = Path("templates")


class LinkTemplate(BaseModel):
    """A process-map link from (or to, with `from`) this process; names or $main / $first_core."""

    model_config = ConfigDict(populate_by_name=True)

    to: str | None = None
    source: str | None = Field(None, alias="from")
    flow: str


class ProcessTemplate(BaseModel):
    name: str
    type: ProcessType
    aliases: list[str] = Field(default_factory=list)
    owner: str
    duty: str
    planning: list[str]
    controls: list[str]
    inputs: list[list[str]]
    outputs: list[list[str]]
    rules: list[str]
    records: list[str]
    records_extra: list[str] = Field(default_factory=list)
    people: str
    infrastructure: str
    monitoring: str
    risks: list[str]
    risk_actions: list[str]
    opportunities: list[str]
    opportunity_actions: list[str]
    objectives: list[str]
    handoff: str = ""
    purchasing: bool = False
    generic: Literal["outsourced", "step"] | None = None
    acceptance: dict[str, str] = Field(
        default_factory=dict
    )  # step cards: what the acceptance criteria are, by category
    if_outsourced: dict[str, list[str]] = Field(default_factory=dict)
    links: list[LinkTemplate] = Field(default_factory=list)
    clauses: list[str]
    guide_sections: list[str]

    @field_validator("inputs", "outputs")
    @classmethod
    def _four_columns(cls, rows: list[list[str]]) -> list[list[str]]:
        for row in rows:
            if len(row) != 4:
                raise ValueError(f"输入/输出每行应为 4 列：{row}")
        return rows


class ObjectiveTemplate(BaseModel):
    objective: str
    target: str
    formula: str
    frequency: str
    owner: str
    data_source: str
    guide: bool = False
    clauses: list[str] = Field(default_factory=list)


class StepTemplate(BaseModel):
    step: str
    detail: str
    detail_small: str | None = None
    responsible: str
    record: str = ""
    if_outsourced: bool = False


class ProcedureTemplate(BaseModel):
    kind: str
    code: str
    title: str
    aliases: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    purpose: str
    scope: str
    scope_outsourced: str | None = None
    responsibilities: list[tuple[str, str]]
    steps: list[StepTemplate]
    records: list[str]
    records_extra: list[str] = Field(default_factory=list)
    records_outsourced: list[str] = Field(default_factory=list)
    clauses: list[str]
    guide_sections: list[str]


class BusinessTemplate(BaseModel):
    """The skeleton of a QMS for one business model (corpus/templates/business.yaml)."""

    scope: str
    scope_design: str
    core_before: list[str]
    core_after: list[str] = Field(default_factory=list)
    support: list[str]
    default_steps: list[str] = Field(default_factory=list)
    placeholder_step: str
    add_inspection: bool = False
    org: dict[Literal["small", "large"], dict[str, str]] = Field(default_factory=dict)
    owners: dict[str, str] = Field(default_factory=dict)
    policy: str
    policy_notes: list[str] = Field(default_factory=list)
    company_objectives: list[str]
    factors: list[tuple[str, str, str]] = Field(default_factory=list)


class RoleTemplate(BaseModel):
    post: bool = False  # a person's post (最高管理者, 管理者代表), not a department
    keywords: list[str] = Field(default_factory=list)
    fallback: list[str] = Field(default_factory=list)
    small: str
    large: str


class CheckItemTemplate(BaseModel):
    clause: str
    question: str
    evidence: str
    process: list[str] = Field(default_factory=list)
    requires: str | None = None  # only while this requirement applies (see applicability)
    only_if_present: bool = False


class ChecklistTemplate(BaseModel):
    system: list[CheckItemTemplate]
    per_process: dict[ProcessType, list[CheckItemTemplate]]
    objective: CheckItemTemplate
    outsourced: list[CheckItemTemplate]


class Catalogue(BaseModel):
    """Everything under corpus/templates/, cross-checked (every name a template refers to exists)."""

    processes: dict[str, ProcessTemplate]
    management: list[str]
    business: dict[str, BusinessTemplate]
    objectives: dict[str, ObjectiveTemplate]
    procedures: list[ProcedureTemplate]
    document_topics: list[str]
    roles: dict[str, RoleTemplate]
    small_headcount: int
    checklist: ChecklistTemplate
    applicability: dict
    forms: list[dict]

    def generic(self, kind: str) -> ProcessTemplate:
        return next(p for p in self.processes.values() if p.generic == kind)

    def problems(self) -> list[str]:
        found = []
        names = set(self.processes)
        for model, t in self.business.items():
            listed = [*t.core_before, *t.core_after, *t.support]
            found += [f"{model}: 未定义的过程 {n}" for n in listed if n not in names]
            found += [f"{model}: 未定义的目标 {o}" for o in t.company_objectives if o not in self.objectives]
        found += [f"未定义的管理过程 {n}" for n in self.management if n not in names]
        for p in self.processes.values():
            found += [f"{p.name}: 未定义的目标 {o}" for o in p.objectives if o not in self.objectives]
            if p.owner not in self.roles:
                found.append(f"{p.name}: 未定义的角色 {p.owner}")
        return found


def _read(path: Path) -> dict:
    if not path.is_file():
        raise QMSError(f"缺少起草模板文件：{path}")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise QMSError(f"起草模板文件格式错误：{path}（{exc}）") from exc


@lru_cache(maxsize=4)
def load_catalogue(corpus_dir: Path) -> Catalogue:
    """Read and validate the templates; a broken template is a QMSError naming the file."""
    base = corpus_dir / TEMPLATES_DIR
    processes = _read(base / "processes.yaml")["processes"]
    business = _read(base / "business.yaml")
    org = _read(base / "org.yaml")
    procedures = _read(base / "procedures.yaml")
    try:
        catalogue = Catalogue(
            processes={p["name"]: p for p in processes},
            management=business["management"],
            business=business["models"],
            objectives=_read(base / "objectives.yaml")["objectives"],
            procedures=procedures["procedures"],
            document_topics=procedures.get("document_topics", []),
            roles=org["roles"],
            small_headcount=org.get("small_headcount", 20),
            checklist=_read(base / "checklist.yaml"),
            applicability=_read(base / "applicability.yaml"),
            forms=_read(base / "forms.yaml")["forms"],
        )
    except (ValidationError, KeyError, TypeError) as exc:
        raise QMSError(f"起草模板内容有误（{base}）：{exc}") from exc
    if problems := catalogue.problems():
        raise QMSError("起草模板内容有误：" + "；".join(problems))
    return catalogue


# ---- placeholders ----------------------------------------------------------------------------------------
class RoleName(str):
    """A department or post name; "{质量:检验员}" reads 品质部检验员, or just 检验员 when the role is a person.

    Why: a small firm's 质量 role may fall to the 总经理, and "总经理检验员" is not a job anyone holds.
    """

    is_post: bool = False

    def __new__(cls, value: str, is_post: bool = False) -> RoleName:
        obj = super().__new__(cls, value)
        obj.is_post = is_post
        return obj

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        return spec if self.is_post else f"{self}{spec}"


class _Keep(dict):
    """format_map dict that leaves unknown {placeholders} visible instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


_ORGANISE = re.compile(r"由([^，。；、由]{2,12}?)组织([^，。；由]*?)(评审|分析|实施|讨论|会签|确认|验证)")


def tidy(text: str, names: set[str]) -> str:
    """Remove the collisions filling can produce when one department or person holds several roles.

    "技术部、技术部" → "技术部"; "由总经理组织总经理评审" → "由总经理评审";
    "由综合部组织技术部、综合部评审" → "由综合部组织技术部评审".
    """
    for value in names:
        if len(value) >= 2:
            text = text.replace(f"{value}、{value}", value)

    def organise(m: re.Match[str]) -> str:
        lead, others, verb = m.group(1), m.group(2), m.group(3)
        rest = [o for o in others.split("、") if o and o != lead]
        return f"由{lead}组织{'、'.join(rest)}{verb}" if rest else f"由{lead}{verb}"

    return _ORGANISE.sub(organise, text)


def fill(text: str, ctx: dict[str, str]) -> str:
    try:
        text = text.format_map(_Keep(ctx))
    except (ValueError, IndexError, AttributeError):
        return text  # a stray brace in user text must not break drafting
    return tidy(text, {v for v in ctx.values() if isinstance(v, str)})


def fill_all(items: list[str], ctx: dict[str, str]) -> list[str]:
    return [fill(i, ctx) for i in items]


# ---- name matching ---------------------------------------------------------------------------------------
_SUFFIX = re.compile(r"(控制程序|程序|过程|管理|控制)$")


def core_name(text: str) -> str:
    """'加工过程' → '加工', '内部审核控制程序' → '内部审核' (for loose matching)."""
    text = re.sub(r"\s+", "", text)
    for _ in range(2):
        text = _SUFFIX.sub("", text) or text
    return text


def match_score(query: str, name: str, aliases: list[str]) -> int:
    """How well the user's wording names a process/procedure of the pack: 3 same name, 2 an alias, 1 contains."""
    q, n = core_name(query), core_name(name)
    if not q:
        return 0
    if q == n:
        return 3
    if q in aliases:
        return 2
    if any(len(a) >= 2 and a in q for a in aliases) or (len(q) >= 2 and (q in n or n in q)):
        return 1
    return 0
