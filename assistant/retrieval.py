"""Hybrid retrieval: jieba/BM25 and dense (Chroma) scores fused linearly on z-scores, then ordered adjustments.

The question is analysed first (assistant/understanding): BM25 gets the formal terms for colloquial words, and
the adjustments read the analysis — each is one small function in `ADJUSTMENTS`, applied in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.config import Settings
from assistant.understanding import Analysis, Concept, ConceptModel, analyse
from assistant.understanding.similar import ConceptVectors
from assistant.understanding.text import tokenize
from ingest.chunking import SUMMARY_KINDS, finding_texts, index_text, under_section
from ingest.index import IndexState, IndexStore
from ingest.meta import build_bm25

Mode = Literal["hybrid", "bm25", "dense"]


@dataclass
class SearchSignals:
    """How strongly the knowledge base matched a question: the basis of the "not covered" decision."""

    best_dense: float
    best_bm25: float
    named_clauses: list[str]
    best_user_dense: float = 0.0  # best match among the company's own uploaded documents
    clause_ranking: tuple[str, ...] = ()  # clause summaries best first: which sub-clause the question is closest to
    clause_scores: tuple[float, ...] = ()  # their scores, for telling a clear first from a near tie


@dataclass
class Ranking:
    """What the adjustments see and change: fused scores by chunk position, and the question understood."""

    scores: dict[int, float]
    analysis: Analysis
    mode: Mode


class HybridRetriever(BaseRetriever):
    """A langchain retriever over one index generation; metadata carries `score`, `bm25`, `dense`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: IndexStore
    state: IndexState
    embeddings: Embeddings
    settings: Settings
    k: int = 5
    mode: Mode = "hybrid"
    bm25_model: Any = None
    collection: Any = None
    concepts: Any = None

    def model_post_init(self, __context: Any) -> None:
        self.bm25_model = self.store.bm25(self.state)
        self.collection = self.store.collection(self.state)
        self.concepts = self.concepts or ConceptModel.load(self.settings.corpus_dir)
        self._n_vectors = max(1, self.collection.count())
        self._is_clause_doc = [d.metadata.get("kind") in SUMMARY_KINDS for d in self.state.chunks]
        self._n_finding_vectors = sum(len(finding_texts(d)) for d in self.state.chunks)
        self._id_pos = {cid: i for i, cid in enumerate(self.state.ids)}
        self._clause_sets = [
            set(filter(None, str(d.metadata.get("clauses", "")).split(","))) for d in self.state.chunks
        ]
        self._sections = [str(d.metadata.get("section", "")) for d in self.state.chunks]
        # Overview passages (the guide's introduction to ISO 9001, the preface) mention everything a little;
        # they answer questions about themselves, not every question. Their sections come from generic topics.
        overview = {s for c in self.concepts.of_kind("topic") if c.extra.get("generic") for s in c.sections}
        # The guide's example tables (the process card of table 3-1) name records, equipment, risks and targets
        # all at once: they match almost any question, and answer only those about their own section.
        self._is_overview = [
            d.metadata.get("kind") == "guide"
            and (self._sections[i] in overview or d.page_content.lstrip().startswith("|"))
            for i, d in enumerate(self.state.chunks)
        ]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun | None = None
    ) -> list[Document]:
        docs, _ = self.search(query, k=self.k)
        return docs

    def knows(self, word: str) -> bool:
        """Whether a word occurs in the indexed knowledge (BM25 vocabulary)."""
        vocab = self.bm25_model.vocab_dict
        return any(t in vocab for t in tokenize(word))

    def analyse(self, question: str, history=()) -> Analysis:
        return analyse(question, history, self.concepts, known=self.knows, by_meaning=self._by_meaning)

    def _by_meaning(self, text: str) -> list[tuple[Concept, float]]:
        floor = self.settings.concept_min_similarity
        return [
            (c, s)
            for c, s in concept_vectors(self.concepts, self.embeddings).nearest(self._query_vector(text))
            if s >= floor
        ]

    def _query_vector(self, text: str) -> list[float]:
        """The question's embedding, shared by the analysis and the dense search of the same question."""
        cache = self.__dict__.setdefault("_vectors", {})
        if text not in cache:
            if len(cache) > 64:
                cache.clear()
            cache[text] = self.embeddings.embed_query(text)
        return cache[text]

    def search(
        self, query: str, k: int | None = None, mode: Mode | None = None, analysis: Analysis | None = None
    ) -> tuple[list[Document], SearchSignals]:
        """Best-first documents for a question, plus the match signals used to judge coverage."""
        k = k or self.k
        mode = mode or self.mode
        n = len(self.state.chunks)
        if n == 0 or not query.strip():
            return [], SearchSignals(0.0, 0.0, [], 0.0)
        analysis = analysis or self.analyse(query)
        pool = min(self.settings.candidate_pool, n)

        bm25_scores = self._bm25_scores(analysis.search_query, with_findings=analysis.judges_a_finding)
        dense_sims: dict[int, float] = {}
        if mode != "bm25":
            # The embedder gets the user's own words: synonym expansion helps BM25 but blurs the embedding.
            vector = self._query_vector(analysis.search_text)
            dense_sims = self._dense(vector, pool * 4, with_findings=analysis.judges_a_finding)

        ranking = Ranking(self._fuse(bm25_scores, dense_sims, mode, pool), analysis, mode)
        for adjust in ADJUSTMENTS:
            adjust(self, ranking)
        scores = ranking.scores
        order = self._diversify(
            sorted(scores, key=scores.get, reverse=True), k, bool(analysis.clauses), analysis.judges_a_finding
        )
        docs = []
        for i in order:
            base = self.state.chunks[i]
            meta = dict(base.metadata)
            meta.update(
                score=round(scores[i], 5),
                bm25=round(float(bm25_scores[i]), 3),
                dense=round(dense_sims.get(i, 0.0), 4),
                chunk_id=self.state.ids[i],
            )
            docs.append(Document(id=self.state.ids[i], page_content=base.page_content, metadata=meta))
        clause_docs = sorted(
            (i for i in scores if self.state.chunks[i].metadata.get("kind") == "clause"), key=scores.get, reverse=True
        )
        signals = SearchSignals(
            clause_ranking=tuple(str(self.state.chunks[i].metadata.get("clauses", "")) for i in clause_docs[:8]),
            clause_scores=tuple(round(scores[i], 4) for i in clause_docs[:8]),
            best_dense=max(dense_sims.values(), default=0.0),
            best_bm25=float(bm25_scores.max()),
            named_clauses=list(analysis.clauses),
            best_user_dense=max(
                (s for i, s in dense_sims.items() if self.state.chunks[i].metadata.get("kind") == "user"),
                default=0.0,
            ),
        )
        return docs, signals

    def _dense(self, vector: list[float], wanted: int, with_findings: bool) -> dict[int, float]:
        """Chunk position → its best sentence's similarity, over the `wanted` nearest sentences.

        Vector ids are `<chunk id>#<n>`, so the chunk is read off the id (fetching metadata took a third of the
        search time). A clause summary's later vectors are its typical audit findings: they point a described
        situation at its sub-clause, but would pull summaries above the guide for ordinary questions, which
        therefore skip them and see the same sentences as without them."""
        extra = 0 if with_findings else self._n_finding_vectors
        hits = self.collection.query(
            query_embeddings=[vector], n_results=min(wanted + extra, self._n_vectors), include=["distances"]
        )
        sims: dict[int, float] = {}
        for vid, dist in zip(hits["ids"][0], hits["distances"][0], strict=True):
            chunk_id, _, n = vid.rpartition("#")
            pos = self._id_pos.get(chunk_id or vid)
            if pos is None or not (with_findings or n in ("", "0") or not self._is_clause_doc[pos]):
                continue
            sims[pos] = max(sims.get(pos, -1.0), 1.0 - float(dist))
            wanted -= 1
            if not wanted:
                break
        return sims

    def _fuse(self, bm25_scores: np.ndarray, dense_sims: dict[int, float], mode: Mode, pool: int) -> dict[int, float]:
        """Linear fusion of z-scored BM25 and dense scores (measured better than RRF on tests/eval)."""
        use_bm25 = mode != "dense" and bm25_scores.max() > 0
        bz = (bm25_scores - bm25_scores.mean()) / (bm25_scores.std() + 1e-9)
        candidates = {int(i) for i in np.argsort(-bm25_scores)[:pool] if bm25_scores[i] > 0} if use_bm25 else set()
        candidates |= set(dense_sims)
        fused: dict[int, float] = {}
        if dense_sims:
            values = np.fromiter(dense_sims.values(), dtype=np.float32)
            mean, std, floor = float(values.mean()), float(values.std()) + 1e-9, float(values.min())
        for i in candidates:
            score = self.settings.bm25_weight * float(bz[i]) if use_bm25 else 0.0
            if dense_sims:
                score += self.settings.dense_weight * (dense_sims.get(i, floor) - mean) / std
            fused[i] = score
        return fused

    def chunks_where(self, keep: Callable[[Document], bool]) -> list[Document]:
        """Chunks of the live generation that satisfy `keep` (for answers built from structured knowledge)."""
        return [
            Document(id=cid, page_content=d.page_content, metadata={**d.metadata, "chunk_id": cid})
            for cid, d in zip(self.state.ids, self.state.chunks, strict=True)
            if keep(d)
        ]

    def _diversify(self, ranked: list[int], k: int, named: bool, finding: bool = False) -> list[int]:
        """Cap clause summaries in the top k: sibling clauses are near-duplicates and would crowd out the
        guide passages that actually explain how a small company does it. A judged finding allows more: which
        requirement the situation breaks is what it asks."""
        cap = k if named else (self.settings.finding_clause_docs if finding else self.settings.max_clause_docs)
        out, clause_docs, overflow = [], 0, []
        for i in ranked:
            if self._is_clause_doc[i]:
                if clause_docs >= cap:
                    overflow.append(i)
                    continue
                clause_docs += 1
            out.append(i)
            if len(out) == k:
                return out
        return (out + overflow)[:k]

    def _bm25_scores(self, text: str, with_findings: bool = False) -> np.ndarray:
        model = self._findings_bm25() if with_findings and self._n_finding_vectors else self.bm25_model
        vocab = model.vocab_dict
        tokens = [t for t in tokenize(text) if t in vocab]
        if not tokens:
            return np.zeros(len(self.state.chunks), dtype=np.float32)
        return np.asarray(model.get_scores(tokens), dtype=np.float32)

    def _findings_bm25(self):  # noqa: ANN202 - a bm25s model
        """BM25 over the chunks with each clause summary's typical findings added, for described situations only
        (ordinary questions keep the stored index, where summaries would otherwise gain words). Built on first
        use: about 0.2 s for the committed corpus."""
        if "_with_findings" not in self.__dict__:
            texts = ["\n".join([index_text(d), *finding_texts(d)]) for d in self.state.chunks]
            self.__dict__["_with_findings"] = build_bm25(texts)
        return self.__dict__["_with_findings"]


_CONCEPT_VECTORS: dict[tuple[int, int], ConceptVectors] = {}


def concept_vectors(model: ConceptModel, embeddings: Embeddings) -> ConceptVectors:
    """One set of topic vectors per concept model and embedder in a process (retrievers are reopened on swaps)."""
    key = (id(model), id(embeddings))
    if key not in _CONCEPT_VECTORS:
        _CONCEPT_VECTORS[key] = ConceptVectors(model, embeddings.embed_documents)
    return _CONCEPT_VECTORS[key]


# ---- adjustments, applied in order ------------------------------------------------------------------------
def demote_summaries(r: HybridRetriever, ranking: Ranking) -> None:
    """Clause summaries say what is required; the guide (or the company's own text) says how a small company
    does it, which is what an owner's question is after. Named clauses lift this."""
    penalty = r.settings.finding_doc_penalty if ranking.analysis.judges_a_finding else r.settings.clause_doc_penalty
    if ranking.analysis.clauses or not penalty:
        return
    for i in ranking.scores:
        if r._is_clause_doc[i]:
            ranking.scores[i] -= penalty


def boost_named_clauses(r: HybridRetriever, ranking: Ranking) -> None:
    """A question naming "8.4" should reach clause 8.4 itself and the guide text tied to it."""
    named = ranking.analysis.clauses
    if not named or ranking.mode != "hybrid":
        return
    for i, clauses in enumerate(r._clause_sets):
        exact = any(c in clauses for c in named)
        if exact or any(c.startswith(q + ".") for q in named for c in clauses):
            bonus = 1.0 if exact else 0.3
            if r.state.chunks[i].metadata.get("kind") == "clause" and exact:
                bonus = 2.0
            ranking.scores[i] = ranking.scores.get(i, 0.0) + r.settings.clause_boost * bonus


def boost_subject(r: HybridRetriever, ranking: Ranking) -> None:
    """Passages in the subject's guide sections, or tied to its main clause, rise; in a scenario this lets the
    finding ("卡尺过了校准期") outweigh the framing ("内审时发现"), whose concepts get nothing."""
    if ranking.mode != "hybrid" or not r.settings.concept_boost:
        return
    subjects = [c for c in ranking.analysis.concepts if not c.extra.get("generic")][:2]
    for weight, concept in zip((1.0, 0.5), subjects, strict=False):
        main = set(concept.clauses[:1])
        for i in list(ranking.scores):
            section = r._sections[i]
            in_section = under_section(section, concept.sections)
            tied = bool(main & r._clause_sets[i])
            if in_section or tied:
                bonus = r.settings.concept_boost * weight * (1.0 if in_section else 0.6)
                if r._is_clause_doc[i] and tied:
                    bonus = r.settings.concept_boost * weight  # its own clause summary may join the guide text
                ranking.scores[i] += bonus


def demote_overview(r: HybridRetriever, ranking: Ranking) -> None:
    """The catch-all overview passages yield unless the question is about them."""
    if not r.settings.overview_penalty:
        return
    wanted = {s for c in ranking.analysis.concepts for s in c.sections}
    for i in ranking.scores:
        if r._is_overview[i] and r._sections[i] not in wanted:
            ranking.scores[i] -= r.settings.overview_penalty


ADJUSTMENTS: tuple[Callable[[HybridRetriever, Ranking], None], ...] = (
    demote_summaries,
    boost_named_clauses,
    boost_subject,
    demote_overview,
)
