"""Recognised text boxes → reading order → Markdown: rows top to bottom, cells left to right, tables as tables.

The OCR engine returns one box per line fragment in no trustworthy order. A scanned 过程识别卡 only stays useful
for chunking and citing if its grid comes back as a Markdown table, so runs of rows with aligned columns become
`| a | b |` rows; everything else is handed to the plain-text normaliser like a PDF text layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.normalise import normalise_plain_text

# Two fragments on one row further apart than this many text heights are separate cells.
CELL_GAP = 1.5
# A box joins a row when their vertical extents overlap by at least this share of the smaller height.
ROW_OVERLAP = 0.5


@dataclass(frozen=True)
class TextBox:
    """One recognised fragment with its axis-aligned bounds in page pixels."""

    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def height(self) -> float:
        return max(self.y1 - self.y0, 1.0)


@dataclass(frozen=True)
class Cell:
    text: str
    x0: float
    x1: float


def rows_of(boxes: list[TextBox]) -> list[list[TextBox]]:
    """Group boxes into visual rows (by vertical overlap), rows top to bottom, boxes left to right."""
    rows: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: (b.y0 + b.y1) / 2):
        target = None
        # Only the last few rows can still overlap a box taken in order of its centre.
        for row in reversed(rows[-3:]):
            top = sum(b.y0 for b in row) / len(row)
            bottom = sum(b.y1 for b in row) / len(row)
            overlap = min(bottom, box.y1) - max(top, box.y0)
            if overlap >= ROW_OVERLAP * min(bottom - top, box.height):
                target = row
                break
        if target is None:
            rows.append([box])
        else:
            target.append(box)
    for row in rows:
        row.sort(key=lambda b: b.x0)
    rows.sort(key=lambda r: min(b.y0 for b in r))
    return rows


def cells_of(row: list[TextBox]) -> list[Cell]:
    """Join fragments of one row that sit close together; a wide gap starts a new cell."""
    cells: list[Cell] = []
    for box in row:
        gap_limit = CELL_GAP * box.height
        if cells and box.x0 - cells[-1].x1 <= gap_limit:
            last = cells[-1]
            cells[-1] = Cell(_join(last.text, box.text), last.x0, max(last.x1, box.x1))
        else:
            cells.append(Cell(box.text, box.x0, box.x1))
    return cells


def _join(left: str, right: str) -> str:
    # Chinese needs no space between fragments; Latin words and numbers do.
    if left[-1:].isascii() and right[:1].isascii() and left[-1:].isalnum() and right[:1].isalnum():
        return f"{left} {right}"
    return left + right


def _bands(rows: list[list[Cell]]) -> list[tuple[float, float]]:
    """Column bands: the union of the cells' horizontal extents over all rows of a block."""
    spans = sorted((c.x0, c.x1) for row in rows for c in row)
    bands: list[list[float]] = []
    for x0, x1 in spans:
        if bands and x0 <= bands[-1][1]:
            bands[-1][1] = max(bands[-1][1], x1)
        else:
            bands.append([x0, x1])
    return [(a, b) for a, b in bands]


def _band_of(cell: Cell, bands: list[tuple[float, float]]) -> int:
    centre = (cell.x0 + cell.x1) / 2
    return min(
        range(len(bands)), key=lambda i: 0 if bands[i][0] <= centre <= bands[i][1] else abs(bands[i][0] - centre)
    )


def table_markdown(rows: list[list[Cell]]) -> str | None:
    """A Markdown table for rows whose cells line up in two or more columns, else None."""
    bands = _bands(rows)
    if len(bands) < 2:
        return None
    grid: list[list[str]] = []
    for row in rows:
        line = [""] * len(bands)
        for cell in row:
            i = _band_of(cell, bands)
            line[i] = _join(line[i], cell.text) if line[i] else cell.text
        if len(row) == 1 and grid and _band_of(row[0], bands) > 0:
            # A lone cell right of the first column is the wrapped tail of the cell above it.
            i = _band_of(row[0], bands)
            grid[-1][i] = _join(grid[-1][i], row[0].text) if grid[-1][i] else row[0].text
            continue
        grid.append(line)
    if len(grid) < 2:
        return None
    out = [_md_row(grid[0]), "|" + " --- |" * len(bands)]
    out += [_md_row(r) for r in grid[1:]]
    return "\n".join(out)


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "｜").strip() for c in cells) + " |"


def _table_runs(rows: list[list[TextBox]], cell_rows: list[list[Cell]]) -> list[tuple[int, int]]:
    """[start, end) index ranges of runs of multi-cell rows, with the wrapped lines of their cells."""

    def wrapped(j: int) -> bool:
        # A lone fragment right under a table row, starting right of its first cell, continues a cell.
        above, here = rows[j - 1], rows[j]
        gap = min(b.y0 for b in here) - max(b.y1 for b in above)
        return len(cell_rows[j]) == 1 and cell_rows[j][0].x0 > cell_rows[j - 1][0].x1 and gap < above[0].height

    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(cell_rows):
        if len(cell_rows[i]) < 2:
            i += 1
            continue
        j = i + 1
        while j < len(cell_rows) and (len(cell_rows[j]) >= 2 or wrapped(j)):
            j += 1
        if sum(len(r) >= 2 for r in cell_rows[i:j]) >= 2:
            runs.append((i, j))
        i = j
    return runs


def page_markdown(boxes: list[TextBox]) -> str:
    """The page's text as Markdown: prose through the plain-text normaliser, aligned grids as tables."""
    rows = rows_of(boxes)
    cell_rows = [cells_of(row) for row in rows]
    tables = dict(_table_runs(rows, cell_rows))
    parts: list[str] = []
    prose: list[str] = []

    def flush() -> None:
        text = normalise_plain_text("\n".join(prose))
        if text.strip():
            parts.append(text)
        prose.clear()

    i = 0
    while i < len(cell_rows):
        if i in tables:
            table = table_markdown(cell_rows[i : tables[i]])
            if table:
                flush()
                parts.append(table)
                i = tables[i]
                continue
        if len(cell_rows[i]) > 1:
            # A lone row of spaced items ("编制：…  批准：…") keeps its gaps: the normaliser would close them.
            flush()
            parts.append("  ".join(c.text for c in cell_rows[i]))
        else:
            prose.append(cell_rows[i][0].text)
        i += 1
    flush()
    return "\n\n".join(parts)
