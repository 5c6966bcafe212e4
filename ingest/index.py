"""Index building: Chroma (embedded or server) + a jieba/BM25 index + a content-hash manifest.

Layout under `<data_dir>/index/` (with `chroma_url` set, the first two live in the server, see ingest/meta.py):
    CURRENT.json       which generation is live (written last, atomically)
    g<N>/              chunks.jsonl, manifest.json, bm25/ of generation N
    chroma/            the embedded Chroma database (collections `<kb_name>_chunks_g<N>`)
    writer.lock        held by whoever writes (ingest/locks.py)

Every change builds generation N+1 beside N under the writer lock (unchanged chunks' vectors are copied, not
recomputed), swaps the pointer, and only then drops generations older than N: a reader still on N keeps
working until it notices the new pointer and reopens. An interrupted ingest leaves N untouched and usable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import bm25s
import numpy as np
from filelock import FileLock, Timeout
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from assistant.config import Settings
from assistant.errors import IngestCancelled, QMSError
from ingest.chroma_disk import tidy
from ingest.chunking import vector_texts
from ingest.guards import disk_full_error, ensure_reserve, is_disk_full, release_reserve
from ingest.locks import WriterLock, busy_error
from ingest.meta import LocalMeta, Meta, SharedMeta, row_document
from ingest.sources import CORPUS_CLAUSES, CORPUS_GUIDE, SourceEntry, content_hash, corpus_sources

__all__ = [  # the corpus and source helpers are re-exported for callers that know them from here
    "CORPUS_CLAUSES",
    "CORPUS_GUIDE",
    "IndexState",
    "IndexStore",
    "SourceEntry",
    "content_hash",
    "corpus_sources",
]


@dataclass
class IndexState:
    generation: int
    collection: str
    embedding_model: str
    chunks: list[Document]
    ids: list[str]
    manifest: dict[str, SourceEntry]


def chroma_client(settings: Settings):
    """Embedded persistent Chroma under the data dir, or a Chroma server when `chroma_url` is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(settings.chroma_url)
        try:
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or 8000,
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:
            raise QMSError(
                f"无法连接 Chroma 服务器 {settings.chroma_url}：{exc}。请确认 `chroma run` 已启动。"
            ) from exc
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    # Embedded Chroma creates its tables on first start without guarding against another process doing the same
    # ("table collections already exists", "database is locked"): two commands on a new data dir take turns.
    try:
        with FileLock(str(settings.index_dir / "chroma-start.lock"), timeout=settings.index_lock_timeout_s):
            return _start_embedded(settings, path, chroma_settings)
    except Timeout as exc:
        raise busy_error(settings.index_lock_timeout_s) from exc


def _start_embedded(settings: Settings, path: Path, chroma_settings):  # noqa: ANN001, ANN202 - chromadb types
    import chromadb

    try:
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        # Embedded Chroma writes to its SQLite file whenever it starts, even to only read. On a full disk, give it
        # the space reserved for this moment (see guards.release_reserve) and try once more.
        if not is_disk_full(exc):
            raise
        if not release_reserve(settings.index_dir):
            raise disk_full_error(settings.data_dir) from exc
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient.clear_system_cache()  # the failed start left a half-started client in the cache
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class IndexStore:
    """Reads and writes the index generations. Only this class writes the index, always under the writer lock."""

    def __init__(self, settings: Settings, embeddings: Embeddings, model_id: str) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.model_id = model_id
        self.root = settings.index_dir
        self.root.mkdir(parents=True, exist_ok=True)
        self.client = chroma_client(settings)
        shared = SharedMeta(self.client, settings.kb_name) if settings.chroma_url else None
        self.meta: Meta = shared or LocalMeta(self.root)
        self.lock = WriterLock(self.root / "writer.lock", settings.index_lock_timeout_s, shared)
        self._cached: tuple[object, IndexState] | None = None

    # ---- reading (never writes: a full disk must not stop questions) ----------------------------------
    def token(self) -> object:
        """A cheap value that changes whenever a writer swaps in a new generation (any process)."""
        return self.meta.token()

    def current(self) -> IndexState | None:
        token = self.meta.token()
        if token is None:
            return None
        if self._cached is not None and self._cached[0] == token:
            return self._cached[1]
        pointer = self.meta.pointer()
        if pointer is None:
            return None
        rows, manifest = self.meta.load(pointer["generation"])
        state = IndexState(
            pointer["generation"],
            pointer["collection"],
            pointer["embedding_model"],
            [row_document(r) for r in rows],
            [r["id"] for r in rows],
            {k: SourceEntry(**v) for k, v in manifest.items()},
        )
        self._cached = (token, state)
        return state

    def bm25(self, state: IndexState) -> bm25s.BM25:
        return self.meta.bm25(state.generation, state.chunks)

    def collection(self, state: IndexState):
        return self.client.get_collection(state.collection, embedding_function=None)

    # ---- writing -------------------------------------------------------------------------------------
    def apply(
        self,
        upserts: dict[str, tuple[SourceEntry, list[Document]]],
        removals: set[str] | None = None,
        *,
        progress: bool = True,
        should_cancel: Callable[[], bool] | None = None,
    ) -> IndexState:
        """Build the next generation from the live one with `upserts` and `removals`, swap, then collect."""
        with self.lock.hold():
            live = self.current()  # read under the lock: another writer's swap is included, not lost
            generation = (live.generation + 1) if live else self._next_free_generation()
            name = f"{self.settings.chroma_collection_prefix}_g{generation}"
            try:
                self._build(generation, name, live, upserts, removals or set(), progress, should_cancel)
            except BaseException:
                # Cancelled, interrupted or failed: the live generation is untouched; drop the half-built one.
                self._discard(generation, name)
                raise
            self._collect(keep={generation, live.generation if live else generation})
            if not self.settings.chroma_url:
                ensure_reserve(self.root)
            return self.current()  # type: ignore[return-value]

    def _build(
        self,
        generation: int,
        name: str,
        live: IndexState | None,
        upserts: dict[str, tuple[SourceEntry, list[Document]]],
        removals: set[str],
        progress: bool,
        should_cancel: Callable[[], bool] | None,
    ) -> None:
        old = live if live is not None and live.embedding_model == self.model_id else None
        # (another embedding model: vectors are not comparable, so nothing is carried over)
        manifest = dict(old.manifest) if old else {}
        keep_ids: list[str] = []
        keep_docs: list[Document] = []
        if old:
            dropped = {cid for s in list(upserts) + list(removals) if s in manifest for cid in manifest[s].chunk_ids}
            for cid, doc in zip(old.ids, old.chunks, strict=True):
                if cid not in dropped:
                    keep_ids.append(cid)
                    keep_docs.append(doc)
        for source in removals:
            manifest.pop(source, None)
        new_ids: list[str] = []
        new_docs: list[Document] = []
        for source, (given, docs) in upserts.items():
            entry = replace(
                given, chunk_ids=[f"{content_hash(source.encode())[:8]}-{given.hash}:{i}" for i in range(len(docs))]
            )
            manifest[source] = entry
            new_ids += entry.chunk_ids
            new_docs += docs

        self._discard(generation, name)  # an interrupted run's leftovers under this number
        collection = self.client.create_collection(
            name, embedding_function=None, metadata={"hnsw:space": "cosine", "embedding_model": self.model_id}
        )
        if old and keep_ids:
            self._copy_vectors(self.collection(old), collection, keep_ids)
        self._embed_into(collection, new_ids, new_docs, progress, should_cancel)
        rows = [
            {"id": cid, "text": doc.page_content, "metadata": doc.metadata}
            for cid, doc in zip(keep_ids + new_ids, keep_docs + new_docs, strict=True)
        ]
        self.meta.save(generation, rows, {k: v.__dict__ for k, v in manifest.items()})
        self.meta.swap({"generation": generation, "collection": name, "embedding_model": self.model_id})

    def _collection_generations(self) -> dict[int, str]:
        prefix = self.settings.chroma_collection_prefix + "_g"
        out = {}
        for col in self.client.list_collections():
            name = col if isinstance(col, str) else col.name
            if name.startswith(prefix) and name[len(prefix) :].isdigit():
                out[int(name[len(prefix) :])] = name
        return out

    def _collect(self, keep: set[int]) -> None:
        """Drop every generation but the live one and the one it replaced (a reader may still be on it).

        Runs only in a writer, under the lock, right after its swap, so nothing being built is dropped and
        read-only commands never delete anything."""
        collections = self._collection_generations()
        for gen in (self.meta.generations() | set(collections)) - keep:
            self._discard(gen, collections.get(gen, f"{self.settings.chroma_collection_prefix}_g{gen}"))
        if not self.settings.chroma_url:
            tidy(self.root / "chroma")

    def _next_free_generation(self) -> int:
        return max(self.meta.generations() | set(self._collection_generations()), default=0) + 1

    def _discard(self, generation: int, name: str) -> None:
        try:
            self.meta.drop(generation)
            self.client.delete_collection(name)
        except Exception:  # noqa: BLE001 - absent collection (or an unreachable disk): nothing more to do
            pass

    @staticmethod
    def _copy_vectors(src, dst, chunk_ids: list[str], batch: int = 100) -> None:
        """Carry unchanged chunks' sentence vectors over to the new generation without re-embedding."""
        for start in range(0, len(chunk_ids), batch):
            part = chunk_ids[start : start + batch]
            got = src.get(where={"chunk_id": {"$in": part}}, include=["embeddings", "documents", "metadatas"])
            if got["ids"]:
                dst.add(
                    ids=got["ids"],
                    embeddings=got["embeddings"],
                    documents=got["documents"],
                    metadatas=got["metadatas"],
                )

    def _embed_into(
        self,
        collection,
        ids: list[str],
        docs: list[Document],
        progress: bool,
        should_cancel: Callable[[], bool] | None,
    ) -> None:
        """Embed every sentence of the new chunks; vector ids are `<chunk id>#<n>`, metadata names the chunk.

        Small batches: between them a question gets the embedder, a cancel request is seen and a shared lease
        is renewed."""
        rows = [
            (f"{cid}#{j}", text, cid)
            for cid, doc in zip(ids, docs, strict=True)
            for j, text in enumerate(vector_texts(doc))
        ]
        batch = max(1, self.settings.ingest_embed_batch)
        bar = tqdm(total=len(rows), desc="嵌入向量", unit="句", disable=not progress or not rows)
        for start in range(0, len(rows), batch):
            if should_cancel is not None and should_cancel():
                raise IngestCancelled("已取消导入：知识库保持原样，可稍后重新导入。")
            self.lock.renew()
            part = rows[start : start + batch]
            vectors = np.asarray(self.embeddings.embed_documents([t for _, t, _ in part]), dtype=np.float32)
            collection.add(
                ids=[vid for vid, _, _ in part],
                embeddings=vectors,
                documents=[t for _, t, _ in part],
                metadatas=[{"chunk_id": cid} for _, _, cid in part],
            )
            bar.update(len(part))
        bar.close()
