"""Index building: Chroma (embedded or server) + a jieba/BM25 index + a content-hash manifest.

Layout under `<data_dir>/index/`:
    CURRENT.json       which generation is live (written last, atomically)
    g<N>/              chunks.jsonl, manifest.json, bm25/ of generation N
    chroma/            the embedded Chroma database (collections `<prefix>_g<N>`)

Every change builds generation N+1 beside N (unchanged chunks' vectors are copied, not recomputed) and then
swaps CURRENT.json, so an interrupted ingest leaves generation N untouched and usable.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field

import bm25s
import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from assistant.config import Settings
from assistant.errors import QMSError
from ingest.chunking import chunk_markdown, index_text, vector_texts
from ingest.clauses import clause_documents, guide_clause_mapper
from ingest.tokenize import tokenize

CORPUS_GUIDE = "corpus/guide/guide.md"
CORPUS_CLAUSES = "corpus/iso9001/clauses.yaml"


def content_hash(data: bytes, *salt: str) -> str:
    h = hashlib.sha256(data)
    for s in salt:
        h.update(s.encode())
    return h.hexdigest()[:16]


@dataclass
class SourceEntry:
    """One ingested source in the manifest."""

    source: str
    hash: str
    kind: str
    title: str
    chunk_ids: list[str]
    added_at: float
    file: str = ""  # stored copy of a user file, relative to data_dir
    warnings: list[str] = field(default_factory=list)


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
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class IndexStore:
    """Reads and writes the index generations. Only this class writes the index."""

    def __init__(self, settings: Settings, embeddings: Embeddings, model_id: str) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.model_id = model_id
        self.root = settings.index_dir
        self.root.mkdir(parents=True, exist_ok=True)
        self.client = chroma_client(settings)

    # ---- reading -------------------------------------------------------------------------------------
    def current(self) -> IndexState | None:
        pointer = self.root / "CURRENT.json"
        if not pointer.exists():
            return None
        info = json.loads(pointer.read_text(encoding="utf-8"))
        gen_dir = self.root / f"g{info['generation']}"
        chunks, ids = [], []
        with open(gen_dir / "chunks.jsonl", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                ids.append(row["id"])
                chunks.append(Document(id=row["id"], page_content=row["text"], metadata=row["metadata"]))
        manifest = {
            k: SourceEntry(**v) for k, v in json.loads((gen_dir / "manifest.json").read_text(encoding="utf-8")).items()
        }
        return IndexState(info["generation"], info["collection"], info["embedding_model"], chunks, ids, manifest)

    def bm25(self, state: IndexState) -> bm25s.BM25:
        return bm25s.BM25.load(str(self.root / f"g{state.generation}" / "bm25"))

    def collection(self, state: IndexState):
        return self.client.get_collection(state.collection, embedding_function=None)

    # ---- writing -------------------------------------------------------------------------------------
    def apply(
        self,
        upserts: dict[str, tuple[SourceEntry, list[Document]]],
        removals: set[str] | None = None,
        *,
        progress: bool = True,
    ) -> IndexState:
        """Build the next generation with `upserts` (source → entry, chunks) and `removals`, then swap."""
        removals = removals or set()
        old = self.current()
        if old is not None and old.embedding_model != self.model_id:
            old = None  # another embedding model: vectors are not comparable, rebuild everything
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
        for source, (entry, docs) in upserts.items():
            entry.chunk_ids = [f"{content_hash(source.encode())[:8]}-{entry.hash}:{i}" for i in range(len(docs))]
            manifest[source] = entry
            new_ids += entry.chunk_ids
            new_docs += docs

        generation = (old.generation + 1) if old else self._next_free_generation()
        name = f"{self.settings.chroma_collection_prefix}_g{generation}"
        gen_dir = self.root / f"g{generation}"
        self._discard(generation, name)
        gen_dir.mkdir(parents=True)
        collection = self.client.create_collection(
            name, embedding_function=None, metadata={"hnsw:space": "cosine", "embedding_model": self.model_id}
        )
        if old and keep_ids:
            self._copy_vectors(self.collection(old), collection, keep_ids)
        self._embed_into(collection, new_ids, new_docs, progress)

        all_ids, all_docs = keep_ids + new_ids, keep_docs + new_docs
        with open(gen_dir / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for cid, doc in zip(all_ids, all_docs, strict=True):
                fh.write(
                    json.dumps({"id": cid, "text": doc.page_content, "metadata": doc.metadata}, ensure_ascii=False)
                )
                fh.write("\n")
        (gen_dir / "manifest.json").write_text(
            json.dumps({k: v.__dict__ for k, v in manifest.items()}, ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
        retriever = bm25s.BM25()
        # An empty corpus still needs a loadable BM25 model: index one placeholder token.
        retriever.index([tokenize(index_text(d)) or ["∅"] for d in all_docs] or [["∅"]], show_progress=False)
        retriever.save(str(gen_dir / "bm25"))

        tmp = self.root / "CURRENT.json.tmp"
        tmp.write_text(
            json.dumps({"generation": generation, "collection": name, "embedding_model": self.model_id}),
            encoding="utf-8",
        )
        os.replace(tmp, self.root / "CURRENT.json")  # the commit point
        self.collect_garbage()
        return self.current()  # type: ignore[return-value]

    def collect_garbage(self) -> None:
        """Drop generations other than the live one (left by finished swaps or interrupted runs)."""
        live = self.current()
        live_gen = live.generation if live else -1
        for path in self.root.glob("g*"):
            if path.is_dir() and path.name[1:].isdigit() and int(path.name[1:]) != live_gen:
                shutil.rmtree(path, ignore_errors=True)
        prefix = self.settings.chroma_collection_prefix + "_g"
        for col in self.client.list_collections():
            name = col if isinstance(col, str) else col.name
            if name.startswith(prefix) and live and name != live.collection:
                self.client.delete_collection(name)

    def _next_free_generation(self) -> int:
        gens = [int(p.name[1:]) for p in self.root.glob("g*") if p.name[1:].isdigit()]
        return max(gens, default=0) + 1

    def _discard(self, generation: int, name: str) -> None:
        shutil.rmtree(self.root / f"g{generation}", ignore_errors=True)
        try:
            self.client.delete_collection(name)
        except Exception:  # noqa: BLE001 - absent collection: nothing to discard
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

    def _embed_into(self, collection, ids: list[str], docs: list[Document], progress: bool, batch: int = 64) -> None:
        """Embed every sentence of the new chunks; vector ids are `<chunk id>#<n>`, metadata names the chunk."""
        rows = [
            (f"{cid}#{j}", text, cid)
            for cid, doc in zip(ids, docs, strict=True)
            for j, text in enumerate(vector_texts(doc))
        ]
        bar = tqdm(total=len(rows), desc="嵌入向量", unit="句", disable=not progress or not rows)
        for start in range(0, len(rows), batch):
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


# ---- turning sources into chunks ---------------------------------------------------------------------
def corpus_sources(settings: Settings) -> dict[str, tuple[SourceEntry, callable]]:
    """The committed knowledge base: the cleaned guide and the clause summaries."""
    corpus = settings.corpus_dir
    params = settings.chunking_key
    clause_bytes = (
        (corpus / "iso9001" / "clauses.yaml").read_bytes() if (corpus / "iso9001" / "clauses.yaml").exists() else b""
    )
    guide_path = corpus / "guide" / "guide.md"
    out = {}
    if guide_path.exists():
        guide = guide_path.read_bytes()
        # Guide chunks carry clause numbers from the clause file, so they depend on it too.
        entry = SourceEntry(
            CORPUS_GUIDE,
            content_hash(guide, clause_bytes.hex()[:64], params),
            "guide",
            "小微企业应用 ISO 9001 提升质量管理的实施指南",
            [],
            time.time(),
        )

        def guide_docs() -> list[Document]:
            return chunk_markdown(
                guide.decode("utf-8"),
                source=CORPUS_GUIDE,
                max_chars=settings.chunk_max_chars,
                min_chars=settings.chunk_min_chars,
                clauses_for=guide_clause_mapper(corpus),
                extra_metadata={"kind": "guide"},
            )

        out[CORPUS_GUIDE] = (entry, guide_docs)
    if clause_bytes:
        entry = SourceEntry(
            CORPUS_CLAUSES,
            content_hash(clause_bytes),
            "clause",
            "ISO 9001:2015 条款要点（自撰概述）",
            [],
            time.time(),
        )
        out[CORPUS_CLAUSES] = (entry, lambda: clause_documents(corpus, CORPUS_CLAUSES))
    return out
