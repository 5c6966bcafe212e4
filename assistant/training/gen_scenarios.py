"""Role scenario items from corpus/catalogue/scenarios.yaml: what to do in a situation from the trainee's own work.

Each scenario rests on one ISO 9001 clause: its `basis` phrases occur verbatim in that clause's summary in
clauses.yaml, and the item cites the summary sentences that contain them (section + clause + text). Every
situation × role yields five items — single choice (what to do), true/false on a right action (正确) and on a
tempting wrong one (错误), multiple choice (which actions are right) and a short answer graded by key points —
so the bank's true/false items stay balanced and the distractors are the habits people really fall into.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property

from assistant.training.knowledge import CLAUSES_SOURCE, Knowledge
from assistant.training.models import Citation, Question, Support
from assistant.training.qbuild import choice, judge, rng_for
from assistant.training.topics import Catalogue
from assistant.understanding.text import sentences


class Scenario:
    def __init__(self, data: dict) -> None:
        self.id = str(data["id"])
        self.clause = str(data["clause"])
        self.basis = [str(b) for b in data["basis"]]
        self.topics = [str(t) for t in data["topics"]]
        self.ask = str(data["ask"])
        self.right = [str(r) for r in data["right"]]
        self.wrong = [str(w) for w in data["wrong"]]
        self.points = [str(p) for p in data["points"]]
        self.why = str(data["why"])
        self.situations = {str(role): str(text) for role, text in data["situations"].items()}


def load_scenarios(knowledge: Knowledge) -> list[Scenario]:
    return [Scenario(s) for s in knowledge.scenarios]


def basis_passage(summary: str, basis: list[str]) -> str | None:
    """The shortest run of consecutive summary sentences containing every basis phrase (verbatim)."""
    parts = sentences(summary, semicolons=False)
    best: str | None = None
    for i in range(len(parts)):
        for j in range(i, len(parts)):
            text = "".join(parts[i : j + 1])
            if all(b in text for b in basis):
                if text in summary and (best is None or len(text) < len(best)):
                    best = text
                break
    return best


class ScenarioQuestions:
    def __init__(self, knowledge: Knowledge, catalogue: Catalogue) -> None:
        self.k = knowledge
        self.catalogue = catalogue

    @cached_property
    def role_names(self) -> dict[str, str]:
        """Situation keys (role names or aliases) → the role's name in the concept model."""
        out = {}
        for scenario in load_scenarios(self.k):
            for key in scenario.situations:
                role = self.catalogue.role(key)  # raises a Chinese error for a role the concept model lacks
                out[key] = role.name if role else key
        return out

    def all(self) -> Iterator[Question]:
        for scenario in load_scenarios(self.k):
            clause = self.k.clauses.get(scenario.clause)
            passage = basis_passage(str(clause.get("summary", "")), scenario.basis) if clause else None
            if passage is None:
                raise ValueError(f"scenarios.yaml {scenario.id}: basis not in the summary of {scenario.clause}")
            citation = Citation(
                section=self.k.clause_section(scenario.clause),
                clause=scenario.clause,
                text=passage,
                source=CLAUSES_SOURCE,
            )
            for key, situation in scenario.situations.items():
                yield from self._items(scenario, self.role_names[key], situation, citation)

    def _items(self, s: Scenario, role: str, situation: str, citation: Citation) -> Iterator[Question]:
        rng = rng_for(s.id, role)
        wrong = list(s.wrong)
        rng.shuffle(wrong)
        lead = f"（{role}）{situation}"
        support = Support(present=s.basis, derived="scenario")
        common = {"topics": s.topics, "citation": citation, "support": support}
        tagged = {"roles": [role], "scenario": s.id}
        yield choice(
            f"{lead}{s.ask}",
            [s.right[0]],
            wrong[:3],
            explanation=f"应当：{s.right[0]}。{s.why}",
            difficulty=1,
            **common,
        ).model_copy(update=tagged)
        yield judge(
            f"{lead}正确的做法是：{s.right[1]}。",
            True,
            explanation=f"正确。{s.why}",
            difficulty=1,
            **common,
        ).model_copy(update=tagged)
        yield judge(
            f"{lead}正确的做法是：{wrong[3]}。",
            False,
            explanation=f"错误。不能“{wrong[3]}”。应当：{s.right[0]}。{s.why}",
            difficulty=1,
            **common,
        ).model_copy(update=tagged)
        yield choice(
            f"{lead}下列做法中，哪些是对的？（多选）",
            s.right[:2],
            wrong[1:3] if rng.random() < 0.5 else wrong[:1],
            multiple=True,
            explanation=f"对的做法：{'；'.join(s.right[:2])}。{s.why}",
            difficulty=2,
            **common,
        ).model_copy(update=tagged)
        yield Question(
            type="short",
            topics=s.topics,
            question=f"{lead}{s.ask}请用自己的话写出要点，并说明理由。",
            answer=s.points,
            reference="；".join(s.points) + "。理由：" + s.why,
            explanation=s.why,
            citation=citation,
            support=support,
            difficulty=2,
            contrast=s.wrong,
            **tagged,
        )
