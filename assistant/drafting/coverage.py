"""The clause × document coverage matrix: for each ISO 9001 clause 4–10, what addresses it in this firm's QMS.

A clause is addressed by a drafted document (not the audit checklist) that names it (or a parent such as 8.4 for
8.4.1), by one of the firm's own documents whose title the concept model ties to it (profile `existing_documents`,
and documents uploaded to the knowledge base), or it is excluded under 4.3 with the reason. Anything else is a
缺口 (gap).
A parent clause (8.5) summarises its sub-clauses.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from assistant.drafting.applicability import Applicability
from assistant.drafting.existing import ExistingDocument, book
from assistant.drafting.models import DraftDocument
from assistant.drafting.render import Table
from ingest.clauses import clause_index

COVERED, OWN, EXCLUDED, PARTIAL, GAP = "已覆盖", "企业现有文件", "不适用", "部分覆盖", "缺口"
HEADER = ["条款", "条款标题", "状态", "本文件包中的文件/记录", "企业现有文件", "说明"]
HOW = (
    "企业现有文件的计入方式：企业概况 existing_documents 列出的文件名称，以及上传到知识库的企业文件（标题），"
    "经概念模型识别出所讲的质量管理主题（如“采购管理办法”→ 外部提供 8.4）和工序，按主题对应的条款计入；"
    "与某份程序文件主题相同的现有文件替代该程序文件（文件包不再另起草）。名称看不出主题的文件不计入，请人工核对。"
)
FILLS = {GAP: "F8CBAD", PARTIAL: "FFE699", EXCLUDED: "D9D9D9", OWN: "C6E0B4", COVERED: "E2EFDA"}


@dataclass(frozen=True)
class CoverageRow:
    clause: str
    title: str
    status: str
    documents: list[str]
    own: list[str]
    note: str = ""

    def cells(self) -> list[str]:
        return [self.clause, self.title, self.status, "；".join(self.documents), "；".join(self.own), self.note]


def _addresses(doc_clauses: list[str], number: str) -> bool:
    # "8.4" in a document speaks for 8.4.1–8.4.3; a chapter number ("8") alone is too broad to count.
    return any(c == number or (c.count(".") >= 1 and number.startswith(c + ".")) for c in doc_clauses)


def coverage(
    docs: list[DraftDocument], applicability: Applicability, own_docs: list[ExistingDocument], corpus_dir: Path
) -> list[CoverageRow]:
    index = clause_index(corpus_dir)
    numbers = [n for n in index if n.split(".")[0] in {str(i) for i in range(4, 11)}]
    children = {n: [m for m in numbers if index[m].get("parent") == n] for n in numbers}
    reasons = {e.clause: e.reason for e in applicability.exclusions}
    rows: dict[str, CoverageRow] = {}

    def leaf(n: str) -> CoverageRow:
        title = index[n]["title_zh"]
        excluded = next((c for c in reasons if n == c or n.startswith(c + ".")), None)
        if excluded:
            return CoverageRow(n, title, EXCLUDED, [], [], f"4.3 不适用（{excluded}）：{reasons[excluded]}")
        # The audit checklist checks requirements; it does not put them in place, so it counts for none.
        found = [f"{d.control.number} {d.title}" for d in docs if d.kind != "checklist" and _addresses(d.clauses, n)]
        own = [book(o.title) for o in own_docs if _addresses(sorted(o.clauses), n)]
        note = applicability.special_note if n == "8.5.1" else ""
        status = COVERED if found else OWN if own else GAP
        if status == GAP:
            note = "文件包和企业现有文件都没有对应的内容，请补充或说明"
        return CoverageRow(n, title, status, found, own, note)

    def visit(n: str) -> CoverageRow:
        if n in rows:
            return rows[n]
        if not children[n]:
            rows[n] = leaf(n)
            return rows[n]
        kids = [visit(k) for k in children[n]]
        own_row = leaf(n)
        gaps = [k.clause for k in kids if k.status in (GAP, PARTIAL)]
        if all(k.status == EXCLUDED for k in kids):
            status, note = EXCLUDED, kids[0].note
        elif not gaps:
            status, note = COVERED, "各子条款均已覆盖或不适用"
        else:
            status, note = PARTIAL, "缺口在子条款：" + "、".join(gaps)
        rows[n] = CoverageRow(n, own_row.title, status, own_row.documents, own_row.own, note)
        return rows[n]

    for n in numbers:
        visit(n)
    return [rows[n] for n in numbers]


def gaps(rows: list[CoverageRow]) -> list[str]:
    """The leaf clauses nothing addresses."""
    return [r.clause for r in rows if r.status == GAP]


def table(rows: list[CoverageRow]) -> Table:
    return Table(HEADER, [r.cells() for r in rows], widths=[1.2, 3, 1.6, 6, 3, 5])


def xlsx_bytes(rows: list[CoverageRow], company: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "条款覆盖矩阵"
    ws.append([f"{company} 质量管理体系 条款 × 文件覆盖矩阵（ISO 9001:2015 第 4–10 章）"])
    ws.append([HOW])
    ws.append(HEADER)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for r in rows:
        # Every cell is written as text: a clause number such as 8.5 must not become a number.
        ws.append(r.cells())
        fill = PatternFill("solid", fgColor=FILLS[r.status])
        ws.cell(row=ws.max_row, column=3).fill = fill
    for col, width in zip("ABCDEF", (9, 26, 12, 60, 30, 60), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    counts = {s: sum(r.status == s for r in rows) for s in (COVERED, OWN, PARTIAL, EXCLUDED, GAP)}
    summary = wb.create_sheet("汇总")
    summary.append(["状态", "条款数"])
    for status, count in counts.items():
        summary.append([status, count])
    summary.append([])
    summary.append(["说明", HOW])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
