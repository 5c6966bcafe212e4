"""问答 tab: a streaming chat with expandable citations, plus the plain `/ask` API endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.web.common import user_errors, warn
from assistant.web.render import answer_markdown, api_markdown, safe_text

if TYPE_CHECKING:
    from assistant.service import Assistant

EXAMPLES = [
    "内审怎么做？",
    "过程识别卡要写哪些内容？",
    "小微企业建立质量管理体系分几步？",
    "质量目标怎么定？",
    "不合格品怎么处理？",
]

Messages = list[dict[str, Any]]


def make_handlers(assistant: Assistant) -> tuple[Any, Any]:
    """(ask, respond): the API function and the chat's streaming generator, both thin over the Assistant."""

    @user_errors
    def ask(question: str) -> str:
        """回答一个关于 ISO 9001 / 小微企业质量管理体系的问题，返回带编号来源的 Markdown 文本。"""
        return api_markdown(assistant.ask(question))

    @user_errors
    def respond(question: str, chat: Messages, history: Messages) -> Iterator[tuple[Messages, Messages, str]]:
        question = (question or "").strip()
        if not question:
            warn("请输入一个问题。")
            yield chat, history, ""
            return
        # The chat shows rich bubbles; `history` keeps the plain answer texts the answerer condenses from.
        chat = [
            *chat,
            {"role": "user", "content": question},
            {"role": "assistant", "content": "正在检索资料……"},
        ]
        yield chat, history, ""
        streamed = ""
        for event in assistant.ask_stream(question, history):
            if isinstance(event, str):
                streamed += event
                chat[-1] = {"role": "assistant", "content": safe_text(streamed)}
                yield chat, history, ""
            else:
                chat[-1] = {"role": "assistant", "content": answer_markdown(event)}
                history = [
                    *history,
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": event.text},
                ]
                yield chat, history, ""

    return ask, respond


def _example_text(evt: gr.SelectData) -> str:
    return evt.value["text"]


def build_chat_tab(assistant: Assistant) -> None:
    ask, respond = make_handlers(assistant)
    gr.Markdown(
        "向质量助手提问 ISO 9001 和小微企业质量管理体系建设的问题。"
        "每个回答都注明出处，点击来源可展开原文；追问会结合上文。"
    )
    chatbot = gr.Chatbot(
        label="问答",
        height=520,
        elem_id="qms-chat",
        buttons=["copy"],
        feedback_options=None,
        placeholder="可以问：内审怎么做？过程识别卡要写哪些内容？",
        examples=[{"text": q} for q in EXAMPLES],
    )
    history = gr.State([])
    with gr.Row():
        question = gr.Textbox(
            label="问题",
            placeholder="输入问题，按回车发送",
            show_label=False,
            scale=8,
            max_lines=6,
            elem_id="qms-question",
        )
        send = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="qms-send")
        new_chat = gr.Button("新对话", scale=1, min_width=80, elem_id="qms-new-chat")

    chat_io = {"fn": respond, "inputs": [question, chatbot, history], "outputs": [chatbot, history, question]}
    question.submit(**chat_io, api_name="chat")
    send.click(**chat_io, api_visibility="private")
    chatbot.example_select(_example_text, None, question, api_visibility="private").then(
        **chat_io, api_visibility="private"
    )
    new_chat.click(lambda: ([], [], ""), None, [chatbot, history, question], api_visibility="private")
    gr.api(ask, api_name="ask")
