"""Assemble the tabs into one Gradio app; every tab calls the same Python API as the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.errors import QMSError
from assistant.web.chat_tab import build_chat_tab
from assistant.web.common import CSS, theme
from assistant.web.drafting_tab import build_drafting_tab
from assistant.web.kb_tab import build_kb_tab
from assistant.web.settings_tab import build_settings_tab
from assistant.web.training_tab import build_training_tab

if TYPE_CHECKING:
    from assistant.service import Assistant

TITLE = "质量助手 · 小微企业 ISO 9001 质量管理体系"


def build_app(assistant: Assistant) -> gr.Blocks:
    """The whole web app; launch it with `launch_options(assistant)` (Gradio 6 takes theme/CSS there)."""
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"## {TITLE}\n离线运行 · 回答均注明出处（实施指南章节、ISO 9001 条款）")
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                build_chat_tab(assistant)
            with gr.Tab("文件起草", id="drafting"):
                build_drafting_tab(assistant, demo)
            with gr.Tab("培训测验", id="training"):
                build_training_tab(assistant, demo)
            with gr.Tab("知识库", id="kb"):
                build_kb_tab(assistant, demo)
            with gr.Tab("设置", id="settings"):
                build_settings_tab(assistant)
    return demo


def auth_pairs(entries: list[str]) -> list[tuple[str, str]]:
    """ "user:password" → pairs; a malformed entry stops the start instead of silently dropping login."""
    pairs = []
    for entry in entries:
        user, sep, password = entry.partition(":")
        if not sep or not user.strip() or not password:
            raise QMSError('登录配置 app_auth 有误：每一项应写成“用户名:密码”，例如 "admin:强密码"。')
        pairs.append((user.strip(), password))
    return pairs


def launch_options(assistant: Assistant) -> dict[str, Any]:
    """Keyword arguments for `Blocks.launch`: offline, Chinese theme, upload limit, optional login."""
    settings = assistant.settings
    auth = auth_pairs(settings.app_auth)
    return {
        "theme": theme(),
        "css": CSS,
        "max_file_size": f"{settings.app_max_upload_mb}mb",
        "auth": auth or None,
        "auth_message": "请输入质量助手的账号和密码。" if auth else None,
        "ssr_mode": False,
        "share": False,
        "footer_links": ["api"],
    }
