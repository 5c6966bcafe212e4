"""A draft as a Word document: title, document-control table, headings and real tables, Chinese fonts set."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from assistant.drafting.models import DraftDocument
from assistant.drafting.render import Bullets, Heading, Para, Table, blocks, control_table

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
TEXT_WIDTH_CM = 17.0  # A4 with 2 cm margins
_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _set_fonts(style, east_asian: str, size: float | None = None) -> None:
    """Word picks Chinese glyphs from w:eastAsia; theme attributes would override it, so drop them."""
    style.font.name = LATIN_FONT
    if size:
        style.font.size = Pt(size)
    rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in _THEME_ATTRS:
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:eastAsia"), east_asian)


def _prepare(document: DocxDocument) -> None:
    styles = document.styles
    _set_fonts(styles["Normal"], BODY_FONT, 10.5)  # 五号
    _set_fonts(styles["Title"], HEADING_FONT, 18)
    for level, size in ((1, 15), (2, 13), (3, 12)):
        _set_fonts(styles[f"Heading {level}"], HEADING_FONT, size)
    for name in ("List Bullet", "List Number"):
        _set_fonts(styles[name], BODY_FONT)
    for section in document.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
        section.left_margin = section.right_margin = Cm(2)
        section.top_margin = section.bottom_margin = Cm(2)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


def _write(cell, text: str, bold: bool = False) -> None:
    cell.text = text
    for paragraph in cell.paragraphs:
        for run in paragraph.runs:
            run.bold = bold


def _set_widths(grid, weights: list[float]) -> None:
    """Column widths as shares of the text width; both gridCol (LibreOffice) and each cell's tcW (Word)."""
    cols = [TEXT_WIDTH_CM * w / sum(weights) for w in weights]
    grid.autofit = False
    for column, width in zip(grid.columns, cols, strict=True):
        column.width = Cm(width)
    for tr in grid._tbl.tr_lst:
        start = 0
        for tc in tr.tc_lst:
            tc.width = Cm(sum(cols[start : start + tc.grid_span]))
            start += tc.grid_span


def add_table(document: DocxDocument, table: Table) -> None:
    offset = 1 if table.header_in_docx else 0
    ncols = len(table.header)
    grid = document.add_table(rows=len(table.rows) + offset, cols=ncols)
    grid.style = "Table Grid"
    # grid.cell() rebuilds the whole cell list on every call, so take it once before and once after merging.
    # The merged regions never overlap, so the cells taken before merging stay valid for the next merge.
    cells = grid._cells
    for r0, c0, r1, c1 in table.merges:
        cells[(r0 + offset) * ncols + c0].merge(cells[(r1 + offset) * ncols + c1])
    cells = grid._cells  # merge first, then write: a merged cell answers for every position it covers
    if table.widths:
        _set_widths(grid, table.widths)
    if offset:
        for c, text in enumerate(table.header):
            _write(cells[c], text, bold=True)
        _repeat_header(grid.rows[0])
    for r, row in enumerate(table.rows):
        for c, text in enumerate(row):
            if text:
                _write(cells[(r + offset) * ncols + c], text, bold=table.label_col and c == 0)
    document.add_paragraph()


def build_docx(doc: DraftDocument) -> DocxDocument:
    document = Document()
    _prepare(document)
    document.core_properties.title = doc.title
    document.core_properties.author = "质量助手"
    document.add_heading(doc.title, level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(doc.company).alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_table(document, control_table(doc))
    for block in blocks(doc):
        if isinstance(block, Heading):
            document.add_heading(block.text, level=block.level)
        elif isinstance(block, Para):
            document.add_paragraph().add_run(block.text).bold = block.bold
        elif isinstance(block, Bullets):
            style = "List Number" if block.ordered else "List Bullet"
            for item in block.items:
                document.add_paragraph(item, style=style)
        elif isinstance(block, Table):
            add_table(document, block)
    return document


def docx_bytes(doc: DraftDocument) -> bytes:
    buffer = io.BytesIO()
    build_docx(doc).save(buffer)
    return buffer.getvalue()


def write_docx(doc: DraftDocument, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_docx(doc).save(str(path))
    return path
