"""Training records as CSV (utf-8-sig, so Excel shows the Chinese) and as a formatted Excel workbook.

The workbook is meant to be shown to an auditor as the documented information ISO 9001 7.2 asks an
organisation to retain as evidence of competence: a summary sheet 培训记录 (with each attempt's evidence status),
a per-question sheet, and the competence matrix (person × role × topic, date passed, score) built from confirmed
attempts only. Text typed by trainees is written as inert text, never as a formula.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from assistant.errors import InputError
from assistant.training.models import LETTERS, TYPE_NAMES
from assistant.training.practice import competence_matrix, matrix_grid
from assistant.training.records import AttemptRecord

HEADERS = [
    "员工",
    "岗位",
    "部门",
    "测验主题",
    "日期",
    "得分",
    "合格线",
    "是否合格",
    "答对题数",
    "题目数",
    "测验编号",
    "方式",
    "证据状态",
]
MODE_NAMES = {"quiz": "练习测验", "mock": "模拟考试", "drill": "错题重练"}
EVIDENCE_NAMES = {"": "已评定", "pending": "待复核（不计入能力证据）", "confirmed": "已复核确认"}
MATRIX_HEADERS = ["员工", "岗位", "部门", "主题", "合格日期", "最高得分", "测验次数"]
DETAIL_HEADERS = [
    "员工",
    "日期",
    "测验主题",
    "题号",
    "题型",
    "题目",
    "作答",
    "正确答案",
    "得分",
    "依据（章节/条款）",
]
TITLE = "员工培训记录（ISO 9001:2015 7.2 能力：保留的能力证据）"
_WIDTHS = [10, 12, 12, 16, 20, 8, 8, 10, 10, 8, 16, 10, 22]
# Text a spreadsheet would read as a formula (or DDE call): "=HYPERLINK(…)", "+cmd", "-1+2", "@SUM(…)".
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> object:
    """A cell value that Excel and LibreOffice show as text: a leading quote before formula characters.

    Names, departments and answers are typed by trainees, so an export must never run them. Numbers stay
    numbers (a score of -0 is not a formula); only strings are touched.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


_DETAIL_WIDTHS = [10, 20, 16, 6, 8, 50, 24, 40, 8, 50]


def summary_row(r: AttemptRecord) -> list[object]:
    return [
        r.employee,
        r.role,
        r.department,
        r.topic or "综合",
        r.taken_at,
        r.score,
        r.pass_mark,
        "合格" if r.passed else "不合格",
        r.correct_count,
        r.question_count,
        r.quiz_id,
        MODE_NAMES.get(r.mode, r.mode) + ("（超时）" if r.late else ""),
        EVIDENCE_NAMES.get(r.review_status, r.review_status),
    ]


def detail_rows(r: AttemptRecord) -> list[list[object]]:
    questions = {str(q.get("id")): q for q in r.questions}
    rows = []
    for n, a in enumerate(r.answers, 1):
        q = questions.get(str(a.get("question_id")), {})
        given = a.get("given")
        given = "".join(given) if isinstance(given, list) else str(given or "")
        rows.append(
            [
                r.employee,
                r.taken_at,
                r.topic or "综合",
                n,
                TYPE_NAMES.get(str(q.get("type")), ""),
                q.get("question", ""),
                given or "（未作答）",
                _correct(q),
                round(float(a.get("score", 0)), 2),
                _basis(a.get("citation") or q.get("citation") or {}),
            ]
        )
    return rows


def _correct(q: dict) -> str:
    if q.get("type") == "short":
        return "要点：" + "、".join(q.get("answer", []))
    options = q.get("options", [])
    return "；".join(
        f"{x}. {options[LETTERS.index(x)]}" for x in q.get("answer", []) if LETTERS.index(x) < len(options)
    )


def _basis(citation: dict) -> str:
    clause = citation.get("clause")
    return str(citation.get("section", "")) + (f"（ISO 9001:2015 {clause}）" if clause else "")


def export_csv(records: list[AttemptRecord], path: Path) -> Path:
    path = _target(path, ".csv")
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        writer.writerows([safe_text(v) for v in summary_row(r)] for r in records)
    return path


def export_xlsx(records: list[AttemptRecord], path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    path = _target(path, ".xlsx")
    wb = Workbook()
    ws = wb.active
    ws.title = "培训记录"
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_fill = PatternFill("solid", fgColor="DDEBF7")

    def table(sheet, headers: list[str], rows: list[list[object]], widths: list[int], first: int) -> None:
        for col, (name, width) in enumerate(zip(headers, widths, strict=True), 1):
            cell = sheet.cell(row=first, column=col, value=name)
            cell.font, cell.fill, cell.border = Font(bold=True), header_fill, border
            cell.alignment = Alignment(horizontal="center", vertical="center")
            sheet.column_dimensions[get_column_letter(col)].width = width
        for i, row in enumerate(rows, first + 1):
            for col, value in enumerate(row, 1):
                cell = sheet.cell(row=i, column=col, value=value)
                if isinstance(value, str):
                    # openpyxl stores any "=…" string as a formula; a string cell type keeps it inert text.
                    cell.value, cell.data_type = value, "s"
                cell.border, cell.alignment = border, Alignment(vertical="top", wrap_text=True)
        sheet.freeze_panes = sheet.cell(row=first + 1, column=1)
        sheet.auto_filter.ref = f"A{first}:{get_column_letter(len(headers))}{first + max(len(rows), 1)}"

    ws.append([TITLE])
    ws.append(
        [
            f"导出时间：{datetime.now():%Y-%m-%d %H:%M}　共 {len(records)} 条测验记录　"
            "（本记录可作为 ISO 9001:2015 7.2 要求保留的人员能力证据）"
        ]
    )
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(HEADERS))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    table(ws, HEADERS, [summary_row(r) for r in records], _WIDTHS, first=3)
    for i, r in enumerate(records, 4):
        ws.cell(row=i, column=8).font = Font(color="006100" if r.passed else "9C0006", bold=True)
    end = len(records) + 5
    ws.cell(row=end, column=1, value="培训负责人（签字）：")
    ws.cell(row=end, column=6, value="审核日期：")

    details = wb.create_sheet("答题明细")
    table(details, DETAIL_HEADERS, [row for r in records for row in detail_rows(r)], _DETAIL_WIDTHS, first=1)
    # Person × role × topic from confirmed evidence only (待复核 attempts wait for the trainer).
    cells = competence_matrix(records)
    headers, grid = matrix_grid(cells)
    matrix = wb.create_sheet("能力矩阵")
    table(matrix, headers, grid, [10, 12, 12, *[22] * (len(headers) - 3)], first=1)
    listing = wb.create_sheet("能力矩阵明细")
    rows = [[c.employee, c.role, c.department, c.topic, c.passed_at or "未合格", c.score, c.attempts] for c in cells]
    table(listing, MATRIX_HEADERS, rows, [10, 12, 12, 22, 20, 10, 10], first=1)
    wb.save(path)
    return path


def _target(path: Path, suffix: str) -> Path:
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise InputError(f"导出文件名应以 {suffix} 结尾：{path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
