"""Hybrid retrieval: jieba/BM25 and dense (Chroma) results fused by reciprocal rank, with clause boosting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.config import Settings
from ingest.chunking import SUMMARY_KINDS
from ingest.index import IndexState, IndexStore
from ingest.tokenize import clause_numbers, expand_query, tokenize

Mode = Literal["hybrid", "bm25", "dense"]


@dataclass
class SearchSignals:
    """How strongly the knowledge base matched a question: the basis of the "not covered" decision."""

    best_dense: float
    best_bm25: float
    named_clauses: list[str]
    best_user_dense: float = 0.0  # best match among the company's own uploaded documents


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

    def model_post_init(self, __context: Any) -> None:
        self.bm25_model = self.store.bm25(self.state)
        self.collection = self.store.collection(self.state)
        self._n_vectors = max(1, self.collection.count())
        self._is_clause_doc = [d.metadata.get("kind") in SUMMARY_KINDS for d in self.state.chunks]
        self._id_pos = {cid: i for i, cid in enumerate(self.state.ids)}
        self._clause_sets = [
            set(filter(None, str(d.metadata.get("clauses", "")).split(","))) for d in self.state.chunks
        ]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun | None = None
    ) -> list[Document]:
        docs, _ = self.search(query, k=self.k)
        return docs

    def search(
        self, query: str, k: int | None = None, mode: Mode | None = None
    ) -> tuple[list[Document], SearchSignals]:
        """Best-first documents for a question, plus the match signals used to judge coverage."""
        k = k or self.k
        mode = mode or self.mode
        n = len(self.state.chunks)
        if n == 0 or not query.strip():
            return [], SearchSignals(0.0, 0.0, [], 0.0)
        pool = min(self.settings.candidate_pool, n)
        expanded = expand_query(query)
        named = clause_numbers(query)

        bm25_scores = self._bm25_scores(expanded)
        dense_sims: dict[int, float] = {}
        if mode != "bm25":
            # The embedder gets the user's own words: synonym expansion helps BM25 but blurs the embedding.
            vector = self.embeddings.embed_query(query)
            # Vectors are per sentence; a chunk scores as its best sentence.
            hits = self.collection.query(
                query_embeddings=[vector],
                n_results=min(pool * 4, self._n_vectors),
                include=["distances", "metadatas"],
            )
            for meta, dist in zip(hits["metadatas"][0], hits["distances"][0], strict=True):
                pos = self._id_pos.get(str(meta.get("chunk_id")))
                if pos is not None:
                    dense_sims[pos] = max(dense_sims.get(pos, -1.0), 1.0 - float(dist))

        # Linear fusion of z-scored BM25 and dense scores (measured better than RRF on tests/eval).
        use_bm25 = mode != "dense" and bm25_scores.max() > 0
        bz = (bm25_scores - bm25_scores.mean()) / (bm25_scores.std() + 1e-9)
        candidates = {int(i) for i in np.argsort(-bm25_scores)[:pool] if bm25_scores[i] > 0} if use_bm25 else set()
        candidates |= set(dense_sims)
        if dense_sims:
            values = np.fromiter(dense_sims.values(), dtype=np.float32)
            mean, std = float(values.mean()), float(values.std()) + 1e-9
            dense_floor = float(values.min())
        fused: dict[int, float] = {}
        for i in candidates:
            score = self.settings.bm25_weight * float(bz[i]) if use_bm25 else 0.0
            if dense_sims:
                score += self.settings.dense_weight * (dense_sims.get(i, dense_floor) - mean) / std
            fused[i] = score
        if not named and self.settings.clause_doc_penalty:
            # Clause summaries say what is required; the guide (or the company's own text) says how a small
            # company does it, which is what an owner's question is after. Named clauses lift this.
            for i in fused:
                if self._is_clause_doc[i]:
                    fused[i] -= self.settings.clause_doc_penalty
        if named and mode == "hybrid":
            # A question naming "8.4" should reach clause 8.4 itself and the guide text tied to it.
            for i, clauses in enumerate(self._clause_sets):
                exact = any(c in clauses for c in named)
                if exact or any(c.startswith(q + ".") for q in named for c in clauses):
                    bonus = 1.0 if exact else 0.3
                    if self.state.chunks[i].metadata.get("kind") == "clause" and exact:
                        bonus = 2.0
                    fused[i] = fused.get(i, 0.0) + self.settings.clause_boost * bonus

        order = self._diversify(sorted(fused, key=fused.get, reverse=True), k, named)
        docs = []
        for i in order:
            base = self.state.chunks[i]
            meta = dict(base.metadata)
            meta.update(
                score=round(fused[i], 5),
                bm25=round(float(bm25_scores[i]), 3),
                dense=round(dense_sims.get(i, 0.0), 4),
                chunk_id=self.state.ids[i],
            )
            docs.append(Document(id=self.state.ids[i], page_content=base.page_content, metadata=meta))
        signals = SearchSignals(
            best_dense=max(dense_sims.values(), default=0.0),
            best_bm25=float(bm25_scores.max()),
            named_clauses=named,
            best_user_dense=max(
                (s for i, s in dense_sims.items() if self.state.chunks[i].metadata.get("kind") == "user"),
                default=0.0,
            ),
        )
        return docs, signals

    def _diversify(self, ranked: list[int], k: int, named: list[str]) -> list[int]:
        """Cap clause summaries in the top k: sibling clauses are near-duplicates and would crowd out the
        guide passages that actually explain how a small company does it."""
        cap = k if named else self.settings.max_clause_docs
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

    def _bm25_scores(self, text: str) -> np.ndarray:
        vocab = self.bm25_model.vocab_dict
        tokens = [t for t in tokenize(text) if t in vocab]
        if not tokens:
            return np.zeros(len(self.state.chunks), dtype=np.float32)
        return np.asarray(self.bm25_model.get_scores(tokens), dtype=np.float32)
