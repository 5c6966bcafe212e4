"""Validate the retrieval/answering evaluation set ``tests/eval/questions.yaml``.

Structure is always checked (ids, required fields, gold phrase shape, section path format).
When the seed guide is available, every gold phrase must also occur verbatim in the guide body
(outside the table of contents, with no line break inside it), every section path must name real
headings, and for ordinary questions at least one gold phrase must lie inside the named section.
When ``corpus/iso9001/clauses.yaml`` exists, every ``gold_clause``/``clause`` must be one of its
clause numbers.

Usage::

    python tests/eval/check_questions.py [questions.yaml] [guide.md]
"""

from __future__ import annotations

import re
import string
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
DEFAULT_QUESTIONS = HERE / "questions.yaml"
GUIDE_REL = Path("corpus/seed/guide-2020-sme-iso9001.md")  # the raw source, committed with the corpus
CLAUSES_REL = Path("corpus/iso9001/clauses.yaml")

TOP_SECTIONS = (
    "前言",
    "一、质量管理体系概述",
    "二、小微企业质量管理的核心理念",
    "三、小微企业质量管理体系建设方法步骤",
)
REQUIRED = ("id", "question", "gold", "in_scope")
ALLOWED = {"id", "question", "gold", "gold_clause", "section", "clause", "tags", "in_scope", "reason", "gap"}
TAGS = {"clause", "multi_hop", "paraphrase"}
GOLD_MIN, GOLD_MAX = 6, 20
CLAUSE_RE = re.compile(r"^(?:[4-9]|10)(?:\.\d{1,2}){0,3}$")
ID_RE = re.compile(r"^[qog]\d{3}$")
LEVEL_RES = (  # heading level by its (normalised) text; the raw Markdown '#' depth is inconsistent
    (1, re.compile(r"^(?:前言|[一二三四五六七八九十]+、)")),
    (2, re.compile(r"^（[一二三四五六七八九十]+）")),
    (3, re.compile(r"^\d+\.")),
    (4, re.compile(r"^[a-z]）")),
)
BAD_CHARS = set(string.punctuation) | set(string.whitespace)


def find_guide(start: Path = REPO_ROOT) -> Path | None:
    """The raw seed guide committed at ``<repo>/corpus/seed/``."""
    for base in (start, start.parent):
        if (base / GUIDE_REL).is_file():
            return base / GUIDE_REL
    return None


def normalize_heading(text: str) -> str:
    text = text.strip().lstrip("#").replace("*", "").replace("<b>", "").replace("</b>", "")
    text = text.replace("(", "（").replace(")", "）")
    return re.sub(r"\s+", "", text)


def guide_body(raw: str) -> str:
    """The guide without its table of contents (which lists appendices the text lacks)."""
    start = raw.find("# 目 录")
    end = raw.find("\n# 一、", start if start >= 0 else 0)
    if start >= 0 and end > start:
        return raw[:start] + raw[end:]
    return raw


def heading_spans(body: str) -> list[tuple[int, str, int, int]]:
    """(level, normalised title, start, end) for each heading; end = next heading of level <= own."""
    found: list[tuple[int, str, int]] = []
    pos = 0
    for line in body.splitlines(keepends=True):
        if line.startswith("#"):
            title = normalize_heading(line)
            level = next((lv for lv, rx in LEVEL_RES if rx.match(title)), 0)
            if level:
                found.append((level, title, pos))
        pos += len(line)
    spans = []
    for i, (level, title, start) in enumerate(found):
        end = next((s for lv, _, s in found[i + 1 :] if lv <= level), len(body))
        spans.append((level, title, start, end))
    return spans


def section_text(body: str, spans: list[tuple[int, str, int, int]], path: str) -> str | None:
    """Text under the deepest heading of ``path``, found in order inside its parents; None if absent."""
    lo, hi = 0, len(body)
    for part in path.split(" > "):
        want = normalize_heading(part)
        hit = next((s for s in spans if s[1] == want and lo <= s[2] < hi), None)
        if hit is None:
            return None
        lo, hi = hit[2], hit[3]
    return body[lo:hi]


def load_clause_numbers(path: Path) -> set[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("clauses", data)
    numbers: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "number" in node:
                numbers.add(str(node["number"]).strip())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return numbers


def _check_item(item: Any, where: str) -> list[str]:
    if not isinstance(item, dict):
        return [f"{where}: not a mapping"]
    problems = [f"{where}: missing {k!r}" for k in REQUIRED if k not in item]
    problems += [f"{where}: unknown key {k!r}" for k in item if k not in ALLOWED]
    qid, in_scope = item.get("id"), item.get("in_scope")
    if not isinstance(qid, str) or not ID_RE.match(qid):
        problems.append(f"{where}: bad id {qid!r}")
    elif not isinstance(in_scope, bool):
        problems.append(f"{where}: in_scope must be true/false")
    elif (qid[0] in "qg") != in_scope:
        problems.append(f"{where}: q- and g-ids are in scope, o-ids out of scope")
    elif (qid[0] == "g") != bool(item.get("gap")):
        problems.append(f"{where}: g-ids (and only they) touch a known gap: gap: true")
    if not isinstance(item.get("question"), str) or not item.get("question", "").strip():
        problems.append(f"{where}: empty question")
    gold = item.get("gold")
    if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
        return problems + [f"{where}: gold must be a list of strings"]
    if len(set(gold)) != len(gold):
        problems.append(f"{where}: duplicate gold phrase")
    for g in gold:
        if not GOLD_MIN <= len(g) <= GOLD_MAX:
            problems.append(f"{where}: gold {g!r} has {len(g)} chars (want {GOLD_MIN}-{GOLD_MAX})")
        bad = sorted({c for c in g if c in BAD_CHARS})
        if bad:
            problems.append(f"{where}: gold {g!r} contains ASCII punctuation/whitespace {bad}")
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not set(tags) <= TAGS:
        problems.append(f"{where}: tags must be a subset of {sorted(TAGS)}")
    for key in ("clause", "gold_clause"):
        value = item.get(key)
        if value not in (None, "") and (not isinstance(value, str) or not CLAUSE_RE.match(value)):
            problems.append(f"{where}: bad {key} {value!r}")
    if in_scope is True:
        if not gold and not item.get("gold_clause"):
            problems.append(f"{where}: in-scope question needs gold phrases or gold_clause")
        section = item.get("section", "")
        if not isinstance(section, str):
            problems.append(f"{where}: section must be a string")
        elif gold and not section:
            problems.append(f"{where}: gold phrases given but no section")
        elif section and section.split(" > ")[0] not in TOP_SECTIONS:
            problems.append(f"{where}: section {section!r} does not start with a top-level title")
        elif section and any(p != p.strip() or not p for p in section.split(" > ")):
            problems.append(f"{where}: malformed section path {section!r}")
    elif in_scope is False:
        if gold or item.get("gold_clause"):
            problems.append(f"{where}: out-of-scope question must have no gold")
        if not str(item.get("reason", "")).strip():
            problems.append(f"{where}: out-of-scope question needs a reason")
    return problems


def _check_against_guide(items: list[dict], raw: str) -> list[str]:
    body = guide_body(raw)
    spans = heading_spans(body)
    problems = []
    for item in items:
        where = str(item.get("id"))
        gold = [g for g in item.get("gold") or [] if isinstance(g, str)]
        for g in gold:
            if g not in body:
                problems.append(f"{where}: gold {g!r} not found verbatim in the guide body")
        section = item.get("section")
        if not item.get("in_scope") or not isinstance(section, str) or not section:
            continue
        text = section_text(body, spans, section)
        if text is None:
            problems.append(f"{where}: section {section!r} does not match the guide's headings")
        elif gold and "multi_hop" not in (item.get("tags") or []) and not any(g in text for g in gold):
            problems.append(f"{where}: no gold phrase lies inside section {section!r}")
    return problems


def check(
    path: str | Path = DEFAULT_QUESTIONS, guide: str | Path | None = None, clauses: str | Path | None = None
) -> list[str]:
    """Return a list of problems with the question file (empty when all is well).

    ``guide``/``clauses`` default to the seed guide and ``corpus/iso9001/clauses.yaml`` when they exist;
    checks that need them are skipped otherwise.
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return [f"cannot load {path}: {exc}"]
    if not isinstance(data, list):
        return [f"{path}: top level must be a list"]
    problems: list[str] = []
    for n, item in enumerate(data):
        where = item.get("id", f"item {n}") if isinstance(item, dict) else f"item {n}"
        problems += _check_item(item, str(where))
    items = [i for i in data if isinstance(i, dict)]
    for key in ("id", "question"):
        seen: set[str] = set()
        for item in items:
            value = re.sub(r"\s+", "", str(item.get(key, "")))
            if value in seen:
                problems.append(f"duplicate {key}: {item.get(key)!r}")
            seen.add(value)

    guide_path = Path(guide) if guide else find_guide()
    if guide_path and guide_path.is_file():
        problems += _check_against_guide(items, guide_path.read_text(encoding="utf-8"))

    clauses_path = Path(clauses) if clauses else REPO_ROOT / CLAUSES_REL
    if clauses_path.is_file():
        try:
            known = load_clause_numbers(clauses_path)
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"cannot load {clauses_path}: {exc}")
        else:
            for item in items:
                for key in ("gold_clause", "clause"):
                    number = item.get(key)
                    if number and known and number not in known:
                        problems.append(f"{item.get('id')}: {key} {number!r} not in {CLAUSES_REL}")
    return problems


def counts(path: str | Path = DEFAULT_QUESTIONS) -> dict[str, int]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    out = {"in_scope": 0, "out_of_scope": 0}
    for item in data:
        out["in_scope" if item.get("in_scope") else "out_of_scope"] += 1
        section = item.get("section") or ("(clause only)" if item.get("in_scope") else "")
        if section:
            top = section.split(" > ")[0]
            out[top] = out.get(top, 0) + 1
    return out


if __name__ == "__main__":
    qpath = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_QUESTIONS
    gpath = sys.argv[2] if len(sys.argv) > 2 else None
    found = check(qpath, gpath)
    for line in found:
        print(line)
    print(counts(qpath))
    if not (gpath or find_guide()):
        print("note: seed guide not found, verbatim checks skipped")
    sys.exit(1 if found else 0)
