"""The question bank: every template question made from the structured knowledge, without an LLM.

Sources: role scenarios (gen_scenarios, corpus/catalogue/scenarios.yaml), the hand-written questions in
corpus/catalogue/quiz_extra.yaml, the guide's lists (gen_lists), paired facts and table 3-1 (gen_special) and
clause summaries (gen_clauses). Memory items (clause numbers, headings, step order, 保持/保留) go to the opt-in
topic 条款知识（内审员） only. Questions are
de-duplicated by their normalised text and tagged with the roles whose topics and difficulty they fit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from assistant.training.gen_clauses import ClauseQuestions
from assistant.training.gen_lists import list_questions
from assistant.training.gen_scenarios import ScenarioQuestions
from assistant.training.gen_special import special_questions
from assistant.training.knowledge import CLAUSES_SOURCE, GUIDE_SOURCE, Knowledge, load_knowledge
from assistant.training.models import Citation, Question, Support, normalise
from assistant.training.qbuild import choice, judge, short
from assistant.training.topics import CLAUSE_TOPIC, Catalogue


class QuestionBank:
    def __init__(self, knowledge: Knowledge, questions: Iterable[Question] = ()) -> None:
        self.knowledge = knowledge
        self.catalogue = Catalogue(knowledge)
        self.questions: list[Question] = []
        self._seen: set[str] = set()
        self.add(questions)

    @classmethod
    def build(cls, corpus_dir: Path) -> QuestionBank:
        knowledge = load_knowledge(Path(corpus_dir))
        bank = cls(knowledge)
        bank.add(ScenarioQuestions(knowledge, bank.catalogue).all())
        bank.add(curated_questions(knowledge))
        bank.add(special_questions(knowledge, bank.catalogue))
        bank.add(list_questions(knowledge, bank.catalogue))
        bank.add(ClauseQuestions(knowledge, bank.catalogue).all())
        return bank

    def add(self, questions: Iterable[Question]) -> list[Question]:
        """Add new questions (same normalised stem = duplicate, skipped); returns those added."""
        added = []
        for q in questions:
            key = normalise(q.question)
            if key in self._seen:
                continue
            self._seen.add(key)
            if q.trivia or CLAUSE_TOPIC in q.topics:
                # Memory items (and chapter-number items the generators tag so) live only in the opt-in topic:
                # no staff quiz and no other topic draws them.
                q.topics, q.roles = [CLAUSE_TOPIC], []
            elif not q.roles:
                q.roles = self.catalogue.roles_for(q.topics, q.difficulty)
            self.questions.append(q)
            added.append(q)
        return added

    def select(self, topic: str | None = None, role: str | None = None) -> list[Question]:
        """Questions of a topic (main or secondary; loose names resolve) and/or fit for a role (or its alias)."""
        topic = self.catalogue.check_topic(topic)
        found = self.catalogue.role(role)
        name = found.name if found else None
        return [q for q in self.questions if (topic is None or topic in q.topics) and (name is None or name in q.roles)]

    def get(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def stats(self) -> dict[str, int]:
        """Questions per topic (a question counts under each of its topics), in catalogue order."""
        counts = Counter(t for q in self.questions for t in q.topics)
        return {name: counts[name] for name in self.catalogue.topic_names() if counts[name]}

    def type_stats(self) -> dict[str, int]:
        return dict(Counter(q.type for q in self.questions))

    def __len__(self) -> int:
        return len(self.questions)


@lru_cache(maxsize=4)
def default_bank(corpus_dir: Path) -> QuestionBank:
    """One template bank per corpus directory per process (building it takes well under a second)."""
    return QuestionBank.build(corpus_dir)


def curated_questions(knowledge: Knowledge) -> Iterator[Question]:
    """The hand-written questions of quiz_extra.yaml, with their citations resolved."""
    for raw in knowledge.curated:
        clause = str(raw.get("clause", ""))
        if raw.get("source") == "clauses":
            citation = Citation(
                section=knowledge.clause_section(clause),
                clause=clause,
                text=raw["passage"],
                source=CLAUSES_SOURCE,
            )
        else:
            citation = Citation(section=raw["section"], clause=clause, text=raw["passage"], source=GUIDE_SOURCE)
        common = {
            "topics": list(raw["topics"]),
            "explanation": raw["explanation"],
            "citation": citation,
            "difficulty": int(raw.get("difficulty", 2)),
            "origin": "curated",
        }
        support = Support(present=list(raw.get("present", [])), absent=list(raw.get("absent", [])))
        kind = raw["type"]
        if kind == "true_false":
            yield judge(raw["question"], bool(raw["is_true"]), support=support, **common)
        elif kind == "short":
            yield short(raw["question"], list(raw["key_points"]), **common)
        else:
            correct = [str(c) for c in raw["correct"]]
            wrong = [str(o) for o in raw["options"] if str(o) not in correct]
            yield choice(raw["question"], correct, wrong, support=support, multiple=kind == "multiple", **common)
