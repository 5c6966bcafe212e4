"""The web layer without a server: answer rendering, settings-page secrets, login config, profile form."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answering import Answer
from assistant.citations import Citation
from assistant.config import Settings
from assistant.errors import InputError, QMSError
from assistant.web.profile_form import fields_from_profile, load_saved, profile_from_fields, save
from assistant.web.render import answer_markdown
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
    values = ["青松五金", "电镀", "", 12, "五金件，螺丝", "", "", "生产部、品质部", "", "", "", ""]
    profile, path = save(tmp_path, *values)
    assert (profile.industry, profile.industry_detail) == ("金属加工", "电镀")
    assert profile.products == ["五金件", "螺丝"]
    assert path == tmp_path / "青松五金.yaml"
    reloaded = fields_from_profile(load_saved(tmp_path, "青松五金.yaml"))
    assert reloaded[:5] == ["青松五金", "金属加工", "电镀", 12, "五金件、螺丝"]
    outside = tmp_path.parent / "outside.yaml"
    outside.write_text("name: x\n", encoding="utf-8")
    with pytest.raises(InputError, match="找不到"):
        load_saved(tmp_path, "../outside.yaml")
    with pytest.raises(InputError, match="企业概况有误"):
        profile_from_fields("", "其他", "", 5, "", "", "", "", "", "", "", "")


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
