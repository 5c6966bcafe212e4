"""设置 tab: show the effective configuration (never a secret) and test the LLM connection.

Settings are changed in qms.toml or QMS_* environment variables and take effect on restart; the UI does not
mutate them, so a shared page can never leak or overwrite an API key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import gradio as gr

from assistant.llm import check_connection
from assistant.web.common import user_errors

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.service import Assistant

LLM_BACKENDS = {
    "none": "不使用大模型（内置抽取式回答，完全离线）",
    "openai": "OpenAI 兼容接口",
    "local": "本机大模型服务（Ollama / llama.cpp 等）",
}

HOW_TO = """
### 如何修改设置

设置保存在配置文件或环境变量中，修改后**重启应用**生效（页面上不能修改，以免泄露密钥）：

1. 在启动目录创建 `qms.toml`（或用环境变量 `QMS_CONFIG` 指定路径），例如：

```toml
llm_backend = "openai"
llm_base_url = "http://127.0.0.1:11434/v1"
llm_model = "qwen2.5:7b-instruct"
data_dir = "qms-data"
app_auth = ["admin:请改成强密码"]
```

2. 或者设置环境变量（优先于配置文件），名称为 `QMS_` 加字段名大写，例如
   `QMS_LLM_BACKEND=openai`、`QMS_LLM_API_KEY=...`、`QMS_APP_PORT=7860`。

API 密钥建议只放在环境变量 `QMS_LLM_API_KEY` 中。
"""


def _key_state(settings: Settings) -> str:
    secret = settings.llm_api_key.get_secret_value()
    return "已设置" if secret and secret != "not-needed" else "未设置"


def settings_rows(settings: Settings) -> list[list[str]]:
    """(项目, 当前值, 配置项) rows; the API key appears only as 已设置/未设置."""
    llm_on = settings.llm_backend != "none"
    rows = [
        ["大模型", LLM_BACKENDS.get(settings.llm_backend, settings.llm_backend), "llm_backend"],
        ["大模型接口地址", settings.llm_base_url if llm_on else "（未使用）", "llm_base_url"],
        ["大模型名称", settings.llm_model if llm_on else "（未使用）", "llm_model"],
        ["API 密钥", _key_state(settings), "llm_api_key"],
        ["向量模型", f"{settings.embedding_model}（{settings.embedding_backend}）", "embedding_model"],
        ["向量库", settings.chroma_url or "内嵌（保存在数据目录）", "chroma_url"],
        ["数据目录", str(settings.data_dir.resolve()), "data_dir"],
        ["上传大小上限", f"{settings.app_max_upload_mb} MB", "app_max_upload_mb"],
        ["同时处理的请求数", str(settings.app_concurrency), "app_concurrency"],
        ["登录", f"已启用（{len(settings.app_auth)} 个账号）" if settings.app_auth else "未启用", "app_auth"],
    ]
    return rows


def build_settings_tab(assistant: Assistant) -> None:
    settings = assistant.settings
    gr.Dataframe(
        value=settings_rows(settings),
        headers=["项目", "当前值", "配置项"],
        label="当前设置",
        interactive=False,
        wrap=True,
        elem_id="qms-settings-table",
    )
    with gr.Row():
        test = gr.Button("测试连接", variant="primary", scale=1, elem_id="qms-test-connection")
        result = gr.Textbox(label="连接测试结果", interactive=False, scale=4, elem_id="qms-connection-result")
    test.click(user_errors(lambda: check_connection(settings)), None, result, api_name="test_connection")
    gr.Markdown(HOW_TO)
