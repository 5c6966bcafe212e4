"""Generated 'scanned' documents: Chinese text drawn into greyscale images, optionally spoiled like a phone photo
(tilted, blurred, JPEG-compressed), saved as image-only PDFs. Used by tests/test_ocr.py and scripts/ocr_benchmark.py.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

DPI = 200
PAGE_WIDTH = 1654  # A4 at 200 dpi
MARGIN = 150
FONT_PX = 34  # about 12 pt at 200 dpi
LINE_GAP = 26
CELL_PAD = 16

# A made-up company fact that only the scanned page states: the end-to-end test asks about it.
SCANNED_FACT = "青岚精密的供应商每年十一月由采购部组织现场复评，复评得分低于七十六分的供应商暂停供货三个月。"
SCANNED_QUESTION = "供应商复评得分低于多少分要暂停供货？"

PROCEDURE_BLOCKS: list[str | list[list[str]]] = [
    "采购控制程序",
    "一、目的",
    "为确保采购的产品和服务符合规定要求，对供应商的选择、评价和复评进行控制，特制定本程序。",
    "二、供应商复评",
    SCANNED_FACT,
    "复评结果由采购部录入合格供方名录，并报管理者代表批准后发布。",
]

CARD_BLOCKS: list[str | list[list[str]]] = [
    "过程识别卡",
    [
        ["过程名称", "输入", "输出", "负责部门"],
        ["采购过程", "采购申请单", "合格物料", "采购部"],
        ["生产过程", "生产计划", "合格成品", "生产部"],
        ["检验过程", "检验规程", "检验记录", "质量部"],
    ],
    "监视指标：采购物料批次合格率不低于百分之九十八。",
]

# A tight six-column card: tilted by two degrees, its rows drift by more than a row height across the page.
WIDE_CARD_ROWS = [
    ["序号", "过程名称", "输入", "活动", "输出", "负责部门"],
    ["一", "采购过程", "采购申请", "选择供方", "合格物料", "采购部"],
    ["二", "生产过程", "生产计划", "加工装配", "合格成品", "生产部"],
    ["三", "检验过程", "检验规程", "抽样检验", "检验记录", "质量部"],
    ["四", "交付过程", "发货通知", "包装运输", "签收单", "销售部"],
]
WIDE_CARD_BLOCKS: list[str | list[list[str]]] = ["过程识别卡", WIDE_CARD_ROWS]


@dataclass(frozen=True)
class Page:
    image: Image.Image
    text: str  # the characters drawn, in reading order, for accuracy


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, cur = [], ""
    for ch in text:
        if cur and draw.textlength(cur + ch, font=font) > width:
            lines.append(cur)
            cur = ""
        cur += ch
    return lines + ([cur] if cur else [])


def draw_page(
    blocks: list[str | list[list[str]]], font_path: Path, *, height: int | None = None, cell_pad: int = CELL_PAD
) -> Page:
    """Paragraphs wrap at the margins; a list of rows is drawn as a ruled grid table."""
    font = ImageFont.truetype(str(font_path), FONT_PX)
    scratch = ImageDraw.Draw(Image.new("L", (10, 10)))
    usable = PAGE_WIDTH - 2 * MARGIN
    row_h = FONT_PX + 2 * cell_pad
    # First pass: how tall the content is, so small test pages stay small.
    needed = MARGIN
    for block in blocks:
        if isinstance(block, str):
            needed += len(_wrap(scratch, block, font, usable)) * (FONT_PX + LINE_GAP) + LINE_GAP
        else:
            needed += len(block) * row_h + 2 * LINE_GAP
    image = Image.new("L", (PAGE_WIDTH, height or needed + MARGIN), 255)
    draw = ImageDraw.Draw(image)
    y = MARGIN
    text: list[str] = []
    for block in blocks:
        if isinstance(block, str):
            for line in _wrap(draw, block, font, usable):
                draw.text((MARGIN, y), line, font=font, fill=0)
                y += FONT_PX + LINE_GAP
            y += LINE_GAP
            text.append(block)
            continue
        col_w = usable // len(block[0])
        for row in block:
            for i, cell in enumerate(row):
                x = MARGIN + i * col_w
                draw.rectangle((x, y, x + col_w, y + row_h), outline=0, width=2)
                draw.text((x + cell_pad, y + cell_pad), cell, font=font, fill=0)
            text.append("".join(row))
            y += row_h
        y += 2 * LINE_GAP
    return Page(image, "".join(text))


def stamp(image: Image.Image, font_path: Path, centre: tuple[int, int] = (1200, 520), text: str = "青岚精密质量专用章"):
    """A company seal over the text, as on signed-off documents: a red ring, curved text and a star."""
    import math

    rgb = image.convert("RGB")
    draw = ImageDraw.Draw(rgb)
    cx, cy, r = *centre, 150
    red = (220, 30, 30)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=8)
    font = ImageFont.truetype(str(font_path), 36)
    for i, ch in enumerate(text):
        angle = math.radians(200 + i * 140 / max(len(text) - 1, 1))
        draw.text((cx + (r - 45) * math.cos(angle) - 18, cy + (r - 45) * math.sin(angle) - 18), ch, font=font, fill=red)
    draw.text((cx - 18, cy - 18), "★", font=font, fill=red)
    return rgb.convert("L")


def phone_scan(image: Image.Image, *, angle: float = 1.5, blur: float = 1.0, quality: int = 35) -> Image.Image:
    """What a phone makes of a page: a slight tilt, soft focus and heavy JPEG compression."""
    tilted = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    soft = tilted.filter(ImageFilter.GaussianBlur(blur))
    buf = io.BytesIO()
    soft.save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("L")


def save_image_pdf(images: list[Image.Image], path: Path) -> Path:
    """An image-only PDF, one image per page at 200 dpi: no text layer at all."""
    first, *rest = [im.convert("L") for im in images]
    first.save(path, format="PDF", resolution=DPI, save_all=True, append_images=rest)
    return path


def char_accuracy(truth: str, recognised: str) -> float:
    """Share of the true characters found, in order, in the recognised text (whitespace and table pipes ignored)."""
    strip = str.maketrans("", "", " \n\t|-#")
    # NFKC: a half-width colon after Chinese text is the same character to a reader.
    a = unicodedata.normalize("NFKC", truth).translate(strip)
    b = unicodedata.normalize("NFKC", recognised).translate(strip)
    if not a:
        return 1.0
    matched = sum(block.size for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return matched / len(a)


def procedure_pages(count: int, font_path: Path) -> list[Page]:
    """`count` full A4 pages of a made-up procedure: numbered sections of prose, every fourth page a process card."""
    from support.pdfs import _BENCH_SENTENCES  # the 100-page text benchmark's sentences: one vocabulary

    pages: list[Page] = []
    for n in range(count):
        if n % 4 == 3:
            rows = [list(r) for r in WIDE_CARD_ROWS]
            rows[1][1] = f"第{n + 1}号过程"
            blocks: list[str | list[list[str]]] = [f"过程识别卡（第{n + 1}页）", rows, SCANNED_FACT]
        else:
            blocks = [f"{'一二三四五六七八九十'[n % 10]}、第{n + 1}节 工作要求"]
            for k in range(6):
                start = (n * 3 + k * 2) % len(_BENCH_SENTENCES)
                blocks.append("".join(_BENCH_SENTENCES[(start + i) % len(_BENCH_SENTENCES)] for i in range(3)))
        pages.append(draw_page(blocks, font_path, height=2339, cell_pad=10))
    return pages
