"""The company profile: what a small enterprise tells us about itself, validated, loaded and saved as YAML.

The industry stays in the user's own words (no guessing from substrings). What shapes the drafts is the
business model (`business`: 制造 / 贸易 / 服务 / 软件与集成 / 混合, read through the concept model), the three
answers 自有生产？自行设计？现场安装或服务？ and the firm's own steps (`processes`), possibly on parallel lines.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.errors import InputError

SPLIT_RE = re.compile(r"[,，、;；\n]+")
STEP_SPLIT_RE = re.compile(r"\s*(?:→|->|—>|=>|[,，、;；])\s*")
LINE_SPLIT_RE = re.compile(r"[\n；;]+")
LINE_NAME_RE = re.compile(r"^\s*([^：:]{1,20})[：:]\s*(.+)$")
YES = {"是", "有", "对", "yes", "y", "true", "1", "自有", "自行", "需要"}
NO = {"否", "无", "没有", "不", "no", "n", "false", "0", "不需要"}

FIELD_TITLES = {
    "name": "企业名称",
    "industry": "行业",
    "industry_detail": "行业说明",
    "business": "经营模式",
    "own_production": "自有生产",
    "own_design": "自行设计",
    "onsite_service": "现场安装或服务",
    "headcount": "员工人数",
    "products": "主要产品/服务",
    "processes": "主要过程",
    "outsourced": "外包过程",
    "departments": "部门",
    "existing_documents": "现有文件",
    "address": "地址",
    "scope": "体系范围",
    "certification_goal": "认证目标",
}


def split_list(value: Any) -> list[str]:
    """'a、b, c' or ['a', 'b'] → ['a', 'b', 'c'], blanks dropped; None → []."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = SPLIT_RE.split(value)
    elif isinstance(value, list | tuple):
        parts = [p for item in value for p in SPLIT_RE.split(str(item))]
    else:
        raise ValueError("应为文字或列表")
    return [p.strip() for p in parts if p.strip()]


def _steps(value: Any) -> list[str]:
    if isinstance(value, str):
        return [s for s in STEP_SPLIT_RE.split(value.strip()) if s]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _steps(str(item))]
    raise ValueError("工序应为文字或列表")


class ProcessLine(BaseModel):
    """One line of the firm's own steps, in the firm's order; `name` is empty for a firm with a single line."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = ""
    steps: list[str] = Field(min_length=1)


def parse_lines(value: Any) -> list[ProcessLine]:
    """Every way people write their steps → lines of steps.

    "注塑、检验" · ["注塑", "检验"] · [["注塑", "检验"], ["吹膜", "制袋"]] · {"注塑线": "注塑、检验"} ·
    "注塑线：注塑→检验\\n吹膜线：吹膜→制袋" · [{"name": "注塑线", "steps": [...]}] (what save_profile writes).
    """
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, dict):
        return [ProcessLine(name=str(k), steps=_steps(v)) for k, v in value.items() if _steps(v)]
    if isinstance(value, str):
        chunks = [c for c in LINE_SPLIT_RE.split(value) if c.strip()]
        named = [LINE_NAME_RE.match(c) for c in chunks]
        if len(chunks) > 1 or any(named):
            return [
                ProcessLine(name=m.group(1).strip(), steps=_steps(m.group(2))) if m else ProcessLine(steps=_steps(c))
                for c, m in zip(chunks, named, strict=True)
            ]
        return [ProcessLine(steps=_steps(value))]
    if isinstance(value, list | tuple):
        if all(isinstance(v, dict) for v in value):
            return [ProcessLine.model_validate(v) for v in value]
        if all(isinstance(v, list | tuple) for v in value):
            return [ProcessLine(steps=_steps(v)) for v in value if _steps(v)]
        if all(isinstance(v, str) for v in value):
            return [ProcessLine(steps=_steps(list(value)))]
    raise ValueError("主要过程应为“工序、工序”、工序列表，或“产线：工序、工序”（每条产线一行）")


def _aliases(field: str, *names: str) -> AliasChoices:
    return AliasChoices(field, FIELD_TITLES[field], *names)


def _answer(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text or text in {"不确定", "未知", "unknown", "?", "？"}:
        return None
    if text in YES:
        return True
    if text in NO or text.startswith(("不", "无", "没")):
        return False
    raise ValueError("应为 是 / 否（不确定可不填）")


class CompanyProfile(BaseModel):
    """A company described in a few lines; YAML keys may be the English names or the Chinese titles."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    name: str = Field(title="企业名称", min_length=1, validation_alias=_aliases("name", "名称", "公司名称"))
    industry: str = Field(title="行业", min_length=1, validation_alias=_aliases("industry", "所属行业"))
    industry_detail: str | None = Field(None, title="行业说明", validation_alias=_aliases("industry_detail"))
    business: str | None = Field(None, title="经营模式", validation_alias=_aliases("business", "经营方式"))
    own_production: bool | None = Field(None, title="自有生产", validation_alias=_aliases("own_production"))
    own_design: bool | None = Field(None, title="自行设计", validation_alias=_aliases("own_design", "自主设计"))
    onsite_service: bool | None = Field(
        None, title="现场安装或服务", validation_alias=_aliases("onsite_service", "现场服务", "现场安装")
    )
    headcount: int = Field(title="员工人数", gt=0, le=100000, validation_alias=_aliases("headcount", "人数"))
    products: list[str] = Field(title="主要产品/服务", min_length=1, validation_alias=_aliases("products", "产品"))
    processes: list[ProcessLine] = Field(
        default_factory=list, title="主要过程", validation_alias=_aliases("processes", "工序", "主要工序")
    )
    outsourced: list[str] = Field(
        default_factory=list, title="外包过程", validation_alias=_aliases("outsourced", "外包")
    )
    departments: list[str] = Field(default_factory=list, title="部门", validation_alias=_aliases("departments"))
    existing_documents: list[str] = Field(
        default_factory=list, title="现有文件", validation_alias=_aliases("existing_documents", "已有文件")
    )
    address: str | None = Field(None, title="地址", validation_alias=_aliases("address"))
    scope: str | None = Field(None, title="体系范围", validation_alias=_aliases("scope", "认证范围"))
    certification_goal: str | None = Field(None, title="认证目标", validation_alias=_aliases("certification_goal"))

    @field_validator("industry", mode="before")
    @classmethod
    def _industry(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("business", mode="before")
    @classmethod
    def _business(cls, value: Any) -> Any:
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("own_production", "own_design", "onsite_service", mode="before")
    @classmethod
    def _yes_no(cls, value: Any) -> bool | None:
        return _answer(value)

    @field_validator("processes", mode="before")
    @classmethod
    def _lines(cls, value: Any) -> list[ProcessLine]:
        return parse_lines(value)

    @field_validator("products", "outsourced", "departments", "existing_documents", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> list[str]:
        return split_list(value)

    @field_validator("headcount", mode="before")
    @classmethod
    def _headcount(cls, value: Any) -> Any:
        # "12人" / "约 40 人" are how people write it.
        if isinstance(value, str) and (m := re.search(r"\d+", value)):
            return int(m.group())
        return value

    @property
    def small(self) -> bool:
        """Fewer than 20 people: combined roles and a leaner set of records."""
        return self.headcount < 20

    @property
    def steps(self) -> list[str]:
        """Every own step once, in the order the user wrote them (line by line)."""
        return list(dict.fromkeys(s for line in self.processes for s in line.steps))

    def lines_text(self) -> str:
        """The steps as the form shows them: 'a、b' or one 'line：a、b' per line."""
        if len(self.processes) == 1 and not self.processes[0].name:
            return "、".join(self.processes[0].steps)
        return "\n".join(f"{ln.name or f'产线{i}'}：{'、'.join(ln.steps)}" for i, ln in enumerate(self.processes, 1))

    def summary(self) -> str:
        parts = [
            f"{self.name}：{self.industry}" + (f"（{self.industry_detail}）" if self.industry_detail else ""),
            f"{self.headcount} 人",
            "产品/服务：" + "、".join(self.products),
        ]
        if self.business:
            parts.append(f"经营模式：{self.business}")
        if self.processes:
            parts.append("主要过程：" + self.lines_text().replace("\n", "；"))
        parts.append("外包：" + ("、".join(self.outsourced) if self.outsourced else "无"))
        if self.departments:
            parts.append("部门：" + "、".join(self.departments))
        return "；".join(parts)


_ERROR_TEXT = {
    "missing": "必须填写",
    "extra_forbidden": "是不认识的字段",
    "int_parsing": "应为整数（例如 25）",
    "int_type": "应为整数（例如 25）",
    "int_from_float": "应为整数（例如 25）",
    "greater_than": "应大于 0",
    "less_than_equal": "数值过大",
    "string_type": "应为文字",
    "string_too_short": "不能为空",
    "too_short": "至少填写一项",
    "bool_type": "应为 是 / 否",
}


def explain(exc: ValidationError) -> str:
    """A Chinese, one-line-per-problem explanation of a profile validation error."""
    lines = []
    for err in exc.errors():
        key = str(err["loc"][0]) if err["loc"] else ""
        label = FIELD_TITLES.get(key, key)
        text = _ERROR_TEXT.get(err["type"]) or str(err.get("ctx", {}).get("error", "")) or "取值无效"
        lines.append(f"“{label}”{text}" + (f"（当前值：{err['input']!r}）" if err["type"] != "missing" else ""))
    return "企业概况有误：" + "；".join(lines) + "。"


def profile_from_dict(data: dict[str, Any]) -> CompanyProfile:
    try:
        return CompanyProfile.model_validate(data)
    except ValidationError as exc:
        raise InputError(explain(exc)) from exc


def load_profile(path: str | Path) -> CompanyProfile:
    """Read a profile YAML file; every problem becomes an InputError with a Chinese message."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"找不到企业概况文件：{path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"企业概况文件不是 UTF-8 编码：{path}。请用 UTF-8 另存后重试。") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        raise InputError(f"企业概况文件 YAML 格式错误{where}：{path}。请检查缩进和冒号。") from exc
    if not isinstance(data, dict):
        raise InputError(f"企业概况文件应为“字段: 值”的形式：{path}")
    return profile_from_dict(data)


def profile_filename(profile: CompanyProfile) -> str:
    name = re.sub(r"[\\/:*?\"<>|\x00-\x1f\s]+", "_", profile.name).strip("._") or "企业"
    return f"{name[:60]}.yaml"


def profile_yaml(profile: CompanyProfile) -> str:
    """English keys, Chinese values; a single unnamed line of steps is written as a plain list."""
    data = profile.model_dump(exclude_none=True)
    if len(profile.processes) == 1 and not profile.processes[0].name:
        data["processes"] = profile.processes[0].steps
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def save_profile(profile: CompanyProfile, directory: str | Path) -> Path:
    """Write the profile as YAML under `directory`; returns the path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / profile_filename(profile)
    path.write_text(profile_yaml(profile), encoding="utf-8")
    return path
