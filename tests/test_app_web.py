"""The web layer without a server: answer rendering, settings-page secrets, login config, profile form."""

from __future__ import annotations

import logging
import re
import zipfile
from pathlib import Path

import pytest

from assistant.answering import Answer
from assistant.citations import Citation
from assistant.config import Settings
from assistant.errors import InputError, QMSError
from assistant.web.common import user_errors
from assistant.web.drafting_tab import one_download
from assistant.web.profile_form import fields_from_profile, load_saved, profile_from_fields, save
from assistant.web.render import answer_markdown, api_markdown, safe_text
from assistant.web.roles import is_admin, require_admin
from assistant.web.settings_tab import settings_rows
from assistant.web.ui import auth_pairs

GUIDE_SECTION = "三、小微企业质量管理体系建设方法步骤 > （七）跟踪检查评价 > 2. 内部审核"


def test_answer_markdown_has_one_expandable_source_per_citation_with_escaped_passage() -> None:
    passage = "内审 <script>alert(1)</script> 每年一次"
    cite = Citation(1, GUIDE_SECTION, "9.2.1", passage, "corpus/guide/guide.md", "guide")
    text = answer_markdown(Answer("每年至少一次内审。[1]", True, [cite], notice="大模型不可用，已改用摘录。"))
    assert text.startswith("> ⚠️ 大模型不可用")
    assert text.count("<details>") == 1
    assert "<summary>[1] 指南 三（七）2. 内部审核 · ISO 9001 9.2.1</summary>" in text
    assert "章节：三、小微企业质量管理体系建设方法步骤 › （七）跟踪检查评价 › 2. 内部审核" in text
    assert "<script>" not in text and "&lt;script&gt;" in text  # an uploaded passage cannot inject HTML


def test_uncovered_answer_has_no_sources_block() -> None:
    assert "来源" not in answer_markdown(Answer("知识库未涵盖这个问题。", False))


def test_settings_page_never_shows_the_api_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, llm_backend="openai", llm_api_key="sk-very-secret-123")
    rows = settings_rows(settings)
    assert "sk-very-secret-123" not in repr(rows)
    assert ["API 密钥", "已设置", "llm_api_key"] in rows
    assert ["API 密钥", "未设置", "llm_api_key"] in settings_rows(Settings(data_dir=tmp_path))


def test_auth_pairs() -> None:
    assert auth_pairs(["admin:pa:ss", "质检:口令"]) == [("admin", "pa:ss"), ("质检", "口令")]
    assert auth_pairs([]) == []
    for bad in (["admin"], ["admin:"], [":pw"]):
        with pytest.raises(QMSError, match="用户名:密码"):
            auth_pairs(bad)


def test_profile_form_round_trip_and_saved_names_stay_in_the_folder(tmp_path: Path) -> None:
    values = [
        "青松五金",
        "电镀",
        "",
        "制造",
        "是",
        "否",
        "",
        12,
        "五金件，螺丝",
        "",
        "",
        "生产部、品质部",
        "",
        "",
        "",
        "",
    ]
    profile, path = save(tmp_path, *values)
    assert (profile.industry, profile.business, profile.own_design) == ("电镀", "制造", False)
    assert profile.products == ["五金件", "螺丝"]
    assert path == tmp_path / "青松五金.yaml"
    reloaded = fields_from_profile(load_saved(tmp_path, "青松五金.yaml"))
    assert reloaded[:9] == ["青松五金", "电镀", "", "制造", "是", "否", "", 12, "五金件、螺丝"]
    outside = tmp_path.parent / "outside.yaml"
    outside.write_text("name: x\n", encoding="utf-8")
    with pytest.raises(InputError, match="找不到"):
        load_saved(tmp_path, "../outside.yaml")
    with pytest.raises(InputError, match="企业概况有误"):
        profile_from_fields("", "其他", "", "", "", "", "", 5, "", "", "", "", "", "", "", "")


def test_only_files_inside_the_gradio_upload_folder_are_accepted(tmp_path: Path, monkeypatch) -> None:
    from assistant.web.common import uploaded_files

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    inside = tmp_path / "gradio" / "abc123" / "规程.md"
    inside.parent.mkdir(parents=True)
    inside.write_text("# 规程\n", encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("口令", encoding="utf-8")
    link = tmp_path / "gradio" / "abc123" / "link.txt"
    link.symlink_to(secret)
    assert uploaded_files([str(inside)]) == [inside.resolve()]
    for bad in (secret, link, tmp_path / "gradio" / "abc123" / ".." / ".." / "secret.txt", tmp_path / "gradio"):
        with pytest.raises(InputError, match="只能导入通过本页面上传的文件"):
            uploaded_files([str(bad)])


# ---- HTML in answers, roles, error logging, downloads ------------------------------------------------------
HOSTILE = (
    "供应商每年评价一次<script>alert(1)</script><img src=x onerror=alert(2)>，"
    "详见[评价表](javascript:alert(3))和[附件]( JavaScript :alert(4))。 A & B &lt;b&gt;"
)


@pytest.mark.parametrize("render", [answer_markdown, api_markdown])
def test_answer_text_cannot_carry_html_or_script_links(render) -> None:
    cite = Citation(1, GUIDE_SECTION, "8.4", HOSTILE, "uploads/评价.md", "user")
    text = render(Answer(HOSTILE + "[1]", True, [cite], notice="<b onmouseover=alert(5)>提示</b>"))
    body = text.replace("<details>", "").replace("</details>", "").replace("<summary>", "").replace("</summary>", "")
    body = body.replace('<div class="qms-sources">', "").replace("</div>", "").replace("<br>", "")
    assert "<" not in body  # no tag of the text's own survives: <script>, <img …>, <b …> are all shown as text
    assert not re.search(r"(?i)javascript\s*:", text)
    assert "&lt;script>alert(1)&lt;/script>" in text or "&lt;script&gt;" in text
    assert "供应商每年评价一次" in text and "[评价表](javascript：alert(3))" in text
    assert "A &amp; B &amp;lt;b&amp;gt;" in safe_text("A & B &lt;b&gt;")  # shown literally, not decoded


def _request(username: str | None):
    import gradio as gr

    return gr.Request(username=username)


def test_only_admins_manage_when_login_is_on(tmp_path: Path) -> None:
    open_app = Settings(data_dir=tmp_path)
    assert is_admin(open_app, None) and is_admin(open_app, _request(None))  # no login: one local user
    shop = Settings(data_dir=tmp_path, app_auth=["主管:a1", "质检员:b2", "张三:c3"], app_admins=["主管", "质检员"])
    assert is_admin(shop, _request("主管")) and is_admin(shop, _request("质检员"))
    assert not is_admin(shop, _request("张三")) and not is_admin(shop, None)
    with pytest.raises(InputError, match="只有管理员可以导入文件。当前账号“张三”是普通用户"):
        require_admin(shop, _request("张三"), "导入文件")
    first_only = Settings(data_dir=tmp_path, app_auth=["admin:a1", "员工:b2"])  # no app_admins: the first account
    assert is_admin(first_only, _request("admin")) and not is_admin(first_only, _request("员工"))
    with pytest.raises(QMSError, match="app_admins 中的账号“老板”不在 app_auth 中"):
        is_admin(Settings(data_dir=tmp_path, app_auth=["admin:a1"], app_admins=["老板"]), _request("admin"))


def test_input_errors_log_one_line_and_internal_errors_keep_the_traceback(caplog) -> None:
    import gradio as gr

    @user_errors
    def refuses() -> None:
        raise InputError("请先选择文件。")

    @user_errors
    def breaks() -> None:
        raise KeyError("bug")

    caplog.set_level(logging.INFO, logger="qms.web")
    with pytest.raises(gr.Error) as refused:
        refuses()
    assert refused.value.title == "提示" and refused.value.print_exception is False
    assert [r.exc_info for r in caplog.records] == [None] and "请先选择文件" in caplog.records[0].getMessage()
    caplog.clear()
    with pytest.raises(gr.Error) as broken:
        breaks()
    assert broken.value.title == "错误" and "内部错误" in broken.value.message
    assert caplog.records[0].exc_info is not None  # the administrator gets the traceback, once


def test_many_drafts_download_as_one_zip(tmp_path: Path) -> None:
    paths = []
    for n in range(3):
        paths.append(tmp_path / f"过程识别卡-C{n}.docx")
        paths[-1].write_bytes(b"PK fake docx " + bytes([n]))
    assert one_download(paths[:1], tmp_path / "x.zip") == str(paths[0])
    bundle = Path(one_download(paths, tmp_path / "起草文件-Word.zip"))
    with zipfile.ZipFile(bundle) as zf:
        assert zf.namelist() == [p.name for p in paths] and zf.read(paths[2].name) == paths[2].read_bytes()


def test_cancel_button_stops_a_running_import_and_keeps_the_knowledge_base(
    built_assistant, tmp_path: Path, monkeypatch
) -> None:
    import threading

    from assistant.errors import IngestCancelled
    from assistant.web.kb_tab import KnowledgeBaseHandlers

    handlers = KnowledgeBaseHandlers(built_assistant)
    before = {s["source"] for s in built_assistant.list_sources()}
    doc = tmp_path / "长篇规程.md"
    doc.write_text(
        "# 长篇规程\n\n"
        + "\n\n".join(
            f"## 第{i}节\n\n第{i}节规定了第{i}号工序的检验方法和记录要求，操作工按此执行。" for i in range(400)
        ),
        encoding="utf-8",
    )
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            built_assistant.ingest_files([doc], progress=False)
            outcome["finished"] = True
        except IngestCancelled as exc:
            outcome["cancelled"] = str(exc)

    worker = threading.Thread(target=run)
    worker.start()
    message = ""
    while worker.is_alive() and not message:  # press the button as soon as the import is under way
        threading.Event().wait(0.2)
        message = handlers.cancel(None)
    worker.join(timeout=120)
    assert "取消" in message
    assert "cancelled" in outcome and "已取消导入" in str(outcome["cancelled"]), outcome
    assert {s["source"] for s in built_assistant.list_sources()} == before
