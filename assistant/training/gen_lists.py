"""Questions from the guide's lists (corpus/catalogue/guide_lists.yaml), cited to the sentence naming them.

Templates: which one belongs / does not belong, select all that belong, true/false statements (as many true as
false per list), the n-th step of
an ordered list, the step after a given one, and "list them" short answers. Distractors come from the
hand-picked pools in quiz_topics.yaml and are dropped when they occur in the cited passage or overlap an item,
so no wrong option is secretly right.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.training.knowledge import GUIDE_SOURCE, Knowledge
from assistant.training.models import Citation, Question, Support, normalise
from assistant.training.qbuild import choice, enumerate_cn, judge, rng_for, short
from assistant.training.topics import Catalogue

# Lists whose facts are asked by gen_special instead: their item names are not "members" in the usual sense.
SPECIAL = {"monitoring_levels", "training_levels", "pdca_chapters"}
MAX_FALSE_STATEMENTS = 4


class ListContext:
    """One list with its cited passage, topics and the distractors that are safe to use with it."""

    def __init__(self, knowledge: Knowledge, catalogue: Catalogue, data: dict) -> None:
        self.id = str(data["id"])
        self.data = data
        self.items = [str(i["name"]) for i in data.get("items", [])]
        self.phrase = catalogue.phrase(self.id)
        # For explanations that already start with "指南列出的".
        self.named = re.sub(r"^指南(?:所列|所述|所举|举例的)", "", self.phrase)
        self.ordered = bool(data.get("ordered"))
        self.topics = catalogue.for_list(self.id)
        passage = knowledge.guide.find_passage(str(data["section"]), self.items)
        self.citation = (
            Citation(
                section=passage.section,
                clause=_first(data.get("clauses")),
                text=passage.text,
                source=GUIDE_SOURCE,
            )
            if passage
            else None
        )
        self.distractors = [d for d in catalogue.distractors.get(self.id, []) if self._safe(d)]

    def _safe(self, distractor: str) -> bool:
        if self.citation is None:
            return False
        d = normalise(distractor)
        passage = normalise(self.citation.text)
        overlaps = any(normalise(i) in d or d in normalise(i) for i in self.items)
        return bool(d) and d not in passage and not overlaps

    def listing(self) -> str:
        return "、".join(self.items)

    @property
    def stepwise(self) -> bool:
        return self.ordered and self.id.endswith("steps")


def _first(values: object) -> str:
    return str(values[0]) if isinstance(values, list) and values else ""


def list_questions(knowledge: Knowledge, catalogue: Catalogue) -> Iterator[Question]:
    for data in knowledge.lists.values():
        if str(data["id"]) in SPECIAL:
            continue
        ctx = ListContext(knowledge, catalogue, data)
        if ctx.citation is None or not ctx.topics or len(ctx.items) < 2:
            continue
        yield from _membership(ctx)
        yield from _statements(ctx)
        if ctx.ordered:
            yield from _order(ctx)
        if 3 <= len(ctx.items) <= 12:
            yield _listing(ctx)


def _membership(ctx: ListContext) -> Iterator[Question]:
    rng = rng_for(ctx.id, "membership")
    base = {"topics": ctx.topics, "citation": ctx.citation}
    pool = list(ctx.distractors)
    rng.shuffle(pool)
    if len(pool) >= 3:
        correct = rng.choice(ctx.items)
        yield choice(
            f"以下哪一项属于{ctx.phrase}？",
            [correct],
            pool[:3],
            explanation=f"指南列出的{ctx.named}是：{ctx.listing()}。“{correct}”属于其中，其余选项不在此列。",
            support=Support(present=[correct], absent=pool[:3]),
            difficulty=1,
            **base,
        )
    if len(ctx.items) >= 3 and pool:
        members = rng.sample(ctx.items, 3)
        yield choice(
            f"以下哪一项不属于{ctx.phrase}？",
            [pool[0]],
            members,
            explanation=f"指南列出的{ctx.named}是：{ctx.listing()}，其中没有“{pool[0]}”。",
            support=Support(present=members, absent=[pool[0]]),
            difficulty=2,
            **base,
        )
    if len(ctx.items) >= 3 and len(pool) >= 2:
        correct = rng.sample(ctx.items, 3 if rng.random() < 0.5 else 2)
        wrong = pool[: 4 - len(correct)]
        yield choice(
            f"以下哪些属于{ctx.phrase}？（多选）",
            correct,
            wrong,
            multiple=True,
            explanation=f"指南列出的{ctx.named}是：{ctx.listing()}。{enumerate_cn(wrong)}不在其中。",
            support=Support(present=correct, absent=wrong),
            difficulty=2,
            **base,
        )


def _statements(ctx: ListContext) -> Iterator[Question]:
    """As many true statements as false ones (each list balanced), so always answering 正确 scores half."""
    rng = rng_for(ctx.id, "statements")
    falses = ctx.distractors[:MAX_FALSE_STATEMENTS]
    count = min(len(ctx.items), max(len(falses), 1))
    for item in rng.sample(ctx.items, count):
        yield judge(
            f"“{item}”是{ctx.phrase}之一。",
            True,
            topics=ctx.topics,
            citation=ctx.citation,
            explanation=f"正确。指南列出的{ctx.named}包括“{item}”。",
            support=Support(present=[item]),
        )
    for wrong in falses:
        yield judge(
            f"“{wrong}”是{ctx.phrase}之一。",
            False,
            topics=ctx.topics,
            citation=ctx.citation,
            explanation=f"错误。指南列出的{ctx.named}是：{ctx.listing()}，不包括“{wrong}”。",
            support=Support(present=ctx.items, absent=[wrong]),
        )


def _order(ctx: ListContext) -> Iterator[Question]:
    rng = rng_for(ctx.id, "order")
    unit = "步" if ctx.stepwise else "项"
    support = {"present": ctx.items, "ordered": True}
    for n, item in enumerate(ctx.items):
        others = rng.sample([i for i in ctx.items if i != item], min(3, len(ctx.items) - 1))
        yield choice(
            f"按指南的顺序，{ctx.named}中的第 {n + 1} {unit}是？",
            [item],
            others,
            topics=ctx.topics,
            citation=ctx.citation,
            support=Support(index=n, **support),
            explanation=f"指南给出的{ctx.named}依次是：{ctx.listing()}。第 {n + 1} {unit}是“{item}”。",
        )
        if ctx.stepwise and n + 1 < len(ctx.items):
            nxt = ctx.items[n + 1]
            others = rng.sample([i for i in ctx.items if i not in (item, nxt)], min(3, len(ctx.items) - 2))
            yield choice(
                f"{ctx.phrase}中，“{item}”的下一步是？",
                [nxt],
                others,
                topics=ctx.topics,
                citation=ctx.citation,
                support=Support(index=n + 1, **support),
                explanation=f"指南给出的{ctx.named}依次是：{ctx.listing()}。“{item}”之后是“{nxt}”。",
                difficulty=3,
            )


def _listing(ctx: ListContext) -> Question:
    stem = f"简述{ctx.phrase}（按顺序）。" if ctx.stepwise else f"请列举{ctx.phrase}。"
    question = short(
        stem,
        ctx.items,
        topics=ctx.topics,
        citation=ctx.citation,
        explanation=f"要点：{ctx.listing()}。" + ("注意先后顺序。" if ctx.ordered else ""),
    )
    if ctx.stepwise:
        question.support.ordered = True  # reciting steps in order is a memory item (条款知识)
    question.answer_form, question.contrast = "list", list(ctx.distractors)
    return question
