"""文件起草 tab: company profile form → chosen drafts → Markdown preview, .docx / .md downloads, ZIP pack."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.drafting.builder import Drafter
from assistant.drafting.coverage import GAP, HOW
from assistant.drafting.coverage import table as coverage_table
from assistant.drafting.export_docx import write_docx
from assistant.drafting.export_markdown import table_markdown, to_markdown, write_markdown
from assistant.drafting.models import DraftDocument
from assistant.drafting.pack import doc_stem, safe_name
from assistant.drafting.profile import CompanyProfile
from assistant.errors import InputError
from assistant.web import profile_form
from assistant.web.common import download_dir, user_errors

if TYPE_CHECKING:
    from assistant.service import Assistant

OBJECTIVES, MAP, CHECKLIST = "质量方针和质量目标", "过程清单和过程图", "内部审核检查表"
SCOPE, FORMS = "体系范围和适用性说明（4.3）", "记录表单（全部）"
CARDS = "过程识别卡（全部过程）"
PROCEDURE_PREFIX = "程序文件："
# Shown in place of the last result when a request fails, so an old preview is never mistaken for the new one.
STALE_PREVIEW = "> ⚠️ 预览未更新：请按提示修改企业概况或选择后，再点“生成预览”。"


def one_download(paths: list[Path], zip_path: Path) -> str:
    """One file to download: the file itself, or all of them in one ZIP (26 process cards are one click)."""
    if len(paths) == 1:
        return str(paths[0])
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in paths:
            bundle.write(path, path.name)
    return str(zip_path)


class DraftingHandlers:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.profiles_dir = assistant.settings.profiles_dir

    @cached_property
    def drafter(self) -> Drafter:
        return Drafter(self.assistant)

    def choices(self) -> list[str]:
        procedures = [PROCEDURE_PREFIX + kind for kind in self.drafter.available_procedures()]
        return [SCOPE, OBJECTIVES, MAP, CARDS, *procedures, CHECKLIST, FORMS]

    def documents(self, profile: CompanyProfile, chosen: list[str] | None) -> list[DraftDocument]:
        """The chosen drafts, in the order of the choices list."""
        if not chosen:
            raise InputError("请至少选择一份要起草的文件。")
        d, docs = self.drafter, []
        for choice in [c for c in self.choices() if c in chosen]:
            if choice == SCOPE:
                docs.append(d.scope(profile))
            elif choice == FORMS:
                docs += d.forms(profile)
            elif choice == OBJECTIVES:
                docs.append(d.objectives(profile))
            elif choice == MAP:
                docs.append(d.process_map(profile))
            elif choice == CARDS:
                docs += [d.card(profile, p.code) for p in d.process_map(profile).body.processes]
            elif choice == CHECKLIST:
                docs.append(d.audit_checklist(profile))
            else:
                docs.append(d.procedure(profile, choice.removeprefix(PROCEDURE_PREFIX)))
        return docs

    def _split(self, values: tuple[Any, ...]) -> tuple[CompanyProfile, list[str]]:
        *fields, chosen = values
        return profile_form.profile_from_fields(*fields), chosen

    @user_errors
    def preview(self, *values: Any) -> str:
        docs = self.documents(*self._split(values))
        return "\n\n---\n\n".join(to_markdown(doc) for doc in docs)

    def _download(self, values: tuple[Any, ...], suffix: str, write: Callable[[DraftDocument, Path], Path]) -> str:
        profile, chosen = self._split(values)
        docs = self.documents(profile, chosen)
        folder = download_dir()
        paths = [write(doc, folder / f"{doc_stem(doc, i)}{suffix}") for i, doc in enumerate(docs, 1)]
        kind = "Word" if suffix == ".docx" else "Markdown"
        return one_download(paths, folder / f"{safe_name(profile.name)}-起草文件-{kind}.zip")

    @user_errors
    def docx(self, *values: Any) -> str:
        return self._download(values, ".docx", write_docx)

    @user_errors
    def markdown(self, *values: Any) -> str:
        return self._download(values, ".md", write_markdown)

    @user_errors
    def pack(self, *fields: Any) -> str:
        profile = profile_form.profile_from_fields(*fields)
        path = download_dir() / f"{safe_name(profile.name)}-质量管理体系文件包.zip"
        return str(self.drafter.write_pack(profile, path)[0])

    @user_errors
    def coverage(self, *fields: Any) -> str:
        """The clause × document matrix as Markdown, with the drafter's assumptions and open questions first."""
        profile = profile_form.profile_from_fields(*fields)
        notes = self.drafter.notes(profile)
        head = ["## 起草时的假定和请确认的事项", *(f"- {n}" for n in notes)] if notes else []
        rows = self.drafter.coverage(profile)
        gaps = [r.clause for r in rows if r.status == GAP]
        summary = f"缺口 {len(gaps)} 条" + (f"：{'、'.join(gaps)}" if gaps else "")
        return "\n".join([*head, "## 条款覆盖矩阵", HOW, "", summary, "", table_markdown(coverage_table(rows))])

    # ---- saved profiles ------------------------------------------------------------------------------
    @user_errors
    def save(self, *fields: Any) -> tuple[str, Any]:
        profile, path = profile_form.save(self.profiles_dir, *fields)
        return f"已保存企业概况：{path.name}", self._saved_update(path.name)

    @user_errors
    def load(self, name: str | None) -> list[Any]:
        profile = profile_form.load_saved(self.profiles_dir, name)
        return [*profile_form.fields_from_profile(profile), f"已载入企业概况：{name}"]

    def on_page_load(self) -> list[Any]:
        """Fill the saved-profiles list and reload the newest saved profile into the form."""
        names = profile_form.saved_profiles(self.profiles_dir)
        if not names:
            return [gr.update(choices=[], value=None), *[gr.update()] * len(profile_form.FIELDS), ""]
        try:
            fields = profile_form.fields_from_profile(profile_form.load_saved(self.profiles_dir, names[0]))
        except InputError as exc:
            return [self._saved_update(None), *[gr.update()] * len(profile_form.FIELDS), str(exc)]
        return [self._saved_update(names[0]), *fields, f"已载入最近保存的企业概况：{names[0]}"]

    def _saved_update(self, value: str | None) -> Any:
        return gr.update(choices=profile_form.saved_profiles(self.profiles_dir), value=value)


def build_drafting_tab(assistant: Assistant, demo: gr.Blocks) -> None:
    h = DraftingHandlers(assistant)
    gr.Markdown(
        "填写企业概况，选择要起草的文件，即可预览并下载 Word / Markdown 版本。"
        "草稿依据实施指南的模板和条款要点生成，**请结合企业实际修改后再发布使用**。"
    )
    with gr.Accordion("企业概况", open=True):
        with gr.Row():
            saved = gr.Dropdown(label="已保存的企业概况", choices=[], scale=3, elem_id="qms-profile-saved")
            load = gr.Button("载入", scale=1, min_width=80)
            save = gr.Button("保存概况", variant="primary", scale=1, min_width=80, elem_id="qms-profile-save")
        fields = profile_form.build_fields()
        status = gr.Markdown(label="概况状态", elem_id="qms-profile-status")
    chosen = gr.CheckboxGroup(
        h.choices(), value=[SCOPE, OBJECTIVES], label="选择要起草的文件", elem_id="qms-draft-choices"
    )
    with gr.Row():
        preview_btn = gr.Button("生成预览", variant="primary", elem_id="qms-draft-preview")
        docx_btn = gr.Button("下载 Word（.docx）", elem_id="qms-draft-docx")
        md_btn = gr.Button("下载 Markdown（.md）", elem_id="qms-draft-md")
        pack_btn = gr.Button("下载全套起步文件包（ZIP）", elem_id="qms-draft-pack")
        matrix_btn = gr.Button("条款覆盖矩阵", elem_id="qms-draft-coverage")
    # One file per click: a single draft as itself, several as one ZIP.
    files = gr.File(label="下载", interactive=False, elem_id="qms-draft-files")
    preview = gr.Markdown(label="预览", elem_id="qms-draft-preview-md", container=True)

    doc_inputs = [*fields, chosen]
    named = profile_form.form_signature
    save.click(named(h.save), fields, [status, saved], api_name="profile_save")
    load.click(h.load, saved, [*fields, status], api_name="profile_load")
    preview_btn.click(named(h.preview, "documents"), doc_inputs, preview, api_name="draft_preview").failure(
        lambda: STALE_PREVIEW, None, preview, api_visibility="private"
    )
    # A failed download must not leave the previous request's file looking like this one's result.
    for button, fn, inputs, name in (
        (docx_btn, named(h.docx, "documents"), doc_inputs, "draft_docx"),
        (md_btn, named(h.markdown, "documents"), doc_inputs, "draft_md"),
        (pack_btn, named(h.pack), fields, "draft_pack"),
    ):
        button.click(fn, inputs, files, api_name=name).failure(lambda: None, None, files, api_visibility="private")
    matrix_btn.click(named(h.coverage), fields, preview, api_name="draft_coverage").failure(
        lambda: STALE_PREVIEW, None, preview, api_visibility="private"
    )
    demo.load(h.on_page_load, None, [saved, *fields, status], api_visibility="private")
