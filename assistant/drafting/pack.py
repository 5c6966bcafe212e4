"""The starter pack: every draft as .docx and .md with tidy Chinese names, the coverage matrix (.xlsx), a 清单
(with the drafter's assumptions and open questions) and the profile."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path

from assistant.config import REPO_ROOT
from assistant.drafting.coverage import HOW, CoverageRow, table, xlsx_bytes
from assistant.drafting.export_docx import docx_bytes
from assistant.drafting.export_markdown import table_markdown, to_markdown
from assistant.drafting.models import DraftDocument, ProcessCard
from assistant.drafting.profile import CompanyProfile, profile_yaml
from assistant.drafting.render import Table
from assistant.drafting.templates import fill

README_TEMPLATE = Path("templates") / "pack_readme.md"
WORD_DIR, MD_DIR = "Word版", "Markdown版"
LIST_NAME = "文件清单.md"
PROFILE_NAME = "企业概况.yaml"
MATRIX_NAME = "条款覆盖矩阵.xlsx"
MATRIX_MD = "条款覆盖矩阵.md"


def safe_name(text: str, limit: int = 60) -> str:
    """A name every OS and unzip tool accepts: no path or control characters, no dots at the ends."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"[\\/:*?\"<>|\x00-\x1f\x7f]+", "-", text)
    text = re.sub(r"\s+", "", text).strip(".-")
    return text[:limit] or "文件"


def doc_stem(doc: DraftDocument, index: int) -> str:
    body = doc.body
    if isinstance(body, ProcessCard):
        label = f"过程识别卡-{body.code}-{body.name}"
    elif doc.kind in ("procedure", "form"):
        label = f"{doc.control.number}-{doc.title}"
    else:
        label = doc.title.split("（")[0]
    return f"{index:02d}-{safe_name(label)}"


def readme(
    docs: list[DraftDocument], stems: list[str], profile: CompanyProfile, corpus_dir: Path, notes: list[str]
) -> str:
    rows = [
        [str(i), d.control.number, d.title, f"{WORD_DIR}/{s}.docx", f"{MD_DIR}/{s}.md"]
        for i, (d, s) in enumerate(zip(docs, stems, strict=True), 1)
    ]
    listing = table_markdown(Table(["序号", "文件编号", "文件名称", "Word", "Markdown"], rows))
    notices = [*notes, *sorted({f"{d.title}：{n}" for d in docs for n in d.notices})]
    template = (corpus_dir / README_TEMPLATE).read_text(encoding="utf-8")
    dates = {d.control.date for d in docs if d.control.date}
    return fill(
        template,
        {
            "公司": profile.name,
            "日期": min(dates) if dates else "",
            "概况": profile.summary(),
            "清单": listing,
            "提示": "\n".join(f"- {n}" for n in notices) or "- 无",
            "覆盖说明": HOW,
        },
    )


def write_pack(
    docs: list[DraftDocument],
    profile: CompanyProfile,
    path_zip: str | Path,
    corpus_dir: Path | None = None,
    *,
    matrix: list[CoverageRow] | None = None,
    notes: list[str] | None = None,
) -> Path:
    """Write the ZIP and return its path; every name inside sits under one folder named after the company."""
    path = Path(path_zip)
    path.parent.mkdir(parents=True, exist_ok=True)
    root = safe_name(f"{profile.name}-质量管理体系文件包", limit=80)
    stems = [doc_stem(d, i) for i, d in enumerate(docs, 1)]
    corpus = corpus_dir or REPO_ROOT / "corpus"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{root}/{LIST_NAME}", readme(docs, stems, profile, corpus, list(notes or [])))
        zf.writestr(f"{root}/{PROFILE_NAME}", profile_yaml(profile))
        if matrix:
            zf.writestr(f"{root}/{MATRIX_NAME}", xlsx_bytes(matrix, profile.name))
            zf.writestr(f"{root}/{MATRIX_MD}", f"# 条款覆盖矩阵\n\n{HOW}\n\n{table_markdown(table(matrix))}\n")
        for doc, stem in zip(docs, stems, strict=True):
            zf.writestr(f"{root}/{WORD_DIR}/{stem}.docx", docx_bytes(doc))
            zf.writestr(f"{root}/{MD_DIR}/{stem}.md", to_markdown(doc))
    return path
