"""知识库 tab: upload documents, see what is indexed, delete an upload, rebuild the index."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.errors import InputError
from assistant.web.common import uploaded_files, user_errors
from assistant.web.render import SOURCE_HEADERS, ingest_markdown, source_rows
from assistant.web.roles import require_admin, show_to_admins

if TYPE_CHECKING:
    from assistant.service import Assistant


# Gradio swaps this default for a per-request tracker; track_tqdm shows the embedding bar in the page.
TRACK = gr.Progress(track_tqdm=True)


class KnowledgeBaseHandlers:
    """Thin handlers over the Assistant's ingest API; each returns what the tab displays."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def table(self) -> tuple[list[list[object]], Any]:
        sources = self.assistant.list_sources()
        deletable = [str(s["source"]) for s in sources if s["kind"] == "user"]
        return source_rows(sources), gr.update(choices=deletable, value=None)

    @user_errors
    def upload(self, files: list[str] | None, request: gr.Request, progress: gr.Progress = TRACK) -> tuple:
        require_admin(self.assistant.settings, request, "导入文件")
        if not files:
            raise InputError("请先选择要上传的文件（PDF、DOCX、MD 或 TXT）。")
        progress(0, desc="正在读取和切分文档……")
        # Only files that Gradio itself received; ingest then applies safe_filename, the size limit and the
        # content sniffing, so every check on the file itself lives in one place.
        report = self.assistant.ingest_files(uploaded_files(files), progress=True)
        return (ingest_markdown(report), *self.table())

    @user_errors
    def cancel(self, request: gr.Request) -> str:
        """Stop a running import at its next page or embedding batch; the knowledge base stays as it was."""
        require_admin(self.assistant.settings, request, "取消导入")
        self.assistant.cancel_ingest()
        return "已请求取消导入：当前文件处理到下一页或下一批向量时停止，知识库保持原样。"

    @user_errors
    def remove(self, source: str | None, request: gr.Request) -> tuple:
        require_admin(self.assistant.settings, request, "删除文档")
        if not source:
            raise InputError("请先在下拉框中选择要删除的文档。")
        report = self.assistant.remove_source(source)
        return (ingest_markdown(report), *self.table())

    @user_errors
    def rebuild(self, request: gr.Request, progress: gr.Progress = TRACK) -> tuple:
        require_admin(self.assistant.settings, request, "重建索引")
        progress(0, desc="正在重建索引……")
        report = self.assistant.rebuild(progress=True)
        return (ingest_markdown(report), *self.table())


def build_kb_tab(assistant: Assistant, demo: gr.Blocks) -> None:
    handlers = KnowledgeBaseHandlers(assistant)
    limit = assistant.settings.app_max_upload_mb
    gr.Markdown(
        "内置知识库包含《小微企业应用 ISO 9001 提升质量管理的实施指南》和 ISO 9001:2015 条款要点。"
        f"可以上传企业自己的文件（PDF、Word .docx、Markdown、TXT，单个不超过 {limit} MB），问答时一并检索。"
        "扫描件 PDF 会自动做文字识别（OCR，每页约 3 秒），引用时标注“扫描识别”；导入较慢时可以点“取消导入”。"
        + ("导入、删除文档和重建索引仅限管理员账号。" if assistant.settings.app_auth else "")
    )
    with gr.Row():
        files = gr.File(
            label="选择文件",
            file_count="multiple",
            type="filepath",
            elem_id="qms-kb-files",
            scale=3,
        )
        with gr.Column(scale=1):
            upload = gr.Button("导入知识库", variant="primary", elem_id="qms-kb-upload")
            cancel = gr.Button("取消导入", elem_id="qms-kb-cancel")
            rebuild = gr.Button("重建索引", elem_id="qms-kb-rebuild")
    status = gr.Markdown(label="处理结果", elem_id="qms-kb-status")
    table = gr.Dataframe(
        headers=SOURCE_HEADERS,
        label="知识库中的文档",
        interactive=False,
        wrap=True,
        elem_id="qms-kb-table",
    )
    with gr.Row():
        choice = gr.Dropdown(label="选择要删除的上传文档", choices=[], scale=3, elem_id="qms-kb-choice")
        delete = gr.Button("删除所选文档", variant="stop", scale=1, elem_id="qms-kb-delete")

    outputs = [status, table, choice]
    upload.click(handlers.upload, [files], outputs, api_name="kb_upload").success(
        lambda: None, None, files, api_visibility="private"
    )
    delete.click(handlers.remove, [choice], outputs, api_name="kb_delete")
    rebuild.click(handlers.rebuild, None, outputs, api_name="kb_rebuild")
    # Not queued behind the import it cancels: it only sets a flag.
    cancel.click(handlers.cancel, None, status, api_name="kb_cancel", queue=False)
    demo.load(handlers.table, None, [table, choice], api_name="kb_list")
    show_to_admins(demo, assistant.settings, [files, upload, cancel, rebuild, choice, delete])
