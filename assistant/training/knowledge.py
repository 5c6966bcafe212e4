"""The structured knowledge questions are made from: guide.md by section, clauses.yaml, the guide's lists.

Everything here is read from the committed corpus files, so questions need no index and no embedding.
`find_passage` returns the shortest verbatim stretch of a section that contains given phrases: that stretch
becomes a question's citation, and `in_source` lets the checker confirm it is really in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from assistant.training.models import normalise
from assistant.understanding.text import sentence_pieces

# Same `source` values as the index (ingest.index.CORPUS_*), so citations match retrieved chunks.
GUIDE_SOURCE = "corpus/guide/guide.md"
CLAUSES_SOURCE = "corpus/iso9001/clauses.yaml"
SEP = " > "
_HEADING = re.compile(r"^(#{2,5})\s+(.+?)\s*$")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster on clauses.yaml


def _yaml(text: str) -> dict:
    return yaml.load(text, Loader=_LOADER) or {}


@dataclass(frozen=True)
class Unit:
    """A sentence (or table row) of guide.md: its line and character span, and its section path."""

    section: str
    line: int
    start: int
    end: int


@dataclass(frozen=True)
class Passage:
    section: str
    text: str


@dataclass
class Guide:
    lines: list[str]
    units: list[Unit] = field(default_factory=list)
    _norms: dict[Unit, str] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, text: str) -> Guide:
        guide = cls(text.splitlines())
        path: list[str] = []
        for no, line in enumerate(guide.lines):
            match = _HEADING.match(line)
            if match:
                level = len(match.group(1)) - 2  # "##" is the top level of section paths
                path = [*path[:level], match.group(2)]
                continue
            stripped = line.strip()
            if not path or not stripped or stripped.startswith(("<!--", "*", "| ---", "# ")):
                continue
            start = line.index(stripped[2:]) if stripped.startswith("- ") else line.index(stripped)
            section = SEP.join(path)
            if stripped.startswith("|"):
                guide.units.append(Unit(section, no, start, len(line.rstrip())))
                continue
            pos = start
            for piece in sentence_pieces(line[start:].rstrip(), semicolons=False):
                if piece.strip():
                    lead = len(piece) - len(piece.lstrip())
                    guide.units.append(Unit(section, no, pos + lead, pos + len(piece.rstrip())))
                pos += len(piece)
        return guide

    def text_of(self, units: list[Unit]) -> str:
        """Verbatim text of consecutive units: one line of the file per output line."""
        out: list[str] = []
        for line in dict.fromkeys(u.line for u in units):
            span = [u for u in units if u.line == line]
            out.append(self.lines[line][span[0].start : span[-1].end])
        return "\n".join(out)

    def _norm(self, unit: Unit) -> str:
        if unit not in self._norms:
            self._norms[unit] = normalise(self.lines[unit.line][unit.start : unit.end])
        return self._norms[unit]

    def sections(self) -> list[str]:
        return list(dict.fromkeys(u.section for u in self.units))

    def section_text(self, section: str, *, deep: bool = False) -> str:
        return self.text_of(self._scope(section, deep))

    def _scope(self, section: str, deep: bool) -> list[Unit]:
        return [u for u in self.units if u.section == section or (deep and u.section.startswith(section + SEP))]

    def find_passage(self, section: str, needles: list[str]) -> Passage | None:
        """The shortest run of sentences in `section` (then with its subsections) containing every needle."""
        keys = [normalise(n) for n in needles if normalise(n)]
        for deep in (False, True):
            scope = self._scope(section, deep)
            norms = [self._norm(u) for u in scope]
            if not keys or not all(k in "".join(norms) for k in keys):
                continue
            best: list[Unit] | None = None
            for i in range(len(scope)):
                acc = ""
                for j in range(i, len(scope)):
                    acc += norms[j]
                    if all(k in acc for k in keys):
                        if best is None or _length(scope[i : j + 1]) < _length(best):
                            best = scope[i : j + 1]
                        break
            if best:
                sections = {u.section for u in best}
                return Passage(best[0].section if len(sections) == 1 else section, self.text_of(best))
        return None


def _length(units: list[Unit]) -> int:
    return sum(u.end - u.start for u in units)


class Knowledge:
    """guide.md, clauses.yaml and the catalogue files (lists, quiz topics, curated items, scenarios) of one corpus."""

    def __init__(self, corpus_dir: Path) -> None:
        self.corpus_dir = Path(corpus_dir)

    def _path(self, source: str) -> Path:
        return self.corpus_dir / source.removeprefix("corpus/")

    def raw(self, source: str) -> str:
        return self._path(source).read_text(encoding="utf-8")

    @cached_property
    def guide(self) -> Guide:
        return Guide.parse(self.raw(GUIDE_SOURCE))

    @cached_property
    def clause_data(self) -> dict:
        return _yaml(self.raw(CLAUSES_SOURCE))

    @cached_property
    def clauses(self) -> dict[str, dict]:
        return {str(c["number"]): c for c in self.clause_data.get("clauses", [])}

    @cached_property
    def principles(self) -> list[dict]:
        return list(self.clause_data.get("principles", []))

    @cached_property
    def lists(self) -> dict[str, dict]:
        data = self._catalogue("guide_lists.yaml")
        return {str(item["id"]): item for item in data.get("lists", [])}

    @cached_property
    def quiz_config(self) -> dict:
        return self._catalogue("quiz_topics.yaml")

    @cached_property
    def curated(self) -> list[dict]:
        return list(self._catalogue("quiz_extra.yaml").get("questions", []))

    @cached_property
    def scenarios(self) -> list[dict]:
        return list(self._catalogue("scenarios.yaml").get("scenarios", []))

    def _catalogue(self, name: str) -> dict:
        path = self.corpus_dir / "catalogue" / name
        return _yaml(path.read_text(encoding="utf-8")) if path.exists() else {}

    # ---- clauses -----------------------------------------------------------------------------------
    def clause_section(self, number: str) -> str:
        """Section path of a clause as the index labels it: ISO 9001:2015 > 9 绩效评价 > 9.2 内部审核."""
        path, cur = [], self.clauses.get(number)
        while cur:
            path.append(f"{cur['number']} {cur['title_zh']}")
            cur = self.clauses.get(str(cur.get("parent"))) if cur.get("parent") else None
        return SEP.join(["ISO 9001:2015", *reversed(path)])

    def children(self, number: str) -> list[str]:
        return [n for n, c in self.clauses.items() if str(c.get("parent")) == number]

    def related(self, a: str, b: str) -> bool:
        """True when one clause contains the other (9.2 and 9.2.1): never a fair distractor pair."""
        return a == b or a.startswith(b + ".") or b.startswith(a + ".")

    # ---- verification ------------------------------------------------------------------------------
    def in_source(self, text: str, source: str) -> bool:
        """Every line of `text` occurs verbatim in the source file."""
        try:
            raw = _raw_cached(self._path(source))
        except OSError:
            return False
        lines = [line for line in text.splitlines() if line.strip()]
        return bool(lines) and all(line in raw for line in lines)


@lru_cache(maxsize=8)
def _raw_cached(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=4)
def load_knowledge(corpus_dir: Path) -> Knowledge:
    return Knowledge(corpus_dir)
