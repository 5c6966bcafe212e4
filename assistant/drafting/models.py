"""Pydantic models of the drafted QMS documents; field titles are the Chinese column names used on paper.

The process card mirrors the guide's table 3-1 《过程识别卡》 (三（六）2. 过程设计) row for row.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ProcessType = Literal["管理", "核心", "支持"]
DocKind = Literal["scope", "objectives", "process_map", "process_card", "procedure", "checklist", "form"]
SourceKind = Literal["guide", "clause", "upload"]


# ---- 过程识别卡 (table 3-1) ---------------------------------------------------------------------------
class ProcessIO(BaseModel):
    """One 过程输入 / 过程输出 row: 项目 | 输入源（输出接收方）| 内容 | 形式、时间."""

    item: str = Field(title="项目")
    party: str = Field(title="输入源/接收方")
    content: str = Field(title="内容")
    form_time: str = Field("", title="形式、时间")


class CardObjective(BaseModel):
    """One 过程目标（绩效评价）row: 目标 | 计算公式 | 频率."""

    objective: str = Field(title="目标")
    formula: str = Field(title="计算公式")
    frequency: str = Field(title="频率")


class ProcessCard(BaseModel):
    name: str = Field(title="过程名称")
    code: str = Field(title="过程编号")
    outsourced: bool = Field(False, title="外包过程")
    planning: list[str] = Field(title="策划内容")
    controls: list[str] = Field(title="过程控制")
    owner_dept: str = Field(title="过程管理者（部门）")
    owner_duty: str = Field(title="主要职责")
    inputs: list[ProcessIO] = Field(title="过程输入")
    outputs: list[ProcessIO] = Field(title="过程输出")
    rules: list[str] = Field(title="规章制度")
    records: list[str] = Field(title="记录")
    people: str = Field(title="人员")
    infrastructure: str = Field(title="基础设施、运行环境")
    monitoring: str = Field(title="监测资源")
    risks: list[str] = Field(title="风险")
    risk_actions: list[str] = Field(title="风险对策")
    opportunities: list[str] = Field(title="机遇")
    opportunity_actions: list[str] = Field(title="机遇对策")
    objectives: list[CardObjective] = Field(title="过程目标（绩效评价）")


# ---- 过程图 ---------------------------------------------------------------------------------------------
class MapProcess(BaseModel):
    code: str = Field(title="编号")
    name: str = Field(title="过程名称")
    type: ProcessType = Field(title="类别")
    owner: str = Field(title="主管部门")
    outsourced: bool = Field(False, title="外包")
    clauses: list[str] = Field(default_factory=list, title="相关条款")


class MapLink(BaseModel):
    source: str = Field(title="来自（编号）")
    target: str = Field(title="流向（编号）")
    flow: str = Field(title="传递内容")


class ProcessMap(BaseModel):
    processes: list[MapProcess] = Field(title="过程清单")
    links: list[MapLink] = Field(title="过程之间的联系")


# ---- 程序文件 -------------------------------------------------------------------------------------------
class Responsibility(BaseModel):
    role: str = Field(title="部门/岗位")
    duty: str = Field(title="职责")


class ProcedureStep(BaseModel):
    step: str = Field(title="步骤")
    detail: str = Field(title="工作要求")
    responsible: str = Field(title="责任部门")
    record: str = Field("", title="记录")


class Procedure(BaseModel):
    title: str = Field(title="文件名称")
    code: str = Field(title="文件编号")
    purpose: str = Field(title="目的")
    scope: str = Field(title="适用范围")
    responsibilities: list[Responsibility] = Field(title="职责")
    steps: list[ProcedureStep] = Field(title="工作程序")
    records: list[str] = Field(title="相关记录")
    clauses: list[str] = Field(title="相关条款")


# ---- 质量方针和质量目标 ---------------------------------------------------------------------------------
class ObjectiveRow(BaseModel):
    objective: str = Field(title="质量目标")
    target: str = Field(title="目标值")
    formula: str = Field(title="计算公式")
    frequency: str = Field(title="统计频率")
    owner: str = Field(title="责任部门")
    data_source: str = Field(title="数据来源")


class QualityPolicyAndObjectives(BaseModel):
    scope: str = Field(title="质量管理体系范围")
    policy: str = Field(title="质量方针")
    policy_notes: list[str] = Field(default_factory=list, title="方针释义")
    objectives: list[ObjectiveRow] = Field(title="质量目标")


# ---- 内部审核检查表 -------------------------------------------------------------------------------------
class ChecklistRow(BaseModel):
    clause: str = Field(title="条款")
    process: str = Field(title="过程/部门")
    question: str = Field(title="审核要点")
    evidence: str = Field(title="审核方法/证据")
    result: str = Field("", title="审核结果")
    note: str = Field("", title="备注")


class AuditChecklist(BaseModel):
    rows: list[ChecklistRow] = Field(title="检查项目")


# ---- 体系范围和适用性说明（4.3） ------------------------------------------------------------------------
class Exclusion(BaseModel):
    clause: str = Field(title="条款")
    title: str = Field(title="要求")
    reason: str = Field(title="不适用的理由")


class ScopeStatement(BaseModel):
    scope: str = Field(title="质量管理体系范围")
    business: str = Field(title="经营模式")
    industry: str = Field(title="行业")
    lines: list[str] = Field(title="本公司的业务环节（按顺序）")
    outsourced: list[str] = Field(default_factory=list, title="外包过程")
    exclusions: list[Exclusion] = Field(title="不适用的要求")
    statement: str = Field(title="说明")
    special_processes: str = Field(title="特殊过程（8.5.1 f）")
    regulations: str = Field(title="适用的法律法规（请确认）")
    assumptions: list[str] = Field(default_factory=list, title="起草时的假定")
    questions: list[str] = Field(default_factory=list, title="请企业确认的问题")


# ---- 记录表单 ------------------------------------------------------------------------------------------
class FormTable(BaseModel):
    """One table of a form: prefilled rows from the profile, then blank rows to fill in by hand."""

    title: str = Field("", title="表名")
    columns: list[str] = Field(title="栏目")
    rows: list[list[str]] = Field(default_factory=list, title="预填内容")
    blank_rows: int = Field(0, title="空白行数")


class FormBody(BaseModel):
    purpose: str = Field(title="用途")
    fields: list[list[str]] = Field(default_factory=list, title="表头栏目")  # [label, prefilled value]
    tables: list[FormTable] = Field(default_factory=list, title="表格")
    notes: list[str] = Field(default_factory=list, title="填写说明")


# ---- 文件外壳 ------------------------------------------------------------------------------------------
class DocControl(BaseModel):
    """The control block every controlled document carries (7.5.2: identification, review, approval)."""

    number: str = Field(title="编号")
    version: str = Field("A/0", title="版本")
    prepared: str = Field("", title="编制")
    reviewed: str = Field("", title="审核")
    approved: str = Field("", title="批准")
    date: str = Field("", title="日期")


class SourceRef(BaseModel):
    kind: SourceKind = Field(title="类别")
    ref: str = Field(title="出处")  # guide section path, clause number, appendix id or uploaded file
    title: str = Field("", title="说明")
    retrieved: bool = Field(False, title="知识库检索命中")  # the search for this draft returned it


Body = ProcessCard | ProcessMap | Procedure | QualityPolicyAndObjectives | AuditChecklist | ScopeStatement | FormBody


class DraftDocument(BaseModel):
    kind: DocKind = Field(title="文件类型")
    title: str = Field(title="文件名称")
    company: str = Field(title="企业名称")
    control: DocControl = Field(title="文件控制")
    body: Body = Field(title="正文")
    clauses: list[str] = Field(default_factory=list, title="对应条款")  # what the coverage matrix counts it for
    sources: list[SourceRef] = Field(default_factory=list, title="依据与来源")
    notices: list[str] = Field(default_factory=list, title="提示")
