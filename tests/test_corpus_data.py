"""Checks on the hand-written structured corpus data.

- corpus/iso9001/clauses.yaml: ISO 9001:2015 clause outline with self-written summaries.
- corpus/catalogue/guide_lists.yaml: lists taken verbatim from the SME guide.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from ingest.clean_guide import DEFAULT_RAW

ROOT = Path(__file__).resolve().parents[1]
CLAUSES_PATH = ROOT / "corpus" / "iso9001" / "clauses.yaml"
LISTS_PATH = ROOT / "corpus" / "catalogue" / "guide_lists.yaml"
RAW_GUIDE = DEFAULT_RAW  # the raw source is committed with the corpus (corpus/seed/)

SEP = " > "

# ---------------------------------------------------------------- valid guide section paths
_A = "一、质量管理体系概述"
_B = "二、小微企业质量管理的核心理念"
_C = "三、小微企业质量管理体系建设方法步骤"
_OUTLINE: dict[str, dict] = {
    "前言": {},
    _A: {
        "（一）ISO 9001 质量管理体系标准": {},
        "（二）ISO 9001 质量管理体系认证": {},
    },
    _B: {
        "（一）树立质量管理理念": {},
        "（二）强化企业领导作用": {},
        "（三）激发企业内生动力": {},
        "（四）联系实际用好理论": {},
        "（五）明确目标突出重点": {},
        "（六）持续改进注重长效": {},
    },
    _C: {
        "（一）管理知识学习": {},
        "（二）内外环境调研": {
            "1. 企业基本情况摸底": {},
            "2. 评估关键质量问题，提出体系建设方案": {},
        },
        "（三）核心过程梳理": {
            f"{i}. {name}": {}
            for i, name in enumerate(
                [
                    "营销和市场调研",
                    "产品设计和开发",
                    "过程策划和开发",
                    "采购",
                    "生产制造",
                    "验证",
                    "包装和贮存",
                    "销售和交付",
                    "安装和投入运行",
                    "技术支持和服务",
                    "售后",
                    "用后处置",
                ],
                start=1,
            )
        },
        "（四）管理制度建设": {
            "1. 管理制度层次结构": {
                "a) 顶层制度": {},
                "b) 次级制度": {},
                "c) 具体产品和服务的工艺技术规程": {},
            },
            "2. 管理制度建设原则": {},
            "3. 管理制度表现形式": {},
        },
        "（五）支持资源配置": {},
        "（六）生产过程控制": {
            "1. 明确要求": {},
            "2. 过程设计": {},
            "3. 过程实施": {},
            "4. 过程的评价和改进": {},
        },
        "（七）跟踪检查评价": {
            "1. 日常检查": {},
            "2. 内部审核": {},
            "3. 管理评审": {},
        },
        "（八）持续改进绩效": {},
    },
}


def _paths(tree: dict, prefix: tuple[str, ...] = ()) -> set[str]:
    out: set[str] = set()
    for heading, sub in tree.items():
        here = (*prefix, heading)
        out.add(SEP.join(here))
        out |= _paths(sub, here)
    return out


VALID_SECTIONS = _paths(_OUTLINE)

# ---------------------------------------------------------------- expected clause outline
EXPECTED_CLAUSES = """
4 4.1 4.2 4.3 4.4 4.4.1 4.4.2
5 5.1 5.1.1 5.1.2 5.2 5.2.1 5.2.2 5.3
6 6.1 6.1.1 6.1.2 6.2 6.2.1 6.2.2 6.3
7 7.1 7.1.1 7.1.2 7.1.3 7.1.4 7.1.5 7.1.5.1 7.1.5.2 7.1.6 7.2 7.3 7.4
7.5 7.5.1 7.5.2 7.5.3 7.5.3.1 7.5.3.2
8 8.1 8.2 8.2.1 8.2.2 8.2.3 8.2.3.1 8.2.3.2 8.2.4
8.3 8.3.1 8.3.2 8.3.3 8.3.4 8.3.5 8.3.6 8.4 8.4.1 8.4.2 8.4.3
8.5 8.5.1 8.5.2 8.5.3 8.5.4 8.5.5 8.5.6 8.6 8.7 8.7.1 8.7.2
9 9.1 9.1.1 9.1.2 9.1.3 9.2 9.2.1 9.2.2 9.3 9.3.1 9.3.2 9.3.3
10 10.1 10.2 10.2.1 10.2.2 10.3
""".split()

DOC_INFO_VALUES = {"none", "maintain", "retain", "maintain+retain"}

# Documented-information flags fixed by the 2015 edition (spot checks).
EXPECTED_DOC_INFO = {
    "4.3": "maintain",
    "4.4.2": "maintain+retain",
    "5.2.2": "maintain",
    "6.2.1": "maintain",
    "7.1.5.1": "retain",
    "7.1.5.2": "retain",
    "7.2": "retain",
    "8.1": "maintain+retain",
    "8.2.3.2": "retain",
    "8.3.2": "retain",
    "8.3.3": "retain",
    "8.3.4": "retain",
    "8.3.5": "retain",
    "8.3.6": "retain",
    "8.4.1": "retain",
    "8.5.1": "maintain",
    "8.5.2": "retain",
    "8.5.3": "retain",
    "8.5.6": "retain",
    "8.6": "retain",
    "8.7.2": "retain",
    "9.1.1": "retain",
    "9.2.2": "retain",
    "9.3.3": "retain",
    "10.2.2": "retain",
    "4.1": "none",
    "6.1.2": "none",
    "9.1.2": "none",
    "10.3": "none",
}

PRINCIPLE_NAMES = ["以顾客为关注焦点", "领导作用", "全员积极参与", "过程方法", "改进", "循证决策", "关系管理"]

MAX_SUMMARY = 200


def _flags(value: str) -> set[str]:
    return set() if value == "none" else set(value.split("+"))


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def clause_data() -> dict:
    data = yaml.safe_load(CLAUSES_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def clauses(clause_data) -> list[dict]:
    return clause_data["clauses"]


@pytest.fixture(scope="module")
def by_number(clauses) -> dict[str, dict]:
    return {c["number"]: c for c in clauses}


@pytest.fixture(scope="module")
def lists() -> list[dict]:
    data = yaml.safe_load(LISTS_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data["lists"]


@pytest.fixture(scope="module")
def by_id(lists) -> dict[str, dict]:
    return {lst["id"]: lst for lst in lists}


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def raw_guide() -> str:
    if not RAW_GUIDE.exists():
        pytest.skip(f"raw guide not available at {RAW_GUIDE}")
    return _squash(RAW_GUIDE.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- self-check of the outline
def test_valid_section_set_is_complete():
    assert len(VALID_SECTIONS) == 47  # 1 + 3 + 7 + 36
    assert f"{_C} > （六）生产过程控制 > 2. 过程设计" in VALID_SECTIONS
    assert f"{_C} > （四）管理制度建设 > 1. 管理制度层次结构 > a) 顶层制度" in VALID_SECTIONS


def test_valid_sections_match_cleaned_guide_headings():
    """When the cleaned guide is in the tree, its heading paths are exactly our outline."""
    guide = ROOT / "corpus" / "guide" / "guide.md"
    if not guide.exists():
        pytest.skip("corpus/guide/guide.md not generated")
    found: set[str] = set()
    stack: list[tuple[int, str]] = []
    for line in guide.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(#{2,6})\s+(.+?)\s*$", line)
        if not m:
            continue
        level = len(m.group(1))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, m.group(2)))
        found.add(SEP.join(h for _, h in stack))
    assert VALID_SECTIONS <= found, sorted(VALID_SECTIONS - found)


# ---------------------------------------------------------------- clauses.yaml
def test_clause_file_header(clause_data):
    assert "ISO 9001:2015" in clause_data["standard"]
    assert "GB/T 19001-2016" in clause_data["standard"]
    assert "不是标准原文" in clause_data["notice"]


def test_every_clause_present_exactly_once(clauses):
    numbers = [c["number"] for c in clauses]
    assert all(isinstance(n, str) for n in numbers)
    dupes = [n for n, k in Counter(numbers).items() if k > 1]
    assert not dupes, dupes
    assert set(numbers) == set(EXPECTED_CLAUSES), (
        sorted(set(EXPECTED_CLAUSES) - set(numbers)),
        sorted(set(numbers) - set(EXPECTED_CLAUSES)),
    )


def test_parents(clauses, by_number):
    for c in clauses:
        number, parent = c["number"], c["parent"]
        if "." not in number:
            assert parent is None, number
        else:
            assert parent == number.rsplit(".", 1)[0], number
            assert parent in by_number, number


def test_required_fields(clauses):
    for c in clauses:
        for key in ("title_zh", "title_en", "summary"):
            assert isinstance(c[key], str) and c[key].strip(), (c["number"], key)
        assert isinstance(c["guide_sections"], list), c["number"]
        kw = c["keywords"]
        assert isinstance(kw, list) and 3 <= len(kw) <= 8, c["number"]
        assert len(set(kw)) == len(kw), c["number"]


def test_summary_length(clause_data):
    for c in clause_data["clauses"]:
        assert len(c["summary"]) <= MAX_SUMMARY, c["number"]
    for p in clause_data["principles"]:
        assert len(p["summary"]) <= MAX_SUMMARY, p["name_zh"]


def test_documented_information_values(clauses):
    for c in clauses:
        di = c["documented_information"]
        assert di in DOC_INFO_VALUES, (c["number"], di)
        note = c["documented_information_note"]
        assert isinstance(note, str)
        if di == "none":
            assert note == "", c["number"]
        else:
            assert note.strip(), c["number"]


def test_documented_information_matches_2015_edition(by_number):
    for number, expected in EXPECTED_DOC_INFO.items():
        assert by_number[number]["documented_information"] == expected, number


def test_parent_documented_information_is_union_of_children(clauses, by_number):
    """Heading-only parent clauses summarise what their sub-clauses require."""
    children: dict[str, list[str]] = {}
    for c in clauses:
        if c["parent"]:
            children.setdefault(c["parent"], []).append(c["number"])
    for parent, kids in children.items():
        union: set[str] = set()
        for kid in kids:
            union |= _flags(by_number[kid]["documented_information"])
        assert _flags(by_number[parent]["documented_information"]) == union, parent


def test_clause_guide_sections_valid(clauses):
    for c in clauses:
        for section in c["guide_sections"]:
            assert section in VALID_SECTIONS, (c["number"], section)


def test_key_guide_mappings(by_number):
    def has(number: str, tail: str) -> bool:
        return any(s.endswith(tail) for s in by_number[number]["guide_sections"])

    assert has("9.2", "2. 内部审核")
    assert has("9.3", "3. 管理评审")
    assert has("8.5.1", "（六）生产过程控制")
    assert has("4.1", "（二）内外环境调研")
    assert has("4.4", "（三）核心过程梳理")
    assert has("7.5", "（四）管理制度建设")
    assert has("7.2", "（一）管理知识学习")
    assert has("5.1", "（二）强化企业领导作用")
    assert has("10.3", "（八）持续改进绩效")
    assert has("7.1", "（五）支持资源配置")


def test_principles(clause_data, by_number):
    principles = clause_data["principles"]
    assert [p["name_zh"] for p in principles] == PRINCIPLE_NAMES
    for p in principles:
        assert p["name_en"] and p["summary"].strip()
        assert p["related_clauses"], p["name_zh"]
        for number in p["related_clauses"]:
            assert number in by_number, (p["name_zh"], number)


def test_pdca(clause_data):
    assert clause_data["pdca"] == {"P": ["4", "5", "6"], "D": ["7", "8"], "C": ["9"], "A": ["10"]}


# ---------------------------------------------------------------- guide_lists.yaml
REQUIRED_LISTS = {
    "build_steps": 8,
    "core_concepts": 6,
    "principles": 7,
    "typical_processes": 12,
    "monitoring_levels": 3,
    "improvement_steps": 7,
    "improvement_methods": 3,
    "improvement_areas": None,
    "training_levels": 3,
    "leadership_roles": 7,
    "quality_mindset": 4,
    "doc_hierarchy": 3,
    "doc_principles": None,
    "management_review_inputs": None,
    "management_review_steps": 5,
    "internal_audit_uses": 4,
    "process_elements": 7,
    "process_requirements": 6,
    "process_factors": 6,
    "process_evaluation_criteria": 3,
    "management_review_purposes": 3,
    "product_categories": 4,
    "example_processes": 10,
    "system_proposal_contents": None,
    "pdca_chapters": 4,
    "certification_benefits": None,
}


def test_list_ids_unique_and_required_present(lists):
    ids = [lst["id"] for lst in lists]
    assert len(ids) == len(set(ids))
    missing = set(REQUIRED_LISTS) - set(ids)
    assert not missing, sorted(missing)


def test_list_lengths(by_id):
    for list_id, expected in REQUIRED_LISTS.items():
        items = by_id[list_id]["items"]
        assert items, list_id
        if expected is not None:
            assert len(items) == expected, (list_id, len(items))


def test_list_shape(lists, by_number):
    for lst in lists:
        assert lst["title"].strip(), lst["id"]
        assert isinstance(lst["ordered"], bool), lst["id"]
        assert lst["section"] in VALID_SECTIONS, (lst["id"], lst["section"])
        assert 1 <= len(lst["clauses"]) <= 3, lst["id"]
        for number in lst["clauses"]:
            assert number in by_number, (lst["id"], number)
        names = [it["name"] for it in lst["items"]]
        assert len(names) == len(set(names)), lst["id"]
        for item in lst["items"]:
            assert isinstance(item["name"], str) and item["name"].strip(), lst["id"]
            if "section" in item:
                assert item["section"] in VALID_SECTIONS, (lst["id"], item["name"])
                assert item["section"].startswith(lst["section"]), (lst["id"], item["name"])
            for number in item.get("clauses", []):
                assert number in by_number, (lst["id"], item["name"], number)


def test_build_steps_follow_guide_order(by_id):
    steps = by_id["build_steps"]["items"]
    assert [s["name"] for s in steps] == [
        "管理知识学习",
        "内外环境调研",
        "核心过程梳理",
        "管理制度建设",
        "支持资源配置",
        "生产过程控制",
        "跟踪检查评价",
        "持续改进绩效",
    ]
    assert by_id["build_steps"]["ordered"] is True


def test_principles_list_matches_clause_file(by_id):
    assert [it["name"] for it in by_id["principles"]["items"]] == PRINCIPLE_NAMES


def test_example_processes(by_id):
    items = by_id["example_processes"]["items"]
    codes = [it["code"] for it in items]
    assert codes == ["M1", "M2", "M3", "C1", "C2", "C3", "S1", "S2", "S3", "S4"]
    kinds = {"M": "management", "C": "core", "S": "support"}
    for it in items:
        assert it["type"] == kinds[it["code"][0]], it


def test_pdca_chapters_list(by_id, clause_data):
    items = by_id["pdca_chapters"]["items"]
    assert {it["phase"]: it["chapters"] for it in items} == clause_data["pdca"]


def test_training_levels_have_audience_and_content(by_id):
    for it in by_id["training_levels"]["items"]:
        assert it["audience"].strip() and it["content"].strip()


def test_list_text_is_verbatim_from_guide(lists, raw_guide):
    """Names (and quoted details) are the guide's own words, modulo whitespace."""
    for lst in lists:
        for item in lst["items"]:
            assert _squash(item["name"]) in raw_guide, (lst["id"], item["name"])
            if "code" in item:
                assert _squash(item["code"] + item["name"]) in raw_guide, (lst["id"], item["name"])
            for key in ("detail", "audience", "content"):
                if key in item:
                    assert _squash(item[key]) in raw_guide, (lst["id"], item["name"], key)
            if "example" in item:
                for part in item["example"].split("；"):
                    assert _squash(part) in raw_guide, (lst["id"], item["name"], part)


def test_typical_findings_cover_every_leaf_clause(clauses) -> None:
    """corpus/iso9001/findings.yaml: one or more own-words typical findings for each clause with its own
    requirements, none for the headings-only parents (their children carry them)."""
    from ingest.clauses import clause_findings

    findings = clause_findings(CLAUSES_PATH.parents[1])
    parents = {str(c["parent"]) for c in clauses if c.get("parent")}
    leaves = {str(c["number"]) for c in clauses} - parents
    assert set(findings) == leaves
    for number, lines in findings.items():
        assert lines and all(8 <= len(line) <= 60 and "。" not in line for line in lines), number
