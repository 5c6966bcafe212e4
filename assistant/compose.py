"""Intent-shaped extractive answers: the first sentence answers the literal question, from structured knowledge.

No LLM. The opener comes from the concept model and the clause data (a verdict with its basis, the whole list,
the documented information, who, how often, a scenario's judgement); guide sentences chosen by `extract` follow
as the "how". Every line is either a quotation of a cited passage or a committed own-words statement of the
concept model, and cites the passage it rests on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from langchain_core.documents import Document

from assistant.extractive import extract
from assistant.subject import close_second, finding_clause, main_clause
from assistant.understanding import Analysis, Concept, ConceptModel
from assistant.understanding.analyse import (
    asks_as_an_exam,
    scenario_notes,
    states_a_claim,
    went_wrong,
    without_last_part,
)
from assistant.understanding.text import sentences
from ingest.chunking import SUMMARY_KINDS, under_section

Passages = Callable[[Callable[[Document], bool]], list[Document]]
_DOC_INFO = {
    "maintain": "要形成文件并保持",
    "retain": "要保留记录",
    "maintain+retain": "要形成文件并保持，同时保留记录",
}
_QUESTION_TAIL = re.compile(
    r"[^。；！？?，,]*(是否符合|符合.{0,12}吗|涉及哪|属于哪|违反哪|哪[一个]?(?:条|项)|怎么判定|如何判定|算不算|这种说法对吗)"
    r"[^。；！？?，,]*[。；！？?]?"
)


@dataclass
class Part:
    """One line of an answer and the passage it rests on."""

    text: str
    doc: Document | None = None
    item: bool = False
    basis: bool = False  # the "依据：" line: shown after the explanation that rests on it


class Composer:
    """Builds the parts of an answer for one analysed question."""

    def __init__(self, concepts: ConceptModel, passages: Passages, tie_margin: float, lead_margin: float) -> None:
        self.concepts = concepts
        self.passages = passages
        self.tie_margin = tie_margin  # see Settings.finding_tie_margin
        self.lead_margin = lead_margin  # see Settings.clause_lead_margin

    # ---- structured knowledge as citable passages -----------------------------------------------------
    def clause_doc(self, number: str) -> Document | None:
        docs = self.passages(lambda d: d.metadata.get("kind") == "clause" and d.metadata.get("clauses") == number)
        return docs[0] if docs else None

    def clause(self, number: str) -> Concept | None:
        key = f"clause.{number}"
        return self.concepts.get(key) if key in self.concepts else None

    def requirement(self, number: str, n: int = 1) -> Part | None:
        """ "ISO 9001 9.2（内部审核）要求：…" — the first sentences of the clause's own-words summary."""
        clause, doc = self.clause(number), self.clause_doc(number)
        if clause is None or doc is None:
            return None
        summary = "".join(sentences(clause.description, semicolons=False)[:n])
        return Part(f"ISO 9001 {number}（{clause.extra['title']}）：{summary}", doc)

    def list_doc(self, concept: Concept) -> Document | None:
        """The guide passage that holds the list, so the whole list is cited where it stands."""
        items = concept.extra.get("items") or []
        first = str(items[0].get("name", "")) if items else ""
        docs = self.passages(
            lambda d: (
                d.metadata.get("kind") == "guide"
                and any(str(d.metadata.get("section", "")).startswith(s) for s in concept.sections)
                and first[:6] in d.page_content
            )
        )
        return docs[0] if docs else None

    # ---- openers by intent -----------------------------------------------------------------------------
    def named_topic(self, a: Analysis) -> Concept | None:
        """The subject concept named in words. One found only by meaning is a hint for retrieval, not firm
        enough to shape the answer around."""
        named = [c for c in a.concepts if c.id not in a.by_meaning]
        # "应当保留什么成文信息": the records a records question asks for are not its subject when another is named.
        asked = [c for c in named if a.intent in c.extra.get("intent_words", ())]
        subjects = [c for c in named if c not in asked] or asked
        topic = next((c for c in subjects if not c.extra.get("generic")), None)
        return topic or next(iter(subjects), None)

    def subject(
        self, a: Analysis, ranked: tuple[str, ...] = (), scores: tuple[float, ...] = ()
    ) -> tuple[Concept | None, str]:
        """The concept an answer is about and the clause it rests on."""
        topic = self.named_topic(a)
        generic_only = topic is not None and bool(topic.extra.get("generic"))
        clear_lead = len(scores) > 1 and scores[0] - scores[1] >= self.lead_margin
        judged = a.intent in {"scenario", "yes_no", "records", "definition"} or a.judges_a_finding
        if (topic is None or generic_only) and ranked and (judged or clear_lead):
            # No concept named the subject in words the model knows ("体系发生变更时…" names only 体系): the clause
            # summary the question came closest to (dense + BM25) stands in for it, so a judgement or a verdict
            # still rests on a clause; for other questions only when that summary is clearly the closest.
            topic = self.clause(ranked[0])
        if topic is None:
            return None, ""
        return topic, finding_clause(topic, ranked) if a.judges_a_finding else main_clause(topic, ranked)

    def opener(self, a: Analysis, ranked: tuple[str, ...] = (), scores: tuple[float, ...] = ()) -> list[Part]:
        """The structured first lines; `ranked` are clause summaries by closeness to the question (retrieval),
        `scores` their retrieval scores."""
        named = self.named_topic(a)
        if a.clauses and (named is None or a.intent in {"general", "definition"}):
            return self.clause_overview(a.clauses[0])
        topic, main = self.subject(a, ranked, scores)
        if topic is None:
            return []
        if topic.extra.get("generic") and a.intent != "yes_no":
            return []  # "指南" or "体系" as the subject: the guide's own words answer better
        handler = {
            "scenario": self.scenario,
            "yes_no": self.yes_no,
            "comparison": self.compare,
            "count": self.whole_list,
            "list": self.whole_list,
            "records": self.records,
            "frequency": self.frequency,
            "who": self.who,
            "definition": self.definition,
        }.get(a.intent)
        parts = handler(a, topic, main) if handler else []
        if not parts and main:
            # A "how" also gets the summary's usual practice ("常见做法是建设备台账…"): the guide may say little.
            part = self.requirement(main, n=2 if a.intent == "how" else 1)
            parts = [part] if part else []
        if main and not any(p.doc is not None and p.doc.metadata.get("kind") == "clause" for p in parts):
            # Name the clause the answer rests on, even when the opener quotes the guide (a list).
            clause, doc = self.clause(main), self.clause_doc(main)
            if clause is not None and doc is not None:
                parts.append(Part(f"依据：ISO 9001 {main}（{clause.extra['title']}）", doc, basis=True))
        second = close_second(main, ranked, scores, self.tie_margin) if a.judges_a_finding and parts else ""
        if second:
            return parts + self.related(second, "也可能涉及")
        return parts + self.also(a, topic, main, ranked)

    def related(self, number: str, lead: str) -> list[Part]:
        """One line naming another clause the answer touches, with the first sentence of its summary."""
        clause, doc = self.clause(number), self.clause_doc(number)
        if clause is None or doc is None:
            return []
        summary = sentences(clause.description, semicolons=False)[0]
        return [Part(f"{lead} ISO 9001 {number}（{clause.extra['title']}）：{summary}", doc, basis=True)]

    def also(self, a: Analysis, topic: Concept, main: str, ranked: tuple[str, ...]) -> list[Part]:
        """A second topic of the question, when both witnesses agree it matters: the words name it and its
        clause summary is among the three the question came closest to ("供应商…培训记录" touches 7.2 too)."""
        others = [c for c in a.concepts if c is not topic and not c.extra.get("generic") and c.id not in a.by_meaning]
        if not others or not main:
            return []
        second = main_clause(others[0], ranked)
        related = second.startswith(main + ".") or main.startswith(second + ".") or second == main
        if not second or related or second not in ranked[:3]:
            return []
        return self.related(second, "另涉及")

    def clause_overview(self, number: str) -> list[Part]:
        part = self.requirement(number, n=2)
        if part is None:
            return []
        children = [c for c in self.concepts.of_kind("clause") if str(c.extra.get("parent")) == number]
        out = [part]
        if children:
            out.append(Part(f"{number} 包括 {len(children)} 个子条款：", part.doc))
            out += [Part(f"{c.name}", self.clause_doc(str(c.extra["number"])), item=True) for c in children]
        return out

    def scenario(self, a: Analysis, topic: Concept, main: str) -> list[Part]:
        clause, doc = self.clause(main), self.clause_doc(main)
        if clause is None or doc is None:
            return []
        facts = self._facts(a)
        # "……。主要问题是：" or "违反了哪一条？" takes the fault as given, even when the telling has no cue word.
        presumed = any(re.search(p, a.told or a.question) for p in scenario_notes(self.concepts).get("presumes", []))
        problem = presumed or went_wrong(facts, self.concepts)
        title = clause.extra["title"]
        verdict = "不符合" if problem else "未见不符合（前提是实际做法满足下面的要求）"
        parts = [Part(f"判定：{verdict}，涉及 ISO 9001 {main}（{title}）。", doc)]
        parts.append(Part("要求：" + "".join(sentences(clause.description, semicolons=False)[:2]), doc))
        if problem:
            facts = facts if len(facts) <= 90 else facts[:88] + "……"
            parts.append(Part(f"建议的不符合项描述：{facts}，不符合 ISO 9001 {main}“{title}”的要求。"))
            generic = scenario_notes(self.concepts)
            parts.append(Part("纠正：" + str(topic.extra.get("correction") or generic.get("correction", ""))))
            parts.append(
                Part("纠正措施：" + str(topic.extra.get("corrective_action") or generic.get("corrective_action", "")))
            )
        return parts

    def _facts(self, a: Analysis) -> str:
        """What the question tells, without the question it then asks ("……属于哪一条？", "主要问题是：")."""
        told = a.told or a.question
        facts = _QUESTION_TAIL.sub("", told).strip(" ，。；")
        if asks_as_an_exam(facts, self.concepts):
            facts = without_last_part(facts.rstrip(" ：:？?")).strip(" ，。；")
        return facts or a.question

    def fact(self, a: Analysis, main: str) -> Part | None:
        """A committed own-words fact whose cue words the question uses: the subject's first, then the others'."""
        for concept in a.concepts:
            for fact in concept.extra.get("facts") or []:
                if any(cue in a.question for cue in fact.get("cue", [])):
                    basis = concept.clauses[0] if concept.clauses else main
                    return Part(f"**{fact['verdict']}**{fact['text']}", self.clause_doc(basis) if basis else None)
        return None

    def yes_no(self, a: Analysis, topic: Concept, main: str) -> list[Part]:
        fact = self.fact(a, main)
        if fact is not None:
            return [fact]
        if re.search(r"(记录|形成文件|文件化|写下来)", a.question):
            return self.records(a, topic, main)
        part = self.requirement(main) if main else None
        if part is None:
            return []
        if states_a_claim(a.question, self.concepts):
            # "……不需要评审，只要通知即可。这种说法对吗？": a claim that asks less than the clause requires is wrong.
            understated = any(re.search(p, a.question) for p in scenario_notes(self.concepts).get("understates", []))
            lead = "**不对。**标准要求：" if understated else "**要对照 ISO 9001 的要求来看：**"
        elif re.search(r"(要|需要|必须|应该|一定)", a.question):
            lead = "**需要。**"
        else:
            lead = "**要看是否满足 ISO 9001 的要求：**"
        return [Part(lead + part.text, part.doc)]

    def compare(self, a: Analysis, topic: Concept, main: str) -> list[Part]:
        """A comparison the concept model states as a fact ("纠正和纠正措施的区别")."""
        fact = self.fact(a, main)
        return [fact] if fact is not None else []

    def whole_list(self, a: Analysis, topic: Concept, main: str) -> list[Part]:
        list_id = topic.extra.get("list")
        key = f"list.{list_id}"
        if not list_id or key not in self.concepts:
            return []
        concept = self.concepts.get(key)
        items = concept.extra.get("items") or []
        doc = self.list_doc(concept)
        if not items or doc is None:
            return []
        head = f"共 {len(items)} 项" if a.intent == "count" or concept.extra.get("ordered") else concept.name
        parts = [Part(f"{head}（{concept.name}）：" if head != concept.name else f"{concept.name}：", doc)]
        for i, item in enumerate(items, 1):
            name = str(item.get("name", ""))
            number = f"{i}. " if concept.extra.get("ordered") else ""
            parts.append(Part(f"{number}{name}", doc, item=True))
        return parts

    def records(self, a: Analysis, topic: Concept, main: str) -> list[Part]:
        parts = []
        for number in topic.clauses:
            clause, doc = self.clause(number), self.clause_doc(number)
            if clause is None or doc is None:
                continue
            kind = str(clause.extra.get("documented_information", "none"))
            note = str(clause.extra.get("documented_information_note") or "")
            if kind != "none" and not note.startswith("汇总子条款"):
                parts.append(Part(f"ISO 9001 {number}（{clause.extra['title']}）{_DOC_INFO[kind]}：{note}。", doc))
        if parts:
            return parts[:3]
        doc = self.clause_doc(main) if main else None
        return [
            Part(
                f"ISO 9001 对“{topic.name}”没有点名要求形成文件；按 4.4.2，企业在必要范围内保持支持过程运行的文件，"
                "并保留证明过程按计划运行的记录。",
                doc or self.clause_doc("4.4.2"),
            )
        ]

    def frequency(self, a: Analysis, topic: Concept, main: str) -> list[Part]:
        text = (
            topic.extra.get("frequency")
            or "标准和指南都没有规定具体频次，按企业自己策划的时间间隔进行，并根据风险和以往结果调整。"
        )
        return [Part(str(text), self.clause_doc(main) if main else None)]

    def who(self, a: Analysis, topic: Concept, main: str) -> list[Part]:
        text = topic.extra.get("who")
        return [Part(str(text), self.clause_doc(main) if main else None)] if text else []

    def definition(self, a: Analysis, topic: Concept, main: str) -> list[Part]:
        if not topic.description:
            return []
        doc = self.clause_doc(main) if main else None
        return [Part(f"{topic.name}：{topic.description}", doc)]


def guide_parts(question: str, docs: list[Document], a: Analysis, *, max_chars: int, max_chunks: int) -> list[Part]:
    """Guide (and company) sentences that explain how, chosen by `extract`, in reading order per passage."""
    how = [d for d in docs if d.metadata.get("kind") not in SUMMARY_KINDS]
    if not how:
        return []
    out: list[Part] = []
    # Table rows belong to their table (表 3-1): quoted when the subject's own section holds it.
    own_sections = {s for c in a.concepts for s in c.sections}
    for group in extract(question, how, max_chars=max_chars, max_chunks=max_chunks, expanded=a.search_query):
        doc = how[group[0].chunk]
        section = str(doc.metadata.get("section", ""))
        in_own = under_section(section, own_sections)
        if not in_own or a.intent == "definition":
            group = [u for u in group if not u.is_row]
        items = [u for u in group if u.is_item]
        for unit in group:
            if not unit.is_item and unit.text.endswith(("：", ":")) and not items:
                continue  # a list introduction without its items says nothing
            out.append(Part(unit.text, doc, item=unit.is_item))
    return out
