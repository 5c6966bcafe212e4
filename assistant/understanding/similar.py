"""Concepts by meaning: the bundled embedder compares a question with each topic's own-words description, which
catches wording the concept files lack ("体系运行好不好主要看啥" → 领导作用, without a shared word)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from assistant.understanding.concepts import ConceptModel
from assistant.understanding.models import Concept

EmbedMany = Callable[[list[str]], list[list[float]]]


def concept_text(concept: Concept) -> str:
    aliases = "、".join(concept.aliases[:8])
    return f"{concept.name}：{concept.description}" + (f"（又称{aliases}）" if aliases else "")


class ConceptVectors:
    """Vectors of the specific topic concepts, computed once per process (the embedding cache keeps them)."""

    def __init__(self, model: ConceptModel, embed_documents: EmbedMany) -> None:
        self.concepts = [c for c in model.of_kind("topic") if not c.extra.get("generic") and c.description]
        self._embed = embed_documents
        self._matrix: np.ndarray | None = None
        self._lock = threading.Lock()

    def matrix(self) -> np.ndarray:
        with self._lock:
            if self._matrix is None and not self.concepts:
                self._matrix = np.zeros((0, 0), dtype=np.float32)
            if self._matrix is None:
                vectors = np.asarray(self._embed([concept_text(c) for c in self.concepts]), dtype=np.float32)
                norms = np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
                self._matrix = vectors / norms
            return self._matrix

    def nearest(self, query_vector: list[float], n: int = 3) -> list[tuple[Concept, float]]:
        matrix = self.matrix()
        q = np.asarray(query_vector, dtype=np.float32)
        if not self.concepts or matrix.ndim != 2 or matrix.shape[1] != q.shape[0]:
            return []  # a corpus without topic descriptions, or another embedder's vectors
        q = q / (np.linalg.norm(q) + 1e-9)
        sims = matrix @ q
        order = np.argsort(-sims)[:n]
        return [(self.concepts[i], float(sims[i])) for i in order]
