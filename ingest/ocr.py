"""Offline Chinese OCR for scanned PDF pages: render, recognise, deskew, lay out.

Pages are rendered in greyscale with pypdfium2 and read by rapidocr on onnxruntime with the PP-OCR detector and
recogniser that ship inside the rapidocr wheel, so nothing is downloaded. A phone photo of a page is usually
tilted by a degree or two, which is enough to shuffle the rows of a table; the median slope of the detected
lines (found by the detector alone, a tenth of the cost of reading) tells the tilt, and a tilted page is
rotated level before it is read. Layout is left to `ocr_layout`.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import DocumentLoadError, IngestCancelled
from ingest.ocr_layout import TextBox, page_markdown

if TYPE_CHECKING:
    import numpy as np
    from langchain_core.documents import Document

    from assistant.config import Settings

# onnxruntime sends usage telemetry unless told not to; it reads this when it loads.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

RENDER_DPI = 200  # A4 at 200 dpi is 1654×2339 px: small print stays legible, memory stays modest
DET_MAX_SIDE = 960  # the detector sees the page at most this large (the recogniser still gets full-size crops)
REC_MAX_SIDE = 2400  # rapidocr shrinks larger pages before cropping; keep the 200 dpi render as it is
DET_MODEL = "PP-OCRv6_det_small.onnx"  # both ship inside the rapidocr wheel (3.10: 9.9 MB and 21 MB)
REC_MODEL = "PP-OCRv6_rec_small.onnx"
MIN_SKEW = 0.3  # degrees: below this, rotating costs more than it fixes
MAX_SKEW = 10.0  # degrees: beyond this the slope estimate is more likely noise than a tilt


@dataclass(frozen=True)
class OcrOptions:
    """How the PDF loader treats pages without a text layer."""

    enabled: bool = True
    max_pages: int = 200
    low_confidence: float = 0.8
    threads: int = 1
    progress: bool = False
    should_cancel: Callable[[], bool] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> OcrOptions:
        values: dict[str, Any] = {
            "enabled": settings.ocr_enabled,
            "max_pages": settings.ocr_max_pages,
            "low_confidence": settings.ocr_low_confidence,
            "threads": settings.ocr_threads,
        }
        values.update(overrides)
        return cls(**values)


@dataclass(frozen=True)
class PageText:
    """One recognised page: Markdown, mean character confidence (0–1), and the tilt that was corrected."""

    page: int
    markdown: str
    confidence: float
    skew: float
    seconds: float


class PageReader:
    """A rapidocr engine on the bundled models, plus the deskew pass."""

    def __init__(self, threads: int = 1) -> None:
        import rapidocr
        from omegaconf import flag_override
        from rapidocr import RapidOCR

        models = Path(rapidocr.__file__).parent / "models"
        params = {
            "Global.log_level": "error",
            # Upright pages: the 0°/180° line classifier costs time and sometimes flips a good line.
            "Global.use_cls": False,
            "Global.max_side_len": REC_MAX_SIDE,
            "Det.limit_type": "max",
            "Det.limit_side_len": DET_MAX_SIDE,
            # One text line at a time: batches pad every line to the widest, which costs ~330 MB of peak memory
            # and ~25 % more CPU on a page of prose (measured on generated A4 pages).
            "Rec.rec_batch_num": 1,
        }
        self.engine = RapidOCR(params=params)
        # Our own sessions through rapidocr's custom-session hook: the bundled files by path (its download code
        # is never reached), and no memory pattern, which onnxruntime would otherwise keep for every new input
        # shape: every text line has its own width, and a 20-page scan grew by ~60 MB a page with it.
        with flag_override(self.engine.cfg, "allow_objects", True):
            self.engine.cfg.Det.session = _session(models / DET_MODEL, threads)
            self.engine.cfg.Rec.session = _session(models / REC_MODEL, threads)
        # rapidocr keeps per-call switches (use_rec) on the engine: one page at a time per engine.
        self._lock = threading.Lock()

    def skew(self, image: np.ndarray) -> float:
        """The page's tilt in degrees: the median slope of the detected lines (detection only, ~0.3 s)."""
        with self._lock:
            result = self.engine(image, use_rec=False)
        quads = getattr(result, "boxes", None)
        slopes = [s for s in (_slope(q) for q in (quads if quads is not None else [])) if s is not None]
        return statistics.median(slopes) if len(slopes) >= 3 else 0.0

    def boxes(self, image: np.ndarray) -> list[TextBox]:
        """Recognised fragments with their axis-aligned bounds."""
        with self._lock:
            result = self.engine(image, use_rec=True)
        if getattr(result, "txts", None) is None or len(result.txts) == 0:
            return []
        out: list[TextBox] = []
        for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=False):
            xs, ys = quad[:, 0], quad[:, 1]
            out.append(
                TextBox(str(text), float(score), float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))
            )
        return out

    def read(self, image: np.ndarray, page: int = 1) -> PageText:
        """Read a greyscale page; a tilted page is levelled first, so recognition runs once."""
        started = time.perf_counter()
        skew = self.skew(image)
        if MIN_SKEW <= abs(skew) <= MAX_SKEW:
            image = rotate(image, skew)
        else:
            skew = 0.0
        boxes = self.boxes(image)
        return PageText(
            page=page,
            markdown=page_markdown(boxes),
            confidence=confidence(boxes),
            skew=skew,
            seconds=time.perf_counter() - started,
        )


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    if not path.is_file():
        raise DocumentLoadError(
            f"找不到文字识别模型文件（{path.name}）：请重新安装依赖（pip install rapidocr），"
            "或设置 QMS_OCR_ENABLED=false 关闭扫描件识别。"
        )
    options = ort.SessionOptions()
    options.enable_mem_pattern = False
    options.enable_cpu_mem_arena = False
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def _slope(quad: np.ndarray) -> float | None:
    """Slope in degrees of a detected line's top edge (y grows downwards); None for boxes too short to tell."""
    import math

    (x0, y0), (x1, y1) = quad[0], quad[1]
    width = math.hypot(x1 - x0, y1 - y0)
    height = math.hypot(quad[3][0] - x0, quad[3][1] - y0)
    # Short boxes tilt noisily one by one, but a table's many cells still give a good median.
    if width < 2 * max(height, 1.0):
        return None
    return math.degrees(math.atan2(y1 - y0, x1 - x0))


def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate a greyscale page by `degrees` (positive = counter-clockwise on screen), padding with white."""
    import cv2

    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def confidence(boxes: list[TextBox]) -> float:
    """Mean recogniser score per character: long lines weigh more than a stray mark."""
    chars = sum(len(b.text) for b in boxes)
    return sum(b.score * len(b.text) for b in boxes) / chars if chars else 0.0


@lru_cache(maxsize=2)
def page_reader(threads: int = 1) -> PageReader:
    """One engine per thread count for the process: loading the models takes a moment and ~100 MB."""
    return PageReader(threads)


def render_pages(path: Path, pages: list[int], dpi: int = RENDER_DPI) -> Iterator[tuple[int, np.ndarray]]:
    """(page number, greyscale image) for the 1-based page numbers asked for, one page in memory at a time."""
    import numpy as np
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        for n in pages:
            page = pdf[n - 1]
            try:
                bitmap = page.render(scale=dpi / 72, grayscale=True)
                image = np.array(bitmap.to_numpy(), copy=True)
                bitmap.close()
            finally:
                page.close()
            yield n, image.reshape(image.shape[0], image.shape[1]) if image.ndim == 3 else image
    finally:
        pdf.close()


def ocr_pdf_pages(path: Path, pages: list[int], options: OcrOptions) -> list[PageText]:
    """OCR the given pages of a PDF, page by page, with a progress bar; `should_cancel` is asked between pages."""
    from tqdm import tqdm

    if len(pages) > options.max_pages:
        raise DocumentLoadError(
            f"PDF“{path.name}”有 {len(pages)} 页是扫描图片，超过文字识别上限 {options.max_pages} 页。"
            "请拆分文件后再上传，或调大设置 QMS_OCR_MAX_PAGES。"
        )
    reader = page_reader(options.threads)
    out: list[PageText] = []
    bar = tqdm(total=len(pages), desc=f"文字识别 {path.name}", unit="页", disable=not options.progress)
    try:
        for n, image in render_pages(path, pages):
            if options.should_cancel is not None and options.should_cancel():
                raise IngestCancelled(f"已取消：“{path.name}”的文字识别在第 {n} 页前停止，文件未导入。")
            out.append(reader.read(image, page=n))
            bar.update(1)
    finally:
        bar.close()
    return out


def mark_recognised(docs: list[Document], pages: dict[int, PageText]) -> None:
    """Tag chunks that hold OCR'd text, so citations can say the text was recognised, not read.

    A chunk is tagged when it starts on a recognised page, or when it carries a line of one: a scanned page
    without a heading of its own continues the section (and so the chunk) of the page before it.
    """
    for doc in docs:
        page = pages.get(doc.metadata.get("page"))  # type: ignore[arg-type]
        if page is None:
            lines = [line for line in doc.page_content.splitlines() if len(line.strip()) >= 6]
            page = next((p for p in pages.values() if any(line in p.markdown for line in lines)), None)
        if page is not None:
            doc.metadata["ocr"] = True
            doc.metadata["ocr_confidence"] = round(page.confidence, 3)
