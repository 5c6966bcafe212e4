"""Training topics (corpus/catalogue/quiz_topics.yaml) and trainee roles (role concepts, corpus/concepts/roles.yaml).

A question gets its topics from its clause numbers, the guide list it comes from and the guide section of the
item it asks about. A role is a concept of the shared concept model: its name and aliases (操作工 → 一线员工,
质检 → 检验员) come from there, with its knowledge topics and difficulty ceiling kept in the concept's extra keys.
Loose topic names (不合格, 内审, 文件) resolve through the concept model's topic concepts as well.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.errors import InputError
from assistant.training.knowledge import Knowledge
from assistant.understanding import ConceptModel
from assistant.understanding.text import bigrams, normalise

# The opt-in topic of memory items (clause numbers and titles, "which section", step order, 保持/保留).
CLAUSE_TOPIC = "条款知识（内审员）"


class Topic(BaseModel):
    name: str
    clauses: list[str] = Field(default_factory=list)
    lists: list[str] = Field(default_factory=list)
    sections: list[str] = Field(default_factory=list)


class Role(BaseModel):
    name: str
    aliases: list[str] = Field(default_factory=list)
    level: str = ""  # the training level of the guide (training_levels item name); empty if the guide has none
    topics: list[str]
    exclude_topics: list[str] = Field(default_factory=list)
    max_difficulty: int = 3
    staff: bool = False  # a staff quiz is mostly scenarios from the role's own work


def _covers(prefix: str, number: str) -> bool:
    return number == prefix or ("." in prefix and number.startswith(prefix + "."))


class Catalogue:
    """Topics and roles of one corpus, with the lookups question generators and quizzes need."""

    def __init__(self, knowledge: Knowledge) -> None:
        config = knowledge.quiz_config
        self.concepts = ConceptModel.load(knowledge.corpus_dir)
        self.topics = [Topic.model_validate(t) for t in config.get("topics", [])]
        self.roles = [
            Role.model_validate({"name": c.name, "aliases": list(c.aliases), **c.extra})
            for c in self.concepts.of_kind("role")
        ]
        self.phrases: dict[str, str] = dict(config.get("phrases", {}))
        self.distractors: dict[str, list[str]] = {k: list(v) for k, v in config.get("distractors", {}).items()}
        self._knowledge = knowledge

    def for_clause(self, number: str) -> list[str]:
        """Topics of a clause, the most specific prefix first (7.1.5 → 监视和测量 before 支持和资源)."""
        hits: list[tuple[int, str]] = []
        for topic in self.topics:
            # "9.2" covers 9.2.1 and 9.2.2; a bare chapter number ("8") means the chapter clause only.
            lengths = [len(p) for p in topic.clauses if _covers(p, number)]
            if lengths:
                hits.append((max(lengths), topic.name))
        return [name for _, name in sorted(hits, key=lambda h: -h[0])]

    def for_list(self, list_id: str, item_section: str = "") -> list[str]:
        names = [t.name for t in self.topics if list_id in t.lists]
        if item_section:
            names += [t.name for t in self.topics if any(item_section.startswith(s) for s in t.sections)]
        return list(dict.fromkeys(names))

    def for_section(self, section: str) -> list[str]:
        return [t.name for t in self.topics if any(section.startswith(s) for s in t.sections)]

    def phrase(self, list_id: str) -> str:
        return self.phrases.get(list_id) or str(self._knowledge.lists[list_id]["title"])

    def roles_for(self, topics: list[str], difficulty: int) -> list[str]:
        return [
            r.name
            for r in self.roles
            if difficulty <= r.max_difficulty
            and set(topics) & set(r.topics)
            and not set(topics) & set(r.exclude_topics)
        ]

    def topic_names(self) -> list[str]:
        return [t.name for t in self.topics]

    # ---- names people type -----------------------------------------------------------------------
    def resolve_topic(self, text: str) -> str | None:
        """The training topic a typed name means: exact, through a topic concept (内审 → 内部审核), or a
        topic name that starts with it (不合格 → 不合格和纠正措施, 文件 → 文件和记录); None if nothing fits."""
        key = normalise(text)
        if not key:
            return None
        names = self.topic_names()
        exact = next((n for n in names if normalise(n) == key), None)
        if exact:
            return exact
        concept = self.concepts.lookup(text, kind="topic")
        if concept is not None:
            by_name = next((n for n in names if normalise(n) in {normalise(w) for w in concept.words}), None)
            if by_name:
                return by_name
            by_clause = self._topic_of_clauses(concept.clauses)
            if by_clause:
                return by_clause
        starts = [n for n in names if normalise(n).startswith(key)]
        return starts[0] if len(starts) == 1 else None

    def _topic_of_clauses(self, clauses: tuple[str, ...]) -> str | None:
        """The topic whose clause prefixes cover most of `clauses` (ties: the catalogue's order)."""
        best, best_hits = None, 0
        for topic in self.topics:
            hits = sum(any(_covers(p, c) or _covers(c, p) for p in topic.clauses) for c in clauses)
            if hits > best_hits:
                best, best_hits = topic.name, hits
        return best

    def suggest_topics(self, text: str, n: int = 3) -> list[str]:
        """The nearest topic names by shared character pairs, then by the concept model's nearest topics."""
        query = bigrams(text)
        scored = sorted(((len(query & bigrams(name)), name) for name in self.topic_names()), key=lambda s: -s[0])
        out = [name for score, name in scored if score > 0]
        for concept in self.concepts.nearest(text, kind="topic", n=n):
            topic = self.resolve_topic(concept.name)
            if topic:
                out.append(topic)
        return list(dict.fromkeys(out))[:n]

    def check_topic(self, topic: str | None) -> str | None:
        """The canonical topic name for what a user typed; a Chinese error with the nearest topics if none."""
        if topic is None:
            return None
        resolved = self.resolve_topic(topic)
        if resolved:
            return resolved
        near = self.suggest_topics(topic)
        hint = f"您是不是想找：{'、'.join(near)}？" if near else ""
        raise InputError(f"没有“{topic}”这个培训主题。{hint}可选主题：{'、'.join(self.topic_names())}。")

    def role(self, name: str | None) -> Role | None:
        """A role by its name or an alias (操作工 → 一线员工); a Chinese error listing the roles if unknown."""
        if name is None:
            return None
        concept = self.concepts.lookup(name, kind="role")
        for role in self.roles:
            if concept is not None and role.name == concept.name:
                return role
        raise InputError(f"没有“{name}”这个岗位。可选岗位：{'、'.join(r.name for r in self.roles)}。")
