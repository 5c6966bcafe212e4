"""Question analysis as a table: question → subject concepts, intent, scope. No index, no embedder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.config import REPO_ROOT
from assistant.understanding import ConceptModel, UnknownConceptError, analyse
from assistant.understanding.text import sentences

CASES = yaml.safe_load((Path(__file__).parent / "cases.yaml").read_text(encoding="utf-8"))
MODEL = ConceptModel.load(REPO_ROOT / "corpus")


@pytest.mark.parametrize("case", CASES, ids=[c["q"] for c in CASES])
def test_analysis_table(case: dict) -> None:
    a = analyse(case["q"], model=MODEL)
    ids = [c.id for c in a.concepts]
    if "concepts" in case:
        assert ids[: len(case["concepts"])] == case["concepts"], ids
    if "intent" in case:
        assert a.intent == case["intent"]
    if "scope" in case:
        assert a.scope == case["scope"]
    if "out_of_scope" in case:
        assert a.out_of_scope is not None and a.out_of_scope.id == case["out_of_scope"]
    if "gaps" in case:
        assert [g.id for g in a.gaps] == case["gaps"]
    if "framing" in case:
        assert [c.id for c in a.framing] == case["framing"]
    if "clauses" in case:
        assert list(a.clauses) == case["clauses"]
    if "situation" in case:
        assert a.situation is case["situation"]
    for text in ("told", "finding_text"):
        if text in case:
            assert getattr(a, text) == case[text]
    for kind, words in (case.get("context") or {}).items():
        assert list(a.context.get(kind, ())) == words


def test_context_words_never_make_a_question_out_of_scope() -> None:
    for trade in ("做涂料的", "搞注塑的", "开软件公司的", "做电镀的", "做食品包装的", "十来个人的"):
        a = analyse(f"我们是{trade}小厂，内审怎么做？", model=MODEL)
        assert a.scope == "in" and a.topic is not None and a.topic.id == "topic.internal_audit", trade


def test_follow_ups_carry_topic_or_intent() -> None:
    records = analyse("那要留什么记录？", [("不合格品怎么处理？", "…")], model=MODEL)
    assert records.follow_up and records.intent == "records" and records.topic.id == "topic.nonconforming"
    switched = analyse("那管理评审呢？", [("内审多久做一次？", "…")], model=MODEL)
    assert switched.follow_up and switched.intent == "frequency" and switched.topic.id == "topic.management_review"
    fresh = analyse("过程识别卡怎么填？", [("内审怎么做？", "…")], model=MODEL)
    assert not fresh.follow_up and fresh.topic.id == "topic.process_card"


def test_unknown_terms_are_reported_when_nothing_is_recognised() -> None:
    a = analyse("量子纠缠通信协议怎么部署？", model=MODEL, known=lambda w: False)
    assert a.scope == "unknown" and a.unknown_terms


def test_every_alias_maps_to_one_concept_per_kind() -> None:
    seen: dict[tuple[str, str], str] = {}
    clashes = []
    for concept in MODEL.all():
        for word in concept.words:
            key = (concept.kind, word.lower().replace(" ", ""))
            if key in seen and seen[key] != concept.id:
                clashes.append(f"{word}: {seen[key]} / {concept.id}")
            seen[key] = concept.id
    assert clashes == []


def test_concepts_point_at_real_clauses_and_sections() -> None:
    clauses = {c.extra["number"] for c in MODEL.of_kind("clause")}
    headings = set()
    stack: list[str] = []
    for line in (REPO_ROOT / "corpus/guide/guide.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## ") or line.startswith("### ") or line.startswith("#### ") or line.startswith("##### "):
            level = len(line.split(" ", 1)[0]) - 2
            stack = stack[:level] + [line.split(" ", 1)[1].strip()]
            headings.add(" > ".join(stack))
    for concept in MODEL.of_kind("topic"):
        assert set(concept.clauses) <= clauses, concept.id
        assert set(concept.sections) <= headings, (concept.id, set(concept.sections) - headings)
        if concept.extra.get("list"):
            assert f"list.{concept.extra['list']}" in MODEL, concept.id


def test_word_lists_in_concept_files_hold_only_text() -> None:
    """YAML reads a bare 8.3 as a number: a cue like that crashed every yes-no answer on its topic."""
    bad = []
    for concept in MODEL.of_kind("topic"):
        for fact in concept.extra.get("facts") or []:
            bad += [(concept.id, cue) for cue in fact.get("cue", []) if not isinstance(cue, str)]
        bad += [(concept.id, w) for w in concept.words if not isinstance(w, str)]
    assert bad == []


def test_resolve_get_lookup_nearest() -> None:
    assert MODEL.lookup("内审").id == "topic.internal_audit"
    assert MODEL.resolve("次品和客诉")[0].id in {"topic.nonconforming", "topic.complaints"}
    assert MODEL.nearest("内部审合", kind="topic")[0].id == "topic.internal_audit"
    with pytest.raises(UnknownConceptError, match="可选的有"):
        MODEL.get("topic.no_such_thing")
    small = ConceptModel.from_rows([{"id": "t.a", "kind": "t", "name": "甲乙", "aliases": ["丙丁"]}])
    assert [c.id for c in small.resolve("问丙丁")] == ["t.a"]
    small.register("step.blow", kind="process_step", name="吹膜", aliases=["吹塑薄膜"], clauses=["8.5.1"])
    assert small.lookup("吹塑薄膜").clauses == ("8.5.1",) and small.resolve("吹膜车间")[0].id == "step.blow"


def test_one_sentence_splitter_keeps_closing_brackets() -> None:
    assert sentences("按计划实施。）然后再看。") == ["按计划实施。）", "然后再看。"]
    assert sentences("甲；乙。", semicolons=False) == ["甲；乙。"]


def test_how_a_question_is_put_is_not_searched_for() -> None:
    """ "该怎么办" once matched a clause summary that happens to say "怎么办"; such words carry no subject."""
    from assistant.understanding.text import tokenize

    assert tokenize("注塑机最近老是停机，我们该怎么办？") == ["注塑", "塑机", "注塑机", "停机"]
