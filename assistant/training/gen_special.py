"""Questions on facts that pair two things in the guide: monitoring level ↔ activity, training audience ↔
content, standard chapter ↔ PDCA phase, a passage ↔ the heading it stands under, and table 3-1's formulas."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.training.knowledge import GUIDE_SOURCE, SEP, Knowledge
from assistant.training.models import Citation, Question, Support
from assistant.training.qbuild import choice, rng_for
from assistant.training.topics import CLAUSE_TOPIC, Catalogue

_NUMBERING = re.compile(r"^(?:[（(][一二三四五六七八九十]+[）)]|\d+\.|[a-z]\))\s*")
_PDCA_EN = {"P": "Plan", "D": "Do", "C": "Check", "A": "Act"}
_TARGET = re.compile(r"^(?P<name>.+?)\s*(?P<value>≥?\d+%)$")
_TABLE_SECTION = "三、小微企业质量管理体系建设方法步骤 > （六）生产过程控制 > 2. 过程设计"
_VALUES = ["100%", "≥96%", "≥98%", "≥90%", "≥95%"]


def heading_name(section: str) -> str:
    return _NUMBERING.sub("", section.split(SEP)[-1]).strip()


def special_questions(knowledge: Knowledge, catalogue: Catalogue) -> Iterator[Question]:
    lists = knowledge.lists
    if "monitoring_levels" in lists:
        yield from _monitoring(knowledge, catalogue, lists["monitoring_levels"])
    if "training_levels" in lists:
        yield from _training(knowledge, catalogue, lists["training_levels"])
    if "pdca_chapters" in lists:
        yield from _pdca(knowledge, catalogue, lists["pdca_chapters"])
    for data in lists.values():
        yield from _headings(knowledge, catalogue, data)
    yield from _formulas(knowledge)


def _cite(knowledge: Knowledge, section: str, needles: list[str], clause: str) -> Citation | None:
    passage = knowledge.guide.find_passage(section, needles)
    if passage is None:
        return None
    return Citation(section=passage.section, clause=clause, text=passage.text, source=GUIDE_SOURCE)


def _monitoring(knowledge: Knowledge, catalogue: Catalogue, data: dict) -> Iterator[Question]:
    levels = [str(i["name"]) for i in data["items"]]
    for item in data["items"]:
        pairing = f"{item['name']}（{item['detail']}"
        citation = _cite(knowledge, data["section"], [pairing], str((item.get("clauses") or [""])[0]))
        if citation is None:
            continue
        topics = catalogue.for_list("monitoring_levels", str(item.get("section", "")))
        for term in str(item["detail"]).removesuffix("等").split("、"):
            yield choice(
                f"按指南，“{term}”属于监视和测量活动的哪个层面？",
                [item["name"]],
                [lv for lv in levels if lv != item["name"]],
                topics=topics,
                citation=citation,
                explanation=f"指南把监视和测量活动分为三个层面，其中{item['name']}包括{item['detail']}。",
                support=Support(present=[pairing, term]),
                difficulty=1,
            )


def _training(knowledge: Knowledge, catalogue: Catalogue, data: dict) -> Iterator[Question]:
    items = data["items"]
    topics = catalogue.for_list("training_levels")
    clause = str((data.get("clauses") or [""])[0])
    for item in items:
        audience, content = str(item["audience"]), str(item["content"])
        citation = _cite(knowledge, data["section"], [audience, content], clause)
        if citation is None:
            continue
        other_contents = [str(i["content"]) for i in items if i is not item]
        other_audiences = [str(i["audience"]) for i in items if i is not item]
        yield choice(
            f"按指南分层次培训的建议，对“{audience}”的质量管理知识培训以什么内容为主？",
            [content],
            other_contents,
            topics=topics,
            citation=citation,
            difficulty=2,
            explanation=f"指南建议针对不同岗位分层次培训：对{audience}以{content}为主。",
            support=Support(present=[audience, content], absent=other_contents),
        )
        yield choice(
            f"按指南分层次培训的建议，以“{content}”为主要培训内容的对象是？",
            [audience],
            other_audiences,
            topics=topics,
            citation=citation,
            difficulty=2,
            explanation=f"指南建议：对{audience}以{content}为主。",
            support=Support(present=[audience, content], absent=other_audiences),
        )


def _pdca(knowledge: Knowledge, catalogue: Catalogue, data: dict) -> Iterator[Question]:
    options = {str(i["phase"]): f"{i['name']}（{_PDCA_EN[str(i['phase'])]}）" for i in data["items"]}
    topics = [*catalogue.for_list("pdca_chapters"), CLAUSE_TOPIC]
    for item in data["items"]:
        correct = options[str(item["phase"])]
        citation = _cite(knowledge, data["section"], [str(item["detail"]), correct], "4.4")
        if citation is None:
            continue
        for chapter in item.get("chapters", []):
            title = knowledge.clauses.get(str(chapter), {}).get("title_zh", "")
            yield choice(
                f"按指南的说明，ISO 9001 标准第 {chapter} 章（{title}）属于 PDCA 循环的哪个阶段？",
                [correct],
                [o for o in options.values() if o != correct],
                topics=topics,
                citation=citation,
                explanation=f"指南指出：{item['detail']}；PDCA 分为策划、实施、检查和处置四个阶段。",
                support=Support(present=[f"第 {chapter} 章（{title}）", str(item["detail"]), correct]),
                difficulty=2,
            )


def _mask(text: str, name: str) -> str:
    """Hide the answer's words in the quoted passage, so the stem does not give it away."""
    parts = sorted({name, *re.split(r"[和、]", name)}, key=len, reverse=True)
    for part in parts:
        if len(part) >= 2:
            text = text.replace(part, "（  ）")
    return text


def _headings(knowledge: Knowledge, catalogue: Catalogue, data: dict) -> Iterator[Question]:
    """ "Which item is this?" for lists whose items each have their own guide section and a quoted detail."""
    items = [
        i
        for i in data.get("items", [])
        if i.get("detail") and i.get("section") and heading_name(str(i["section"])) == str(i["name"])
    ]
    if len(items) < 3:
        return
    names = [str(i["name"]) for i in data["items"]]
    phrase = catalogue.phrase(str(data["id"]))
    rng = rng_for(str(data["id"]), "headings")
    for item in items:
        name, detail = str(item["name"]), str(item["detail"])
        citation = _cite(
            knowledge,
            str(item["section"]),
            [detail],
            str((item.get("clauses") or data.get("clauses") or [""])[0]),
        )
        if citation is None or citation.section != item["section"]:
            continue
        others = rng.sample([n for n in names if n != name], min(3, len(names) - 1))
        yield choice(
            f"下面这段指南原文出自{phrase}中的哪一项？“{_mask(detail, name)}”",
            [name],
            others,
            topics=catalogue.for_list(str(data["id"]), str(item["section"])),
            citation=citation,
            explanation=f"这段话出自指南“{citation.section}”一节，讲的是“{name}”。",
            support=Support(present=[detail], derived="section_heading"),
            difficulty=2,
        )


def table_targets(knowledge: Knowledge) -> list[tuple[str, str, str, str]]:
    """(name, value, formula, row text) of the process objectives in table 3-1."""
    out = []
    for line in knowledge.guide.section_text(_TABLE_SECTION).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        for i, cell in enumerate(cells[:-1]):
            match = _TARGET.match(cell)
            if match and "×100%" in cells[i + 1]:
                out.append((match["name"], match["value"], cells[i + 1], f"{cell} | {cells[i + 1]}"))
    return out


def _formulas(knowledge: Knowledge) -> Iterator[Question]:
    targets = table_targets(knowledge)
    formulas = [t[2] for t in targets]
    for name, value, formula, row in targets:
        citation = Citation(section=_TABLE_SECTION, clause="9.1.1", text=row, source=GUIDE_SOURCE)
        top, _, rest = formula.partition("÷")
        inverted = f"{rest.removesuffix('×100%')}÷{top}×100%"
        wrong = [f for f in formulas if f != formula] + [inverted]
        topics = ["监视和测量", "质量方针和目标", "生产过程控制"]
        yield choice(
            f"按指南表 3-1《过程识别卡》示例，“{name}”的计算公式是？",
            [formula],
            wrong[:3],
            topics=topics,
            citation=citation,
            difficulty=2,
            explanation=f"表 3-1 的过程目标中，{name}（目标 {value}）按“{formula}”计算，按月统计。",
            support=Support(present=[name, formula], absent=wrong[:3]),
        )
        values = [v for v in _VALUES if v != value][:3]
        yield choice(
            f"按指南表 3-1《过程识别卡》示例，“{name}”的目标值是？",
            [value],
            values,
            topics=["质量方针和目标", "生产过程控制"],
            citation=citation,
            difficulty=2,
            explanation=f"表 3-1 示例中，{name}的目标为 {value}，计算公式为“{formula}”。",
            support=Support(present=[f"{name} {value}"]),
        )
