"""Loaders: a file on disk → one Markdown text with page markers, ready for chunking.

Every format ends up as Markdown so that a single heading-aware chunker serves all of them. PDF pages without a
text layer (scans) are read by OCR (`ingest.ocr`) when the caller's `OcrOptions` allow it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import DocumentLoadError, QMSError
from ingest.normalise import normalise_plain_text
from ingest.ocr import OcrOptions, PageText, ocr_pdf_pages

SUPPORTED_SUFFIXES = {".md", ".markdown", ".txt", ".pdf", ".docx"}
PAGE_MARKER = "<!-- page: {n} -->"


@dataclass
class LoadedText:
    """The text of one source file as Markdown; `pages` is set for paginated formats."""

    markdown: str
    title: str
    fmt: str
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    # Pages read by OCR (scans without a text layer), by page number: their text and mean confidence (0–1).
    ocr_pages: dict[int, PageText] = field(default_factory=dict)


def sniff_format(path: Path) -> str:
    """The format by content, not only by extension: uploads can be misnamed."""
    head = path.read_bytes()[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04") and _is_docx_zip(path):
        return "docx"
    suffix = path.suffix.lower()
    if suffix in {".md", ".markdown"}:
        return "md"
    if suffix == ".txt":
        return "txt"
    if suffix in {".pdf", ".docx"}:
        raise DocumentLoadError(f"文件“{path.name}”的扩展名是 {suffix}，但内容不是有效的 {suffix[1:].upper()} 文件。")
    raise DocumentLoadError(
        f"不支持的文件类型“{path.suffix or '无扩展名'}”：请上传 PDF、Word（.docx）、Markdown 或 TXT 文件。"
    )


def _is_docx_zip(path: Path) -> bool:
    # .xlsx, .pptx and plain .zip files are ZIP archives too; only a Word body makes a .docx.
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def load_file(path: Path, *, ocr: OcrOptions | None = None) -> LoadedText:
    """Load any supported file; raise DocumentLoadError with a Chinese message when it cannot be read.

    `ocr` says how PDF pages without a text layer are treated; None leaves them out (no OCR).
    """
    if not path.is_file():
        raise DocumentLoadError(f"找不到文件：{path.name}")
    fmt = sniff_format(path)
    if fmt == "pdf":
        return _load_pdf(path, ocr or OcrOptions(enabled=False))
    if fmt == "docx":
        return _load_docx(path)
    return _load_text(path, fmt)


def read_text_any_encoding(data: bytes) -> str:
    # Chinese Windows tools still write GBK; try UTF-8 first, then GB18030 (a superset of GBK).
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DocumentLoadError("无法识别文本文件的编码：请另存为 UTF-8 后再上传。")


def _load_text(path: Path, fmt: str) -> LoadedText:
    text = read_text_any_encoding(path.read_bytes())
    if "\x00" in text:
        raise DocumentLoadError(f"文件“{path.name}”看起来是二进制文件，不是文本。")
    if fmt == "txt":
        text = normalise_plain_text(text)
    if not text.strip():
        raise DocumentLoadError(f"文件“{path.name}”是空的。")
    return LoadedText(markdown=text, title=_first_heading(text) or path.stem, fmt=fmt)


def _load_pdf(path: Path, ocr: OcrOptions) -> LoadedText:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            # Many "encrypted" PDFs only restrict printing and open with an empty password.
            try:
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                raise DocumentLoadError(
                    f"PDF“{path.name}”已加密（需要密码），无法读取。请先用 PDF 工具去除密码后再上传。"
                )
        texts: dict[int, str] = {}
        empty_pages: list[int] = []
        for n, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            if text.strip():
                texts[n] = normalise_plain_text(text)
            else:
                empty_pages.append(n)
        total = len(reader.pages)
        title = (reader.metadata.title if reader.metadata and reader.metadata.title else None) or path.stem
    except DocumentLoadError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise DocumentLoadError(f"PDF“{path.name}”已损坏或格式不正确，无法读取（{type(exc).__name__}）。") from exc
    warnings: list[str] = []
    ocr_pages: dict[int, PageText] = {}
    if empty_pages and ocr.enabled:
        for page in _ocr_pages(path, empty_pages, ocr):
            ocr_pages[page.page] = page
            if page.markdown.strip():
                texts[page.page] = page.markdown
        warnings += _ocr_warnings(empty_pages, ocr_pages, texts, ocr.low_confidence)
    elif empty_pages and texts:
        warnings.append(
            f"{len(empty_pages)} 页没有文字层（可能是图片），已跳过；开启文字识别（QMS_OCR_ENABLED=true）可读取这些页。"
        )
    if not texts:
        if ocr.enabled:
            raise DocumentLoadError(
                f"PDF“{path.name}”没有可提取的文字：它是扫描件或图片型 PDF，文字识别（OCR）也没有识别出文字。"
                "请换用更清晰的扫描件（建议 200 dpi 以上、端正、无反光）后再上传。"
            )
        raise DocumentLoadError(
            f"PDF“{path.name}”没有可提取的文字（可能是扫描件或图片型 PDF），而文字识别（OCR）已关闭。"
            "请设置 QMS_OCR_ENABLED=true（或在 qms.toml 中写 ocr_enabled = true）后重新上传，"
            "或先用其他工具 OCR 后再上传。"
        )
    markdown = "\n\n".join(PAGE_MARKER.format(n=n) + "\n\n" + texts[n] for n in sorted(texts))
    return LoadedText(
        markdown=markdown, title=str(title), fmt="pdf", pages=total, warnings=warnings, ocr_pages=ocr_pages
    )


def _ocr_pages(path: Path, pages: list[int], ocr: OcrOptions) -> list[PageText]:
    try:
        return ocr_pdf_pages(path, pages, ocr)
    except QMSError:
        raise
    except Exception as exc:
        # A missing or broken OCR install (onnxruntime, OpenCV) must not look like a broken PDF.
        raise DocumentLoadError(
            f"PDF“{path.name}”是扫描件，但文字识别（OCR）组件无法运行（{type(exc).__name__}）。"
            "请重新安装依赖（pip install rapidocr pypdfium2），或设置 QMS_OCR_ENABLED=false 关闭文字识别。"
        ) from exc


def _ocr_warnings(scanned: list[int], read: dict[int, PageText], texts: dict[int, str], floor: float) -> list[str]:
    """What a person should know about the recognised pages: which were read, which to check by eye."""
    out = [f"第 {_page_list(scanned)} 页是扫描件，已用文字识别（OCR）读取。"]
    blank = [n for n in scanned if n not in texts]
    if blank:
        out.append(f"第 {_page_list(blank)} 页没有识别出文字（可能是空白页或图片）。")
    low = [n for n in scanned if n in texts and read[n].confidence < floor]
    if low:
        detail = "、".join(f"第 {n} 页 {read[n].confidence:.2f}" for n in low)
        out.append(f"识别置信度低于 {floor:.2f}，请人工核对：{detail}。")
    return out


def _page_list(pages: list[int]) -> str:
    """1、2、3、7 → "1–3、7": scanned files can have hundreds of pages."""
    spans: list[list[int]] = []
    for n in sorted(pages):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return "、".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


def _load_docx(path: Path) -> LoadedText:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except Exception as exc:
        raise DocumentLoadError(
            f"Word 文件“{path.name}”无法打开（可能已损坏、加密，或是旧版 .doc 格式）。请另存为 .docx 后再上传。"
        ) from exc
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            text = para.text.strip()
            if not text:
                continue
            style = (para.style.name if para.style is not None else "") or ""
            level = _heading_level(style)
            if level:
                lines.append("#" * min(level, 6) + " " + text)
            elif style.lower().startswith("list"):
                lines.append("- " + text)
            else:
                lines.append(text)
        elif tag == "tbl":
            lines.append(_table_markdown(Table(child, document)))
    markdown = "\n\n".join(lines)
    if not markdown.strip():
        raise DocumentLoadError(f"Word 文件“{path.name}”中没有文字内容。")
    title = document.core_properties.title or path.stem
    return LoadedText(markdown=markdown, title=title, fmt="docx")


def _heading_level(style: str) -> int:
    """Markdown level of a Word paragraph style: Title is the document's `#`, Heading N is one level below."""
    name = style.lower()
    if name in {"title", "标题"}:
        return 1
    for prefix in ("heading ", "标题 "):
        if name.startswith(prefix) and name[len(prefix) :].strip().isdigit():
            return int(name[len(prefix) :].strip()) + 1
    return 0


def _table_markdown(table: object) -> str:
    rows: list[list[str]] = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split()).replace("|", "｜")
            # Merged cells repeat in python-docx; keep one copy.
            if cells and cells[-1] == text:
                continue
            cells.append(text)
        rows.append(cells)
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    out = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(out)


def _first_heading(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip() or None
    return None
