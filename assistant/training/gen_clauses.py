"""Questions from the clause summaries in corpus/iso9001/clauses.yaml (own-words summaries, cited as such).

Templates: which clause a summary sentence belongs to, clause title ↔ number, what documented information a
clause asks for (maintain = 保持文件, retain = 保留记录), and which quality-management principle a summary
sentence describes. Distractor clauses never contain or sit inside the answer clause.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from assistant.training.knowledge import CLAUSES_SOURCE, Knowledge
from assistant.training.models import Citation, Question, Support
from assistant.training.qbuild import choice, judge, rng_for
from assistant.training.topics import CLAUSE_TOPIC, Catalogue

_CLAUSE_REF = re.compile(r"\d+\.\d|第\d+章|[A-Za-z]{2,}")
DOC_INFO_OPTIONS = {
    "maintain": "保持成文信息（文件）",
    "retain": "保留成文信息（记录）",
    "maintain+retain": "既要保持文件，也要保留记录",
    "none": "没有明确的成文信息要求",
}
_VERB = {"maintain": "保持", "retain": "保留"}


def sentences(text: str, lo: int = 14, hi: int = 70) -> list[str]:
    """Self-contained sentences of a summary: no references to other clauses, not too short or long."""
    parts = [p.strip() + "。" for p in text.split("。") if p.strip()]
    return [p for p in parts if lo <= len(p) <= hi and not _CLAUSE_REF.search(p) and not p.startswith("分为")]


class ClauseQuestions:
    def __init__(self, knowledge: Knowledge, catalogue: Catalogue) -> None:
        self.k = knowledge
        self.catalogue = catalogue
        self.titles = Counter(str(c["title_zh"]) for c in knowledge.clauses.values())

    def all(self) -> Iterator[Question]:
        for number, clause in self.k.clauses.items():
            if "." not in number:
                continue  # chapters are asked through PDCA questions
            yield from self._which_clause(number, clause)
            yield from self._title_number(number, clause)
            yield from self._doc_info(number, clause)
        yield from self._principles()

    def _cite(self, number: str, text: str) -> Citation:
        return Citation(section=self.k.clause_section(number), clause=number, text=text, source=CLAUSES_SOURCE)

    def _topics(self, number: str, *extra: str) -> list[str]:
        return list(dict.fromkeys([*self.catalogue.for_clause(number), *extra])) or [CLAUSE_TOPIC]

    def _label(self, number: str) -> str:
        return f"{number} {self.k.clauses[number]['title_zh']}"

    def _distractor_clauses(self, number: str, count: int = 3, *, same_depth: bool = False) -> list[str]:
        """Siblings first, then cousins in the same chapter, then neighbouring chapters."""
        depth = number.count(".")
        rng = rng_for(number, "distractors")
        tiers: list[list[str]] = [[], [], []]
        for other in self.k.clauses:
            if self.k.related(number, other) or "." not in other or (same_depth and other.count(".") != depth):
                continue
            if self.k.clauses[other].get("parent") == self.k.clauses[number].get("parent"):
                tiers[0].append(other)
            elif other.split(".")[0] == number.split(".")[0]:
                tiers[1].append(other)
            else:
                tiers[2].append(other)
        picked: list[str] = []
        for tier in tiers:
            rng.shuffle(tier)
            picked += tier[: count - len(picked)]
        return picked

    def _which_clause(self, number: str, clause: dict) -> Iterator[Question]:
        summary = str(clause.get("summary", ""))
        for sentence in sentences(summary)[:2]:
            wrong = [self._label(n) for n in self._distractor_clauses(number)]
            yield choice(
                f"下面这句话（本项目对条款要点的概述）对应 ISO 9001:2015 的哪一条款？“{sentence}”",
                [self._label(number)],
                wrong,
                topics=self._topics(number),
                citation=self._cite(number, summary),
                explanation=f"这是 {self._label(number)} 的要点：{summary}",
                support=Support(present=[sentence], derived="clause_of_text"),
                difficulty=3,
            )

    def _title_number(self, number: str, clause: dict) -> Iterator[Question]:
        title = str(clause["title_zh"])
        if clause.get("title_official") is False or self.titles[title] > 1:
            return  # a title the standard does not give, or one shared by several clauses (总则)
        citation = self._cite(number, str(clause.get("summary", "")))
        others = self._distractor_clauses(number, same_depth=True)
        topics = self._topics(number, CLAUSE_TOPIC)
        yield choice(
            f"ISO 9001:2015 中，标题为“{title}”的条款是？",
            [number],
            others,
            topics=topics,
            citation=citation,
            explanation=f"ISO 9001:2015 {number} 的标题是“{title}”。",
            difficulty=2,
            support=Support(derived="clause_number"),
        )
        wrong = [str(self.k.clauses[o]["title_zh"]) for o in others]
        if len(set(wrong + [title])) == len(wrong) + 1:
            yield choice(
                f"ISO 9001:2015 条款 {number} 的标题是？",
                [title],
                wrong,
                topics=topics,
                citation=citation,
                explanation=f"ISO 9001:2015 {number} 的标题是“{title}”。",
                difficulty=2,
                support=Support(derived="clause_title"),
            )

    def _doc_info(self, number: str, clause: dict) -> Iterator[Question]:
        kind = str(clause.get("documented_information", "none"))
        note = str(clause.get("documented_information_note") or "")
        # Leaf clauses only, and only when the note itself says 保持 / 保留 as the field does.
        if kind == "none" or not note or note.startswith("汇总") or self.k.children(number):
            return
        needs = kind.split("+")
        if any(_VERB[n] not in note for n in needs) or any(_VERB[n] in note for n in _VERB if n not in needs):
            return
        citation = self._cite(number, note)
        topics = self._topics(number, "文件和记录")
        label = f"ISO 9001:2015 {number}“{clause['title_zh']}”"
        meaning = DOC_INFO_OPTIONS[kind]
        yield choice(
            f"{label}对成文信息的要求是？",
            [meaning],
            [v for k, v in DOC_INFO_OPTIONS.items() if k != kind],
            topics=topics,
            citation=citation,
            difficulty=3,
            support=Support(derived="doc_info"),
            explanation=f"{label}要求{meaning}：{note}。保持（maintain）指文件，保留（retain）指记录。",
        )
        for verb, noun in (("retain", "保留成文信息（记录）"), ("maintain", "保持成文信息（文件）")):
            true = verb in needs
            yield judge(
                f"{label}明确要求{noun}。",
                true,
                topics=topics,
                citation=citation,
                difficulty=3,
                support=Support(derived="doc_info"),
                explanation=f"{'正确' if true else '错误'}。该条款的要求是{meaning}：{note}。",
            )

    def _principles(self) -> Iterator[Question]:
        names = [str(p["name_zh"]) for p in self.k.principles]
        for principle in self.k.principles:
            name, summary = str(principle["name_zh"]), str(principle.get("summary", ""))
            citation = Citation(
                section=f"质量管理原则 > {name}",
                clause=",".join(principle.get("related_clauses", [])),
                text=summary,
                source=CLAUSES_SOURCE,
            )
            rng = rng_for(name, "principle")
            for sentence in sentences(summary, lo=10)[:2]:
                if any(n in sentence for n in names):
                    continue  # names the answer or another principle
                yield choice(
                    f"下面的说法体现的是哪一项质量管理原则？“{sentence}”",
                    [name],
                    rng.sample([n for n in names if n != name], 3),
                    topics=["质量管理原则"],
                    citation=citation,
                    explanation=f"这是“{name}”原则的要点：{summary}",
                    difficulty=2,
                    support=Support(present=[sentence], derived="principle_of_text"),
                )
