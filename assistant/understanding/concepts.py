"""The QMS concept model: every concept of the committed knowledge, and the words people use for them.

Built from `corpus/concepts/*.yaml` (topics, roles, process steps, industries, out-of-scope subjects …) plus
what the corpus already structures: the ISO 9001 clauses (corpus/iso9001/clauses.yaml) and the guide's lists
(corpus/catalogue/guide_lists.yaml). Answering, drafting and training all read names through this one model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import InputError
from assistant.understanding.models import Concept, Match
from assistant.understanding.text import bigrams, normalise

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the concept files load ~10x faster
_CORE_KEYS = {"id", "kind", "name", "aliases", "clauses", "sections", "description"}


class UnknownConceptError(InputError):
    """A name the concept model does not know; the message lists what it does know."""


def concept_from_row(row: Mapping[str, Any]) -> Concept:
    missing = [k for k in ("id", "kind", "name") if not row.get(k)]
    if missing:
        raise ValueError(f"concept row lacks {missing}: {dict(row)}")
    return Concept(
        id=str(row["id"]),
        kind=str(row["kind"]),
        name=str(row["name"]),
        aliases=tuple(str(a) for a in row.get("aliases") or ()),
        clauses=tuple(str(c) for c in row.get("clauses") or ()),
        sections=tuple(str(s) for s in row.get("sections") or ()),
        description=str(row.get("description") or ""),
        extra={k: v for k, v in row.items() if k not in _CORE_KEYS},
    )


class ConceptModel:
    """Concepts by id, by kind, by clause, and by the words that name them."""

    def __init__(self) -> None:
        self._by_id: dict[str, Concept] = {}
        self._words: list[tuple[str, Concept, str]] = []  # (normalised word, concept, word as written)
        self._finders: dict[tuple[str, ...] | None, tuple[re.Pattern[str] | None, dict[str, Concept]]] = {}

    # ---- building -------------------------------------------------------------------------------------
    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> ConceptModel:
        model = cls()
        for row in rows:
            model.add(concept_from_row(row))
        return model

    @classmethod
    def load(cls, corpus_dir: Path) -> ConceptModel:
        """The model of a corpus directory (cached: the files are committed data)."""
        return _load(Path(corpus_dir).resolve())

    def register(self, id: str, *, kind: str, name: str, **fields: Any) -> Concept:
        """Add one concept, e.g. a company's own process step from its profile."""
        return self.add(concept_from_row({"id": id, "kind": kind, "name": name, **fields}))

    def add(self, concept: Concept) -> Concept:
        if concept.id in self._by_id:
            raise ValueError(f"duplicate concept id {concept.id}")
        self._by_id[concept.id] = concept
        for word in dict.fromkeys(concept.words):
            key = normalise(word)
            if len(key) >= 2:
                self._words.append((key, concept, word))
        # Longest words first: "不合格品" is found before "不合格".
        self._words.sort(key=lambda w: -len(w[0]))
        self._finders.clear()
        return concept

    # ---- reading --------------------------------------------------------------------------------------
    def __contains__(self, concept_id: str) -> bool:
        return concept_id in self._by_id

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, concept_id: str) -> Concept:
        try:
            return self._by_id[concept_id]
        except KeyError:
            kind = concept_id.split(".", 1)[0]
            choices = "、".join(c.name for c in self.of_kind(kind)[:12]) or "（无）"
            raise UnknownConceptError(f"不认识“{concept_id}”。可选的有：{choices}") from None

    def all(self) -> list[Concept]:
        return list(self._by_id.values())

    def of_kind(self, kind: str) -> list[Concept]:
        return [c for c in self._by_id.values() if c.kind == kind]

    def by_clause(self, number: str, kind: str | None = None) -> list[Concept]:
        """Concepts tied to a clause or one of its sub-clauses, those naming it first."""
        hits = [
            c
            for c in self._by_id.values()
            if (kind is None or c.kind == kind) and any(x == number or x.startswith(number + ".") for x in c.clauses)
        ]
        return sorted(hits, key=lambda c: number not in c.clauses)

    def vocabulary(self) -> set[str]:
        return {word for _, _, word in self._words}

    def lookup(self, name: str, kind: str | None = None) -> Concept | None:
        """The concept a user-typed name (or alias) stands for, exactly."""
        key = normalise(name)
        for word, concept, _ in self._words:
            if word == key and (kind is None or concept.kind == kind):
                return concept
        return None

    def _finder(self, kinds: Iterable[str] | None) -> tuple[re.Pattern[str] | None, dict[str, Concept]]:
        """One regex per set of kinds finding, at every position, the longest word that starts there."""
        key = tuple(sorted(set(kinds))) if kinds is not None else None
        if key not in self._finders:
            owner: dict[str, Concept] = {}
            for word, concept, _ in self._words:  # longest first; the first concept of a word keeps it
                if (key is None or concept.kind in key) and word not in owner:
                    owner[word] = concept
            pattern = "|".join(re.escape(w) for w in owner)  # owner keeps the longest-first order
            self._finders[key] = (re.compile(f"(?=({pattern}))") if owner else None, owner)
        return self._finders[key]

    def matches(self, text: str, kinds: Iterable[str] | None = None) -> list[Match]:
        """Every non-overlapping mention of a concept in `text`, in reading order; longer words win."""
        finder, owner = self._finder(kinds)
        if finder is None:
            return []
        clean, positions = _normalised_with_positions(text)
        candidates = sorted(((m.start(), m.group(1)) for m in finder.finditer(clean)), key=lambda c: -len(c[1]))
        taken = [False] * len(clean)
        found: list[Match] = []
        for start, word in candidates:
            end = start + len(word)
            if any(taken[start:end]):
                continue
            for i in range(start, end):
                taken[i] = True
            first, last = positions[start], positions[end - 1] + 1
            found.append(Match(owner[word], first, last, text[first:last]))
        return sorted(found, key=lambda m: m.start)

    def resolve(self, text: str, kind: str | None = None) -> list[Concept]:
        """Concepts mentioned in `text`, longest (most specific) mention first, each once."""
        hits = self.matches(text, None if kind is None else [kind])
        hits.sort(key=lambda m: (-(m.end - m.start), m.start))
        return list(dict.fromkeys(m.concept for m in hits))

    def nearest(self, text: str, kind: str | None = None, n: int = 5) -> list[Concept]:
        """The concepts whose names and aliases share most character pairs with `text` (for suggestions)."""
        query = bigrams(text)
        if not query:
            return []
        scored = []
        for concept in self._by_id.values():
            if kind is not None and concept.kind != kind:
                continue
            best = max((len(query & bigrams(w)) / max(1, len(bigrams(w))) for w in concept.words), default=0.0)
            desc = len(query & bigrams(concept.description)) / len(query) if concept.description else 0.0
            score = best + 0.3 * desc
            if score > 0:
                scored.append((score, concept))
        scored.sort(key=lambda s: -s[0])
        return [c for _, c in scored[:n]]


def _normalised_with_positions(text: str) -> tuple[str, list[int]]:
    """`normalise(text)` and, for each of its characters, the index it came from in `text`."""
    chars, positions = [], []
    for i, ch in enumerate(text):
        key = normalise(ch)
        if key:
            chars.append(key)
            positions.append(i)
    return "".join(chars), positions


@lru_cache(maxsize=4)
def _load(corpus_dir: Path) -> ConceptModel:
    from assistant.understanding.loaders import load_rows

    model = ConceptModel.from_rows(load_rows(corpus_dir))
    # A topic that names one of the guide's lists carries its item names: a list question gets the whole list.
    for concept in model.of_kind("topic"):
        key = f"list.{concept.extra.get('list')}"
        if key in model:
            concept.extra["list_items"] = [str(i.get("name", "")) for i in model.get(key).extra.get("items", [])]
    return model


def concept_files(corpus_dir: Path) -> list[Path]:
    return sorted((Path(corpus_dir) / "concepts").glob("*.yaml"))


def read_concept_file(path: Path) -> list[dict[str, Any]]:
    rows = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER) or []
    if not isinstance(rows, list):
        raise ValueError(f"{path}: a concepts file is a YAML list of mappings")
    return rows
