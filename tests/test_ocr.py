"""Scanned PDFs: generated Chinese pages (clean and phone-scan), read offline by the bundled OCR models.

The pages are drawn with the CJK font, tilted, blurred and JPEG-compressed like a phone photo, and saved as
image-only PDFs; nothing here is mocked: the real rapidocr engine, the real loader and a real index.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from support.pdfs import make_procedure_pdf
from support.scans import (
    CARD_BLOCKS,
    PROCEDURE_BLOCKS,
    SCANNED_FACT,
    SCANNED_QUESTION,
    WIDE_CARD_BLOCKS,
    WIDE_CARD_ROWS,
    Page,
    char_accuracy,
    draw_page,
    phone_scan,
    save_image_pdf,
    stamp,
)
from typer.testing import CliRunner, Result

from assistant.cli import app
from assistant.errors import DocumentLoadError, IngestCancelled
from assistant.service import Assistant
from ingest.chunking import chunk_markdown
from ingest.loaders import PAGE_MARKER, load_file
from ingest.ocr import OcrOptions, PageReader, mark_recognised, page_reader
from ingest.ocr_layout import TextBox, page_markdown, rows_of


@pytest.fixture(scope="module")
def reader() -> PageReader:
    return page_reader(1)


@pytest.fixture(scope="module")
def procedure(cjk_font: Path) -> Page:
    return draw_page(PROCEDURE_BLOCKS, cjk_font)


@pytest.fixture(scope="module")
def card(cjk_font: Path) -> Page:
    return draw_page(CARD_BLOCKS, cjk_font)


@pytest.fixture(scope="module")
def scan_pdf(tmp_path_factory: pytest.TempPathFactory, procedure: Page, card: Page, cjk_font: Path) -> Path:
    """Two image-only pages: the stamped procedure photographed by phone, the process card scanned cleanly."""
    path = tmp_path_factory.mktemp("scans") / "采购控制程序（扫描件）.pdf"
    # The seal's ring crosses the line with the fact the end-to-end test asks about.
    return save_image_pdf([phone_scan(stamp(procedure.image, cjk_font)), card.image], path)


def table_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


# ---- layout: boxes → rows → Markdown (no OCR needed) ------------------------------------------------------
def box(text: str, x0: float, y0: float, width: float, height: float = 40) -> TextBox:
    return TextBox(text, 0.99, x0, y0, x0 + width, y0 + height)


def test_rows_group_by_overlap_and_read_left_to_right() -> None:
    # Out of order, and the right-hand cell sits a little lower, as on a slightly tilted page.
    boxes = [box("输出", 700, 212, 80), box("第二行", 100, 200, 120), box("第一行", 100, 100, 120)]
    rows = rows_of(boxes)
    assert [[b.text for b in row] for row in rows] == [["第一行"], ["第二行", "输出"]]


def test_aligned_grid_becomes_a_markdown_table_with_wrapped_cells_joined() -> None:
    boxes = [box("过程识别卡", 100, 40, 200)]
    grid = [["过程名称", "输入", "输出"], ["采购过程", "采购申请单", "合格物料"], ["生产过程", "生产计划", "合格成品"]]
    for r, row in enumerate(grid):
        boxes += [box(text, 100 + 400 * c, 120 + 80 * r, 160) for c, text in enumerate(row)]
    boxes.append(box("及图纸", 500, 120 + 80 * 2 + 45, 100))  # second line of 生产计划's cell
    boxes.append(box("监视指标：采购物料批次合格率。", 100, 420, 600))
    markdown = page_markdown(boxes)
    assert markdown.split("\n\n") == [
        "过程识别卡",
        "\n".join(
            [
                table_row(grid[0]),
                "| --- | --- | --- |",
                table_row(grid[1]),
                table_row(["生产过程", "生产计划及图纸", "合格成品"]),
            ]
        ),
        "监视指标：采购物料批次合格率。",
    ]


def test_prose_lines_join_into_paragraphs_and_headings() -> None:
    boxes = [
        box("一、目的", 100, 100, 160),
        box("为确保采购的产品符合规定要求，对供应商的选择", 100, 160, 900),
        box("进行控制。", 100, 220, 200),
        box("编制：张三", 100, 300, 200),  # one wide-gapped row is a line, not a table
        box("批准：李四", 900, 300, 200),
    ]
    assert page_markdown(boxes) == (
        "## 一、目的\n\n为确保采购的产品符合规定要求，对供应商的选择进行控制。\n\n编制：张三  批准：李四"
    )


# ---- the engine on generated pages -----------------------------------------------------------------------
def test_engine_uses_its_own_sessions_without_memory_patterns(reader: PageReader, cjk_font: Path) -> None:
    line = draw_page(["质量手册"], cjk_font).image.crop((0, 0, 600, 300))
    assert "质量手册" in reader.read(np.array(line)).markdown
    # With memory patterns onnxruntime keeps a plan per input shape; every text line has its own width, so a
    # long scan grew by ~60 MB a page. The sessions that ran are ours, on the CPU.
    for step, section in (
        (reader.engine.text_det, reader.engine.cfg.Det),
        (reader.engine.text_rec, reader.engine.cfg.Rec),
    ):
        assert step.session.session is section.session
        assert section.session.get_session_options().enable_mem_pattern is False
        assert section.session.get_providers() == ["CPUExecutionProvider"]


@pytest.mark.parametrize("which", ["procedure", "card"])
def test_clean_pages_are_read_exactly(reader: PageReader, which: str, request: pytest.FixtureRequest) -> None:
    page: Page = request.getfixturevalue(which)
    result = reader.read(np.array(page.image))
    assert char_accuracy(page.text, result.markdown) >= 0.99, result.markdown
    assert result.skew == 0.0 and result.confidence >= 0.95


def test_phone_scan_is_levelled_and_read(reader: PageReader, procedure: Page) -> None:
    result = reader.read(np.array(phone_scan(procedure.image, angle=1.5)))
    assert result.skew == pytest.approx(-1.5, abs=0.4)  # measured tilt, undone before the second read
    assert char_accuracy(procedure.text, result.markdown) >= 0.97, result.markdown
    assert SCANNED_FACT[:20] in result.markdown
    assert "## 二、供应商复评" in result.markdown


def test_deskew_keeps_the_rows_of_a_tilted_table(reader: PageReader, cjk_font: Path) -> None:
    # A tight six-column card tilted 2°: across the page its rows drift by about a row height.
    page = draw_page(WIDE_CARD_BLOCKS, cjk_font, cell_pad=6)
    result = reader.read(np.array(phone_scan(page.image, angle=2.0)))
    assert result.skew == pytest.approx(-2.0, abs=0.5)
    lines = result.markdown.splitlines()
    assert table_row(WIDE_CARD_ROWS[0]) in lines
    for row in WIDE_CARD_ROWS[2:]:
        assert table_row(row) in lines, result.markdown
    assert char_accuracy(page.text, result.markdown) >= 0.97


# ---- the loader: pages without a text layer --------------------------------------------------------------
def test_image_only_pdf_is_recognised_page_by_page(scan_pdf: Path) -> None:
    loaded = load_file(scan_pdf, ocr=OcrOptions(low_confidence=0.999))
    assert loaded.pages == 2 and set(loaded.ocr_pages) == {1, 2}
    assert all(0.9 <= p.confidence <= 1.0 for p in loaded.ocr_pages.values()), loaded.ocr_pages
    markdown = loaded.markdown
    assert markdown.index(PAGE_MARKER.format(n=1)) < markdown.index(SCANNED_FACT[:12])
    assert markdown.index(PAGE_MARKER.format(n=2)) < markdown.index(
        table_row(["采购过程", "采购申请单", "合格物料", "采购部"])
    )
    assert loaded.warnings[0] == "第 1–2 页是扫描件，已用文字识别（OCR）读取。"
    # The floor was set high on purpose: exactly the pages under it are listed for a person to check.
    low = [n for n, p in loaded.ocr_pages.items() if p.confidence < 0.999]
    assert low, loaded.ocr_pages  # the ruled table page is never read with perfect certainty
    listed = [w for w in loaded.warnings if "请人工核对" in w]
    assert len(listed) == 1 and all((f"第 {n} 页" in listed[0]) == (n in low) for n in loaded.ocr_pages)

    # Chunking keeps the scanned card a table: its rows stay together under the header.
    docs = chunk_markdown(markdown, source="scan")
    table_chunks = [d for d in docs if "| 过程名称 | 输入 | 输出 | 负责部门 |" in d.page_content]
    assert len(table_chunks) == 1
    rows = [table_row(r) for r in CARD_BLOCKS[1]]  # type: ignore[union-attr]
    assert "\n".join([rows[0], "| --- | --- | --- | --- |", *rows[1:]]) in table_chunks[0].page_content


def test_mixed_pdf_reads_text_pages_and_recognises_only_the_scanned_one(
    tmp_path: Path, cjk_font: Path, card: Page
) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.append(make_procedure_pdf(tmp_path / "文字.pdf", cjk_font))  # three pages with a text layer
    writer.append(save_image_pdf([card.image], tmp_path / "卡.pdf"))
    path = tmp_path / "内审程序（含扫描附件）.pdf"
    writer.write(path)

    loaded = load_file(path, ocr=OcrOptions())
    assert loaded.pages == 4 and list(loaded.ocr_pages) == [4]
    assert loaded.warnings == ["第 4 页是扫描件，已用文字识别（OCR）读取。"]
    docs = chunk_markdown(loaded.markdown, source="mixed")
    mark_recognised(docs, loaded.ocr_pages)
    # The card has no heading of its own, so its rows continue the last text page's section and chunk:
    # that chunk is tagged too, the pure text chunks are not.
    card_row = "| 采购过程 | 采购申请单 | 合格物料 | 采购部 |"
    scanned = [d for d in docs if d.metadata.get("ocr")]
    assert scanned and all(card_row in d.page_content or d.metadata["page"] == 4 for d in scanned)
    assert all(d.metadata["ocr_confidence"] == round(loaded.ocr_pages[4].confidence, 3) for d in scanned)
    assert any(card_row in d.page_content for d in scanned)
    assert [d for d in docs if "ocr" not in d.metadata and d.metadata["page"] < 4]

    # Switched off, the text pages still load and the skipped page is named with the way to switch it on.
    off = load_file(path, ocr=OcrOptions(enabled=False))
    assert off.ocr_pages == {} and "采购过程" not in off.markdown and "内部审核" in off.markdown
    assert off.warnings == ["1 页没有文字层（可能是图片），已跳过；开启文字识别（QMS_OCR_ENABLED=true）可读取这些页。"]


def test_ocr_switched_off_keeps_the_clear_chinese_error(scan_pdf: Path) -> None:
    with pytest.raises(DocumentLoadError, match="没有可提取的文字") as info:
        load_file(scan_pdf, ocr=OcrOptions(enabled=False))
    assert "文字识别（OCR）已关闭" in str(info.value) and "QMS_OCR_ENABLED=true" in str(info.value)


def test_page_cap_and_cancel_stop_before_any_page_is_read(scan_pdf: Path) -> None:
    with pytest.raises(DocumentLoadError, match="超过文字识别上限 1 页") as info:
        load_file(scan_pdf, ocr=OcrOptions(max_pages=1))
    assert "QMS_OCR_MAX_PAGES" in str(info.value)
    asked: list[int] = []

    def cancel() -> bool:
        asked.append(1)
        return True

    with pytest.raises(IngestCancelled, match="已取消"):
        load_file(scan_pdf, ocr=OcrOptions(should_cancel=cancel))
    assert asked == [1]


def test_blank_scan_says_nothing_was_recognised(tmp_path: Path) -> None:
    from PIL import Image

    path = save_image_pdf([Image.new("L", (800, 600), 255)], tmp_path / "空白扫描.pdf")
    with pytest.raises(DocumentLoadError, match="文字识别（OCR）也没有识别出文字"):
        load_file(path, ocr=OcrOptions())


# ---- end to end: ingest the scan, ask what only the scan says --------------------------------------------
def test_scanned_procedure_is_ingested_answered_and_cited(
    built_assistant: Assistant, tmp_path: Path, scan_pdf: Path, make_settings
) -> None:
    # A copy of the index: other modules keep the committed corpus only.
    data_dir = tmp_path / "kb"
    shutil.copytree(built_assistant.settings.index_dir, data_dir / "index")

    def qms_ingest(**env: str) -> Result:
        result = CliRunner().invoke(app, ["ingest", str(scan_pdf)], env={"QMS_DATA_DIR": str(data_dir), **env})
        assert "Traceback" not in result.output
        return result

    # Switched off, the scan is refused with the clear message and nothing changes.
    off = qms_ingest(QMS_OCR_ENABLED="false")
    assert off.exit_code == 1 and "文字识别（OCR）已关闭" in off.output and "QMS_OCR_ENABLED=true" in off.output

    on = qms_ingest()
    source = "uploads/" + scan_pdf.name
    assert on.exit_code == 0 and f"新增 {source}" in on.output, on.output
    # The person is told right away which pages were recognised and which to check.
    assert "提示 第 1–2 页是扫描件，已用文字识别（OCR）读取" in on.output

    own = Assistant.from_settings(make_settings(data_dir), progress=False)
    state = own.store.current()
    assert state is not None
    chunks = [d for d in state.chunks if d.metadata["source"] == source]
    assert chunks and all(d.metadata["ocr"] is True for d in chunks)
    assert all(0.9 <= float(d.metadata["ocr_confidence"]) <= 1.0 for d in chunks)
    row = next(r for r in own.list_sources() if r["source"] == source)
    assert "已用文字识别（OCR）读取" in str(row["warnings"])

    answer = own.ask(SCANNED_QUESTION)
    assert answer.covered and "七十六分" in answer.text, answer.text
    scanned = [c for c in answer.citations if c.source == source]
    assert scanned and all(c.label.endswith("（扫描识别）") for c in scanned), [c.label for c in answer.citations]
    assert any("七十六分" in c.text for c in scanned)
    # Guide citations are not marked: the label says which passages were recognised from a scan.
    assert all("扫描识别" not in c.label for c in answer.citations if c.source != source)
