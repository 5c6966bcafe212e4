"""The evaluation question set is well-formed and its gold phrases really occur in the guide."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from ingest.clean_guide import DEFAULT_RAW

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = REPO / "tests" / "eval" / "questions.yaml"
SEED = DEFAULT_RAW  # the raw source is committed with the corpus (corpus/seed/)
CLEANED = REPO / "corpus" / "guide" / "guide.md"


def _load_checker():
    path = REPO / "tests" / "eval" / "check_questions.py"
    spec = importlib.util.spec_from_file_location("check_questions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


checker = _load_checker()


def _items() -> list[dict]:
    return yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))


def test_question_set_has_no_problems():
    # A missing seed path makes check() skip the verbatim/section checks but keep the structural ones.
    problems = checker.check(QUESTIONS, guide=SEED)
    assert problems == [], "\n".join(problems)


def test_structure_checks_run_without_the_guide(tmp_path):
    problems = checker.check(QUESTIONS, guide=tmp_path / "absent.md")
    assert problems == [], "\n".join(problems)


def test_counts():
    items = _items()
    in_scope = [i for i in items if i["in_scope"]]
    out_scope = [i for i in items if not i["in_scope"]]
    assert len(in_scope) >= 75
    assert len(out_scope) >= 15
    tops = {i["section"].split(" > ")[0] for i in in_scope if i.get("section")}
    assert tops == set(checker.TOP_SECTIONS)
    assert sum("clause" in (i.get("tags") or []) for i in in_scope) >= 10
    assert sum("multi_hop" in (i.get("tags") or []) for i in in_scope) >= 5


def test_checker_catches_bad_entries(tmp_path):
    bad = [
        {"id": "q001", "question": "重复？", "gold": ["短"], "section": "前言", "in_scope": True},
        {
            "id": "q001",
            "question": "重复？",
            "gold": ["质量目标, 不能模糊"],
            "section": "前言",
            "in_scope": True,
        },
        {"id": "o001", "question": "天气", "gold": ["今天天气很好的"], "in_scope": False},
    ]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    problems = "\n".join(checker.check(path, guide=tmp_path / "absent.md"))
    for needle in ("chars", "ASCII punctuation", "duplicate id", "duplicate question", "no gold", "reason"):
        assert needle in problems


@pytest.mark.skipif(not SEED.is_file(), reason="seed guide not available")
def test_checker_rejects_phrase_absent_from_guide(tmp_path):
    item = {"id": "q001", "question": "？", "gold": ["这句话指南里没有"], "section": "前言", "in_scope": True}
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump([item], allow_unicode=True), encoding="utf-8")
    assert any("not found verbatim" in p for p in checker.check(path, guide=SEED))


@pytest.mark.skipif(not CLEANED.is_file(), reason="cleaned guide (corpus/guide/guide.md) not generated")
def test_gold_phrases_survive_cleaning():
    text = CLEANED.read_text(encoding="utf-8")
    missing = [(i["id"], g) for i in _items() for g in i["gold"] if g not in text]
    assert missing == [], missing


def test_findings_set_is_well_formed_and_split() -> None:
    """tests/eval/findings.yaml: own-words situations with gold sub-clauses, in both halves."""
    from assistant.eval.findings import KINDS, load_findings
    from assistant.eval.split import halves

    clauses = {str(c["number"]) for c in yaml.safe_load((REPO / "corpus/iso9001/clauses.yaml").read_text())["clauses"]}
    items = load_findings()
    ids = [item["id"] for item in items]
    assert len(items) >= 80 and len(ids) == len(set(ids))
    for item in items:
        assert set(item) == {"id", "kind", "clauses", "question"}, item["id"]
        assert item["kind"] in KINDS and item["question"].strip(), item["id"]
        assert item["clauses"] and set(item["clauses"]) <= clauses, item["id"]
    parts = halves(items)
    assert len(parts["tune"]) >= 30 and len(parts["held"]) >= 30
