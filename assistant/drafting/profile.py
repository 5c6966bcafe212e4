"""The company profile: what a small enterprise tells us about itself, validated, loaded and saved as YAML."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from assistant.errors import InputError

Industry = Literal["化工", "金属加工", "机械设备", "光电设备", "信息技术", "其他"]
INDUSTRIES: tuple[str, ...] = ("化工", "金属加工", "机械设备", "光电设备", "信息技术", "其他")

# Words people actually write for their trade → the guide's five industries. Checked in order, first hit wins,
# so the more specific metal words come before 设备 (a "电镀设备" maker is still plating-related metal work).
INDUSTRY_KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("信息技术", ("信息", "软件", "系统集成", "集成商", "IT", "互联网", "网络", "数据", "计算机", "智能化")),
    ("光电设备", ("光电", "光学", "激光", "LED", "光伏", "光纤", "显示", "照明")),
    ("化工", ("化工", "化学", "涂料", "油墨", "胶粘", "树脂", "塑料", "助剂", "试剂", "日化")),
    (
        "金属加工",
        (
            "金属",
            "电镀",
            "表面处理",
            "机加工",
            "机械加工",
            "五金",
            "冲压",
            "铸造",
            "锻造",
            "钣金",
            "焊接",
            "热处理",
            "紧固件",
            "模具",
        ),
    ),
    ("机械设备", ("机械", "设备", "装备", "机床", "泵", "阀", "电机", "自动化")),
]

SPLIT_RE = re.compile(r"[,，、;；\n]+")

FIELD_TITLES = {
    "name": "企业名称",
    "industry": "行业",
    "industry_detail": "行业说明",
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


def normalise_industry(text: str) -> tuple[str, str | None]:
    """(one of INDUSTRIES, the original wording when it was not already a canonical name)."""
    raw = text.strip()
    if raw in INDUSTRIES:
        return raw, None
    upper = raw.upper()
    for industry, words in INDUSTRY_KEYWORDS:
        if any(w.upper() in upper for w in words):
            return industry, raw
    return "其他", raw


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


def _aliases(field: str, *names: str) -> AliasChoices:
    return AliasChoices(field, FIELD_TITLES[field], *names)


class CompanyProfile(BaseModel):
    """A company described in a few lines; YAML keys may be the English names or the Chinese titles."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    name: str = Field(title="企业名称", min_length=1, validation_alias=_aliases("name", "名称", "公司名称"))
    industry: Industry = Field(title="行业", validation_alias=_aliases("industry", "所属行业"))
    industry_detail: str | None = Field(None, title="行业说明", validation_alias=_aliases("industry_detail"))
    headcount: int = Field(title="员工人数", gt=0, le=100000, validation_alias=_aliases("headcount", "人数"))
    products: list[str] = Field(title="主要产品/服务", min_length=1, validation_alias=_aliases("products", "产品"))
    processes: list[str] = Field(default_factory=list, title="主要过程", validation_alias=_aliases("processes"))
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

    @model_validator(mode="before")
    @classmethod
    def _map_industry(cls, data: Any) -> Any:
        # "电镀" → 金属加工, keeping the user's own wording as industry_detail for the drafts.
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key in ("industry", "行业", "所属行业"):
            if isinstance(data.get(key), str):
                canonical, detail = normalise_industry(data[key])
                data[key] = canonical
                if detail and not any(data.get(k) for k in ("industry_detail", "行业说明")):
                    data["industry_detail"] = detail
        return data

    @field_validator("products", "processes", "outsourced", "departments", "existing_documents", mode="before")
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

    def summary(self) -> str:
        parts = [
            f"{self.name}：{self.industry_detail or self.industry}，{self.headcount} 人",
            "产品/服务：" + "、".join(self.products),
        ]
        if self.processes:
            parts.append("主要过程：" + "、".join(self.processes))
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
    "literal_error": "应为以下之一：" + "、".join(INDUSTRIES),
    "string_type": "应为文字",
    "string_too_short": "不能为空",
    "too_short": "至少填写一项",
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


def save_profile(profile: CompanyProfile, directory: str | Path) -> Path:
    """Write the profile as YAML (English keys, Chinese values) under `directory`; returns the path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / profile_filename(profile)
    data = profile.model_dump(exclude_none=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
