"""Chinese training topics and trainee roles, read from corpus/catalogue/quiz_topics.yaml.

A question gets its topics from its clause numbers, the guide list it comes from and the guide section of the
item it asks about; a role (the guide's training levels) is a set of topics plus a difficulty ceiling.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.errors import InputError
from assistant.training.knowledge import Knowledge

CLAUSE_TOPIC = "ISO 9001 条款"


class Topic(BaseModel):
    name: str
    clauses: list[str] = Field(default_factory=list)
    lists: list[str] = Field(default_factory=list)
    sections: list[str] = Field(default_factory=list)


class Role(BaseModel):
    name: str
    level: str = ""  # the training level of the guide (training_levels item name); empty if the guide has none
    topics: list[str]
    exclude_topics: list[str] = Field(default_factory=list)
    max_difficulty: int = 3


class Catalogue:
    """Topics and roles of one corpus, with the lookups question generators need."""

    def __init__(self, knowledge: Knowledge) -> None:
        config = knowledge.quiz_config
        self.topics = [Topic.model_validate(t) for t in config.get("topics", [])]
        self.roles = [Role.model_validate(r) for r in config.get("roles", [])]
        self.phrases: dict[str, str] = dict(config.get("phrases", {}))
        self.distractors: dict[str, list[str]] = {k: list(v) for k, v in config.get("distractors", {}).items()}
        self._knowledge = knowledge

    def for_clause(self, number: str) -> list[str]:
        """Topics of a clause, the most specific prefix first (7.1.5 → 监视和测量 before 支持和资源)."""
        hits: list[tuple[int, str]] = []
        for topic in self.topics:
            # "9.2" covers 9.2.1 and 9.2.2; a bare chapter number ("8") means the chapter clause only.
            lengths = [len(p) for p in topic.clauses if number == p or ("." in p and number.startswith(p + "."))]
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

    def check_topic(self, topic: str | None) -> str | None:
        if topic is None or topic in self.topic_names():
            return topic
        raise InputError(f"没有“{topic}”这个培训主题。可选主题：{'、'.join(self.topic_names())}。")

    def role(self, name: str | None) -> Role | None:
        if name is None:
            return None
        for role in self.roles:
            if role.name == name:
                return role
        raise InputError(f"没有“{name}”这个岗位。可选岗位：{'、'.join(r.name for r in self.roles)}。")
