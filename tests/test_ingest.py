"""Loaders, file-name safety and chunking on real files: Markdown, TXT (UTF-8 and GBK), PDF and DOCX."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from support.pdfs import (
    DOCX_TABLE,
    PROCEDURE_TITLE,
    make_broken_pdf,
    make_docx,
    make_encrypted_pdf,
    make_image_only_pdf,
    make_procedure_pdf,
)

from assistant.errors import DocumentLoadError, InputError
from ingest.chunking import SECTION_SEP, chunk_markdown
from ingest.loaders import PAGE_MARKER, load_file, sniff_format
from ingest.pipeline import safe_filename

CJK = re.compile(r"[\u4e00-\u9fff]")

PROCEDURE_MD = """# 文件控制程序

## 一、目的

规范公司质量管理体系文件的编制、审批、发放和更改，确保使用场所得到有效版本。

## 二、职责

### （一）办公室

办公室负责文件的统一编号、发放登记和作废文件的回收。

### （二）各部门

各部门负责本部门文件的起草和使用中的保管。
"""


# ---- loaders ---------------------------------------------------------------------------------------------
def test_markdown_keeps_headings_and_title(tmp_path: Path) -> None:
    path = tmp_path / "文件控制程序.md"
    path.write_text(PROCEDURE_MD, encoding="utf-8")
    loaded = load_file(path)
    assert loaded.fmt == "md"
    assert loaded.title == "文件控制程序"
    assert loaded.markdown.splitlines()[0] == "# 文件控制程序"
    assert "### （一）办公室" in loaded.markdown
    assert loaded.pages == 0


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_txt_numbered_headings_become_markdown(tmp_path: Path, encoding: str) -> None:
    text = (
        "一、目的\r\n"
        "为规范不合格品的识别和处置，防止误用，\r\n"  # a hard line break in mid-sentence: joined back
        "特制定本程序。\r\n"
        "\r\n"
        "（一）标识和隔离\r\n"
        "1. 检验员发现不合格品后立即挂红色标签。\r\n"
        "2、仓库设置不合格品区。\r\n"
    )
    path = tmp_path / "不合格品控制.txt"
    path.write_bytes(text.encode(encoding))
    loaded = load_file(path)
    assert loaded.fmt == "txt"
    md = loaded.markdown
    assert "## 一、目的" in md
    assert "为规范不合格品的识别和处置，防止误用，特制定本程序。" in md
    assert "### （一）标识和隔离" in md
    # Numbered lines ending in 。 are body text (list items), not headings.
    assert "1. 检验员发现不合格品后立即挂红色标签。" in md
    assert "#### 1. 检验员" not in md
    assert "\r" not in md


def test_gbk_text_really_is_not_utf8(tmp_path: Path) -> None:
    data = "质量目标：产品一次交检合格率不低于98%。".encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    path = tmp_path / "目标.txt"
    path.write_bytes(data)
    assert "产品一次交检合格率不低于98%" in load_file(path).markdown


def test_pdf_to_markdown_with_headings_and_page_markers(tmp_path: Path, cjk_font: Path) -> None:
    loaded = load_file(make_procedure_pdf(tmp_path / "内审程序.pdf", cjk_font))
    assert loaded.fmt == "pdf"
    assert loaded.pages == 3
    assert loaded.title == PROCEDURE_TITLE  # from the PDF's metadata
    assert loaded.warnings == []
    md = loaded.markdown
    for n in (1, 2, 3):
        assert PAGE_MARKER.format(n=n) in md
    lines = md.splitlines()
    assert "## 一、目的" in lines
    assert "### （一）管理者代表" in lines
    assert "#### 1. 年度审核计划" in lines
    # The footer "第 N 页 共 M 页" is a page number, not content.
    assert "页 共" not in md and "第 1 页" not in md
    # Headings come in page order: 四、 is on page 2, （二）审核实施 on page 3.
    assert md.index(PAGE_MARKER.format(n=2)) < md.index("## 四、工作程序") < md.index(PAGE_MARKER.format(n=3))
    assert md.index(PAGE_MARKER.format(n=3)) < md.index("### （二）审核实施")
    assert "内部审核每年至少进行一次，覆盖全部部门和条款。" in md


def test_docx_headings_lists_and_tables(tmp_path: Path) -> None:
    loaded = load_file(make_docx(tmp_path / "管理评审.docx"))
    assert loaded.fmt == "docx"
    assert loaded.title == "管理评审控制程序"
    lines = loaded.markdown.splitlines()
    assert lines[0] == "# 管理评审控制程序"  # the Title style is the document title
    assert "## 一、目的" in lines  # Heading 1
    assert "### （一）评审输入" in lines  # Heading 2
    assert "- 以往管理评审所采取措施的实施情况" in lines
    header = "| " + " | ".join(DOCX_TABLE[0]) + " |"
    assert header in lines
    assert lines[lines.index(header) + 1] == "| --- | --- | --- |"
    assert "| 管理评审报告 | 办公室 | 长期 |" in lines


def test_docx_chunks_carry_title_and_sections(tmp_path: Path) -> None:
    loaded = load_file(make_docx(tmp_path / "管理评审.docx"))
    docs = chunk_markdown(loaded.markdown, source="uploads/管理评审.docx")
    assert {d.metadata["title"] for d in docs} == {"管理评审控制程序"}
    sections = [d.metadata["section"] for d in docs]
    assert "二、工作程序 > （二）评审会议" in sections
    table_doc = next(d for d in docs if "| 记录名称 |" in d.page_content)
    assert table_doc.metadata["section"] == "三、相关记录"


def test_encrypted_pdf_has_chinese_error(tmp_path: Path, cjk_font: Path) -> None:
    path = make_encrypted_pdf(tmp_path / "价格.pdf", cjk_font)
    with pytest.raises(DocumentLoadError, match="已加密") as info:
        load_file(path)
    assert "价格.pdf" in str(info.value) and "密码" in str(info.value)


def test_broken_pdf_has_chinese_error(tmp_path: Path, cjk_font: Path) -> None:
    path = make_broken_pdf(tmp_path / "损坏.pdf", cjk_font)
    assert path.read_bytes().startswith(b"%PDF")
    with pytest.raises(DocumentLoadError, match="已损坏或格式不正确") as info:
        load_file(path)
    assert "损坏.pdf" in str(info.value)


def test_image_only_pdf_asks_for_ocr(tmp_path: Path) -> None:
    path = make_image_only_pdf(tmp_path / "扫描件.pdf")
    with pytest.raises(DocumentLoadError, match="没有可提取的文字") as info:
        load_file(path)
    assert "OCR" in str(info.value)


def test_pdf_extension_with_text_content(tmp_path: Path) -> None:
    path = tmp_path / "假的.pdf"
    path.write_text("这其实是一个文本文件。", encoding="utf-8")
    with pytest.raises(DocumentLoadError, match="内容不是有效的 PDF") as info:
        load_file(path)
    assert CJK.search(str(info.value))


def test_misnamed_pdf_is_read_by_content(tmp_path: Path, cjk_font: Path) -> None:
    path = make_procedure_pdf(tmp_path / "程序.txt", cjk_font)
    assert sniff_format(path) == "pdf"
    assert "## 一、目的" in load_file(path).markdown


@pytest.mark.parametrize("name", ["表格.xlsx", "图片.png", "旧版.doc", "无扩展名"])
def test_unsupported_types_have_chinese_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".xlsx"):  # a real ZIP, like an Excel file: must not be taken for Word
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("xl/workbook.xml", "<workbook/>")
    else:
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    with pytest.raises(DocumentLoadError, match="不支持的文件类型") as info:
        load_file(path)
    assert "PDF" in str(info.value) and "docx" in str(info.value)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "空.md"
    empty.write_text("  \n\n", encoding="utf-8")
    with pytest.raises(DocumentLoadError, match="是空的"):
        load_file(empty)
    with pytest.raises(DocumentLoadError, match="找不到文件"):
        load_file(tmp_path / "不存在.md")


# ---- safe file names -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\a.md", "a.md"),
        ("C:\\Users\\张三\\质量手册.DOCX", "质量手册.docx"),
        ("a\x00b\x1fc.md", "a_b_c.md"),
        ("审核<计划>?.pdf", "审核_计划__.pdf"),
        ("  .隐藏.txt ", "隐藏.txt"),
    ],
)
def test_safe_filename(raw: str, expected: str) -> None:
    name = safe_filename(raw)
    assert name == expected
    assert "/" not in name and "\\" not in name and ".." not in name
    assert not any(ord(ch) < 32 for ch in name)


@pytest.mark.parametrize("raw", ["   ", "..", "../..", "dir/", "...", "\\"])
def test_safe_filename_rejects_empty_names(raw: str) -> None:
    with pytest.raises(InputError, match="文件名无效"):
        safe_filename(raw)


def test_safe_filename_limits_length() -> None:
    name = safe_filename("很" * 300 + ".md")
    assert name.endswith(".md") and len(name) <= 83


# ---- chunking --------------------------------------------------------------------------------------------
def _long_section_markdown() -> str:
    sentence = "审核员应依据检查表逐项核实现场记录并写明客观证据。"
    parts = ["# 质量手册", "## 一、总则", sentence * 3]
    for n in range(1, 4):
        parts += [f"### （{'一二三'[n - 1]}）第{n}项", sentence * (6 * n)]
    parts += ["## 二、附则", "本手册自发布之日起施行。"]
    return "\n\n".join(parts)


def test_chunks_never_cross_top_level_sections_and_fit() -> None:
    docs = chunk_markdown(_long_section_markdown(), source="uploads/手册.md", max_chars=120, min_chars=30)
    assert len(docs) > 5
    for doc in docs:
        top = doc.metadata["section_top"]
        assert doc.metadata["section"].split(SECTION_SEP)[0] == top
        # A chunk's text belongs to one top-level section: the 附则 sentence never rides with 总则 text.
        if top == "一、总则":
            assert "本手册自发布之日起施行" not in doc.page_content
        assert len(doc.page_content) <= 120 * 1.3
    assert [d.metadata["chunk_index"] for d in docs] == list(range(len(docs)))
    assert docs[-1].metadata["section"] == "二、附则"
    assert docs[-1].page_content == "本手册自发布之日起施行。"


def test_section_path_format_and_title() -> None:
    docs = chunk_markdown(PROCEDURE_MD, source="uploads/文件控制程序.md")
    by_section = {d.metadata["section"]: d for d in docs}
    assert set(by_section) == {"一、目的", "二、职责 > （一）办公室", "二、职责 > （二）各部门"}
    doc = by_section["二、职责 > （一）办公室"]
    assert doc.metadata["section_top"] == "二、职责"
    assert doc.metadata["title"] == "文件控制程序"
    assert doc.metadata["source"] == "uploads/文件控制程序.md"
    assert doc.metadata["clauses"] == ""
    assert doc.page_content == "办公室负责文件的统一编号、发放登记和作废文件的回收。"


def test_clause_mapper_and_extra_metadata() -> None:
    docs = chunk_markdown(
        PROCEDURE_MD,
        source="x.md",
        clauses_for=lambda path: ["7.5.3"] if path[0] == "二、职责" else [],
        extra_metadata={"kind": "user"},
    )
    assert {d.metadata["clauses"] for d in docs if d.metadata["section_top"] == "二、职责"} == {"7.5.3"}
    assert all(d.metadata["kind"] == "user" for d in docs)


def test_pdf_chunks_carry_page_numbers(tmp_path: Path, cjk_font: Path) -> None:
    loaded = load_file(make_procedure_pdf(tmp_path / "内审程序.pdf", cjk_font))
    docs = chunk_markdown(loaded.markdown, source="uploads/内审程序.pdf")
    page_of = {d.metadata["section"]: d.metadata["page"] for d in docs}
    assert page_of["一、目的"] == 1
    assert page_of["三、职责 > （二）质量部"] == 1
    assert page_of["四、工作程序 > （一）审核策划 > 1. 年度审核计划"] == 2
    assert page_of["四、工作程序 > （二）审核实施 > 3. 末次会议"] == 3
    assert page_of["五、相关记录"] == 3
    assert all(isinstance(d.metadata["page"], int) and d.metadata["page"] >= 1 for d in docs)


def test_long_table_split_with_header_repeated() -> None:
    header = "| 序号 | 记录名称 | 保存部门 | 保存期限 |\n| --- | --- | --- | --- |"
    rows = [f"| {i} | 第{i}号过程检验记录表 | 质量部 | 三年 |" for i in range(1, 41)]
    markdown = "## 四、记录清单\n\n" + header + "\n" + "\n".join(rows)
    docs = chunk_markdown(markdown, source="uploads/记录.md", max_chars=300)
    assert len(docs) >= 4
    seen: list[str] = []
    for doc in docs:
        lines = doc.page_content.split("\n")
        assert "\n".join(lines[:2]) == header
        assert len(lines) > 2
        assert len(doc.page_content) <= 300 * 1.3
        assert doc.metadata["section"] == "四、记录清单"
        seen += lines[2:]
    assert seen == rows  # every row once, in order


def test_long_paragraph_split_at_sentences() -> None:
    sentences = [f"第{i}条要求各部门按期提交质量目标完成情况统计表。" for i in range(1, 30)]
    markdown = "## 一、目标管理\n\n" + "".join(sentences)
    docs = chunk_markdown(markdown, source="x.md", max_chars=150, min_chars=40)
    assert len(docs) > 3
    for doc in docs:
        assert doc.page_content.endswith("。")
        assert len(doc.page_content) <= 150 * 1.3
    assert "".join(d.page_content.replace("\n", "") for d in docs) == "".join(sentences)
