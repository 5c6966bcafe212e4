"""Real test documents: Chinese PDFs made with fpdf2 (needs a CJK font) and DOCX files made with python-docx.

The CJK font comes from Debian's `fonts-wqy-microhei` (fpdf2 reads its .ttc directly); other common CJK fonts
are accepted too. Tests that need one skip when `find_cjk_font()` returns None.
"""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
NO_CJK_FONT = "no CJK font for fpdf2: apt-get install fonts-wqy-microhei (or set QMS_TEST_CJK_FONT)"

# The procedure PDF: (page, lines). Headings use the numbering Chinese company documents use.
PROCEDURE_TITLE = "内部审核控制程序"
PROCEDURE_PAGES: list[list[str]] = [
    [
        "一、目的",
        "为验证公司质量管理体系是否符合 ISO 9001 标准和公司自身的要求，并得到有效实施和保持，特制定本程序。",
        "二、适用范围",
        "本程序适用于公司质量管理体系覆盖的所有部门、过程和场所的内部审核活动。",
        "三、职责",
        "（一）管理者代表",
        "管理者代表负责批准年度内部审核计划，任命审核组长，并审批内部审核报告。",
        "（二）质量部",
        "质量部负责编制年度审核计划，组织实施内部审核，跟踪验证纠正措施的完成情况。",
    ],
    [
        "四、工作程序",
        "（一）审核策划",
        "1. 年度审核计划",
        "质量部每年十二月编制下一年度的内部审核计划，内部审核每年至少进行一次，覆盖全部部门和条款。"
        "发生重大质量事故或顾客严重投诉时，应增加一次专项审核。",
        "2. 审核组的组成",
        "审核员须经过内审员培训并取得资格，审核员不得审核自己的工作，以保证审核的客观性和公正性。",
    ],
    [
        "（二）审核实施",
        "1. 首次会议",
        "审核组长主持首次会议，介绍审核目的、范围、准则和日程安排，确认陪同人员。",
        "2. 现场审核",
        "审核员按检查表通过面谈、查阅文件和记录、现场观察收集客观证据，并如实记录审核发现。",
        "3. 末次会议",
        "审核组长主持末次会议，通报不符合项，受审核部门负责人在不符合报告上签字确认。",
        "五、相关记录",
        "年度内部审核计划、内部审核检查表、不符合报告、内部审核报告。",
    ],
]

# Sentences the 100-page benchmark document is assembled from (shuffled per page, deterministic).
_BENCH_SENTENCES = [
    "各部门应按照程序文件的要求开展工作，并保留相应的记录。",
    "质量部负责对过程的运行情况进行监视和测量，发现问题及时通报。",
    "采购部应对供应商进行评价和选择，建立合格供方名录并每年复评。",
    "生产部应按工艺文件组织生产，确保关键工序得到有效控制。",
    "检验员应按检验规程对原材料、半成品和成品进行检验并记录结果。",
    "不合格品应进行标识和隔离，由质量部组织评审并确定处置方式。",
    "销售部应在合同签订前对顾客要求进行评审，确保公司有能力满足要求。",
    "人力资源部应确定岗位能力要求，组织培训并评价培训的有效性。",
    "设备管理员应制定设备保养计划，定期对生产设备进行维护保养。",
    "计量器具应按规定周期进行校准或检定，并标识其校准状态。",
    "管理者代表应定期向最高管理者报告质量管理体系的绩效和改进需求。",
    "对顾客投诉应在规定时间内调查原因，采取纠正措施并回复顾客。",
]


def find_cjk_font() -> Path | None:
    """A TrueType/OpenType font with Chinese glyphs that fpdf2 can embed, or None."""
    override = os.environ.get("QMS_TEST_CJK_FONT")
    for candidate in ([override] if override else []) + list(CJK_FONT_CANDIDATES):
        path = Path(candidate)
        if path.is_file():
            return path
    return None


def _cjk_pdf(font: Path, *, footer: bool = True):
    from fpdf import FPDF

    class _PDF(FPDF):
        def footer(self) -> None:
            if footer:
                self.set_y(-15)
                self.set_font("cjk", size=9)
                self.cell(0, 10, f"第 {self.page_no()} 页 共 {{nb}} 页", align="C")

    pdf = _PDF(format="A4")
    pdf.add_font("cjk", fname=str(font))
    pdf.set_auto_page_break(auto=True, margin=20)
    return pdf


def make_procedure_pdf(path: Path, font: Path, *, pages: list[list[str]] | None = None) -> Path:
    """A multi-page Chinese procedure: 一、 / （一） / 1. headings, body text, a page-number footer."""
    pdf = _cjk_pdf(font)
    pdf.set_title(PROCEDURE_TITLE)
    for n, lines in enumerate(pages or PROCEDURE_PAGES):
        pdf.add_page()
        if n == 0:
            pdf.set_font("cjk", size=16)
            pdf.cell(0, 12, PROCEDURE_TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
        for line in lines:
            pdf.set_font("cjk", size=11)
            pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    pdf.output(str(path))
    return path


def make_long_pdf(path: Path, font: Path, *, pages: int = 100, seed: int = 9001) -> Path:
    """A generated `pages`-page Chinese manual (one 二级 section per page, numbered headings)."""
    rng = random.Random(seed)
    numerals = "一二三四五六七八九十"
    pdf = _cjk_pdf(font)
    pdf.set_title("质量手册（基准测试用）")
    for page in range(pages):
        pdf.add_page()
        pdf.set_font("cjk", size=11)
        if page % 10 == 0:
            chapter = page // 10
            pdf.multi_cell(
                0,
                8,
                f"{numerals[chapter % 10]}、第{chapter + 1}部分 质量管理要求",
                new_x="LMARGIN",
                new_y="NEXT",
            )
        section = f"（{numerals[page % 10]}）第{page + 1}节 过程控制要求"
        pdf.multi_cell(0, 8, section, new_x="LMARGIN", new_y="NEXT")
        for para in range(4):
            pdf.multi_cell(0, 8, f"{para + 1}. 控制要点{page + 1}-{para + 1}", new_x="LMARGIN", new_y="NEXT")
            sentences = rng.sample(_BENCH_SENTENCES, 5)
            pdf.multi_cell(0, 7, "".join(sentences), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def make_encrypted_pdf(path: Path, font: Path, *, user_password: str = "secret") -> Path:
    """A PDF that opens only with a user password."""
    pdf = _cjk_pdf(font)
    pdf.add_page()
    pdf.set_font("cjk", size=12)
    pdf.multi_cell(0, 8, "机密文件：供应商价格清单。")
    pdf.set_encryption(owner_password="owner-" + user_password, user_password=user_password)
    pdf.output(str(path))
    return path


def make_broken_pdf(path: Path, font: Path) -> Path:
    """A real PDF cut off after 40% of its bytes: the header is there, the xref table and trailer are not."""
    make_procedure_pdf(path, font)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.4)])
    return path


def make_image_only_pdf(path: Path) -> Path:
    """A 'scanned' PDF: one page with a drawn rectangle and an embedded image, no text layer at all."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (400, 200), "white")
    draw = ImageDraw.Draw(image)
    for y in range(20, 200, 24):
        draw.line((20, y, 380, y), fill="black", width=6)  # looks like lines of text, is pixels
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(200, 200, 200)
    pdf.rect(20, 20, 170, 40, style="DF")
    pdf.image(buf, x=20, y=80, w=170)
    pdf.output(str(path))
    return path


DOCX_TABLE = [
    ["记录名称", "保存部门", "保存期限"],
    ["内部审核计划", "质量部", "三年"],
    ["不符合报告", "质量部", "三年"],
    ["管理评审报告", "办公室", "长期"],
]


def make_docx(path: Path) -> Path:
    """A Word procedure with a Title, Heading 1/2 styles, body text, a list item and a records table."""
    import docx

    document = docx.Document()
    document.core_properties.title = "管理评审控制程序"
    document.add_heading("管理评审控制程序", level=0)
    document.add_heading("一、目的", level=1)
    document.add_paragraph("确保质量管理体系持续的适宜性、充分性和有效性，并与公司的战略方向一致。")
    document.add_heading("二、工作程序", level=1)
    document.add_heading("（一）评审输入", level=2)
    document.add_paragraph("质量部收集顾客满意度、质量目标完成情况和内部审核结果，作为评审输入。")
    document.add_paragraph("以往管理评审所采取措施的实施情况", style="List Bullet")
    document.add_heading("（二）评审会议", level=2)
    document.add_paragraph("管理评审每年至少进行一次，由总经理主持，各部门负责人参加。")
    document.add_heading("三、相关记录", level=1)
    table = document.add_table(rows=len(DOCX_TABLE), cols=len(DOCX_TABLE[0]))
    for r, row in enumerate(DOCX_TABLE):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.save(str(path))
    return path
