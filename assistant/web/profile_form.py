"""The company-profile form of the 文件起草 tab: fields ↔ `CompanyProfile`, saved under data_dir/profiles."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.drafting.profile import (
    CompanyProfile,
    load_profile,
    profile_from_dict,
    save_profile,
)
from assistant.errors import InputError

# (field, label, kind, placeholder): kind "list" fields are typed as "a、b、c" and split by the profile model.
FIELDS: list[tuple[str, str, str, str]] = [
    ("name", "企业名称", "text", "例如：苏州某某精密机械有限公司"),
    ("industry", "行业", "text", "用自己的话写，例如：塑料软包装、卫浴五金分销"),
    ("industry_detail", "行业说明", "text", "可选，例如：精密五金冲压件"),
    ("business", "经营模式", "business", "不确定可不选，回答下面三问即可"),
    ("own_production", "自有生产？", "yesno", ""),
    ("own_design", "自行设计？", "yesno", "只按顾客图纸或样品生产选“否”（8.3 不适用）"),
    ("onsite_service", "现场安装或服务？", "yesno", ""),
    ("headcount", "员工人数", "number", ""),
    ("products", "主要产品/服务", "list", "用顿号或逗号分隔，例如：冲压件、钣金件"),
    ("processes", "主要过程", "lines", "按顺序，例如：下料、冲压、检验；几条产线各占一行：吹膜线：吹膜、分切"),
    ("outsourced", "外包过程", "list", "可选，例如：电镀、热处理"),
    ("departments", "部门", "list", "可选，例如：总经办、生产部、品质部、销售部"),
    ("existing_documents", "现有文件", "list", "可选，例如：作业指导书、检验记录"),
    ("address", "地址", "text", "可选"),
    ("scope", "体系范围", "text", "可选，例如：冲压件的生产和服务"),
    ("certification_goal", "认证目标", "text", "可选，例如：一年内通过 ISO 9001 认证"),
]


def form_signature(fn: Callable[..., Any], *extra: str) -> Callable[..., Any]:
    """`fn(*values)` presented to Gradio as `fn(name, industry, …, *extra)`, so the API docs and
    gradio_client show the form's field names instead of param_0, param_1, …"""

    @functools.wraps(fn)
    def wrapper(*values: Any) -> Any:
        return fn(*values)

    names = [key for key, *_ in FIELDS] + list(extra)
    wrapper.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    )
    return wrapper


def build_fields() -> list[gr.components.Component]:
    """The form's components, in FIELDS order."""
    components: list[gr.components.Component] = []
    for start in range(0, len(FIELDS), 3):
        with gr.Row():
            components += [_component(*field) for field in FIELDS[start : start + 3]]
    return components


BUSINESS_CHOICES = ["", "制造", "贸易", "服务", "软件与集成", "混合"]
YES_NO = ["", "是", "否"]


def _component(key: str, label: str, kind: str, hint: str) -> gr.components.Component:
    elem_id = f"qms-profile-{key}"
    if kind == "business":
        return gr.Dropdown(BUSINESS_CHOICES, value="", label=label, elem_id=elem_id, info=hint)
    if kind == "yesno":
        return gr.Dropdown(YES_NO, value="", label=label, elem_id=elem_id, info=hint or "不确定可不选")
    if kind == "lines":
        return gr.Textbox(label=label, placeholder=hint, elem_id=elem_id, lines=2, max_lines=6)
    if kind == "number":
        return gr.Number(label=label, precision=0, elem_id=elem_id)  # range checked by the profile model
    return gr.Textbox(label=label, placeholder=hint, elem_id=elem_id, max_lines=2)


def profile_from_fields(*values: Any) -> CompanyProfile:
    """Form values → a validated profile (InputError with a Chinese explanation otherwise)."""
    data: dict[str, Any] = {}
    for (key, _label, _kind, _hint), value in zip(FIELDS, values, strict=True):
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, ""):
            data[key] = int(value) if key == "headcount" else value
    return profile_from_dict(data)


def fields_from_profile(profile: CompanyProfile) -> list[Any]:
    values = []
    for key, _label, kind, _hint in FIELDS:
        value = getattr(profile, key)
        if kind == "list":
            values.append("、".join(value))
        elif kind == "lines":
            values.append(profile.lines_text())
        elif kind == "yesno":
            values.append("" if value is None else ("是" if value else "否"))
        else:
            values.append("" if value is None else value)
    return values


def saved_profiles(directory: Path) -> list[str]:
    """Saved profile file names, newest first."""
    if not directory.is_dir():
        return []
    files = sorted(directory.glob("*.yaml"), key=lambda p: p.stat().st_mtime, reverse=True)
    return [p.name for p in files]


def load_saved(directory: Path, name: str | None) -> CompanyProfile:
    """A saved profile by its file name only: a name from the browser never becomes a path elsewhere."""
    if not name:
        raise InputError("请先选择一个已保存的企业概况。")
    path = directory / Path(name).name
    if path.suffix != ".yaml" or not path.is_file():
        raise InputError(f"找不到已保存的企业概况“{name}”。")
    return load_profile(path)


def save(directory: Path, *values: Any) -> tuple[CompanyProfile, Path]:
    profile = profile_from_fields(*values)
    return profile, save_profile(profile, directory)
