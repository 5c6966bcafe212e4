"""Where an index keeps everything but its vectors: the live-generation pointer, chunk texts, manifest, BM25.

- `LocalMeta`: files under `<data_dir>/index/` (CURRENT.json, g<N>/chunks.jsonl, manifest.json, bm25/).
- `SharedMeta`: records in a `<kb>_meta` collection on the Chroma server, so every instance that names the same
  server and knowledge base reads one pointer, one manifest and one set of chunks; BM25 is rebuilt in memory
  from the shared chunks (seconds for thousands of chunks) instead of being shipped between machines.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Protocol

import bm25s
from langchain_core.documents import Document

from ingest.chunking import index_text
from ingest.tokenize import tokenize

Pointer = dict[str, Any]  # {"generation": int, "collection": str, "embedding_model": str}
Rows = list[dict[str, Any]]  # chunk rows {"id", "text", "metadata"}


def build_bm25(texts: list[str]) -> bm25s.BM25:
    retriever = bm25s.BM25()
    # An empty corpus still needs a usable model: index one placeholder token.
    retriever.index([tokenize(t) or ["∅"] for t in texts] or [["∅"]], show_progress=False)
    return retriever


def row_document(row: dict[str, Any]) -> Document:
    return Document(id=row["id"], page_content=row["text"], metadata=row["metadata"])


class Meta(Protocol):
    def pointer(self) -> Pointer | None: ...
    def token(self) -> object: ...
    def load(self, generation: int) -> tuple[Rows, dict[str, dict]]: ...
    def save(self, generation: int, rows: Rows, manifest: dict[str, dict]) -> None: ...
    def bm25(self, generation: int, chunks: list[Document]) -> bm25s.BM25: ...
    def swap(self, pointer: Pointer) -> None: ...
    def generations(self) -> set[int]: ...
    def drop(self, generation: int) -> None: ...


class LocalMeta:
    """Pointer and generations as files; CURRENT.json is replaced atomically, so readers see old or new."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.current_path = root / "CURRENT.json"

    def pointer(self) -> Pointer | None:
        try:
            return json.loads(self.current_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def token(self) -> object:
        """Changes whenever CURRENT.json is replaced (a new inode each time): a stat, no read."""
        try:
            st = self.current_path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def load(self, generation: int) -> tuple[Rows, dict[str, dict]]:
        gen_dir = self.root / f"g{generation}"
        with open(gen_dir / "chunks.jsonl", encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh]
        return rows, json.loads((gen_dir / "manifest.json").read_text(encoding="utf-8"))

    def save(self, generation: int, rows: Rows, manifest: dict[str, dict]) -> None:
        gen_dir = self.root / f"g{generation}"
        shutil.rmtree(gen_dir, ignore_errors=True)  # left by an interrupted run: we hold the writer lock
        gen_dir.mkdir(parents=True)
        with open(gen_dir / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        (gen_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        build_bm25([index_text(row_document(r)) for r in rows]).save(str(gen_dir / "bm25"))

    def bm25(self, generation: int, chunks: list[Document]) -> bm25s.BM25:
        return bm25s.BM25.load(str(self.root / f"g{generation}" / "bm25"))

    def swap(self, pointer: Pointer) -> None:
        tmp = self.root / "CURRENT.json.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(pointer))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.current_path)  # the commit point

    def generations(self) -> set[int]:
        return {int(p.name[1:]) for p in self.root.glob("g*") if p.is_dir() and p.name[1:].isdigit()}

    def drop(self, generation: int) -> None:
        shutil.rmtree(self.root / f"g{generation}", ignore_errors=True)


class SharedMeta:
    """Pointer, manifest and chunks as records of `<kb>_meta` on the Chroma server (dummy 1-d embeddings)."""

    _BATCH = 200

    def __init__(self, client, kb_name: str) -> None:
        self.collection = client.get_or_create_collection(f"{kb_name}_meta", embedding_function=None)

    def _put(self, ids: list[str], documents: list[str], metadatas: list[dict]) -> None:
        for start in range(0, len(ids), self._BATCH):
            end = start + self._BATCH
            self.collection.upsert(
                ids=ids[start:end],
                documents=documents[start:end],
                metadatas=metadatas[start:end],
                embeddings=[[0.0]] * len(ids[start:end]),
            )

    def record(self, record_id: str) -> tuple[str, dict] | None:
        got = self.collection.get(ids=[record_id], include=["documents", "metadatas"])
        return (got["documents"][0], got["metadatas"][0]) if got["ids"] else None

    def put_record(self, record_id: str, document: str, metadata: dict) -> None:
        self._put([record_id], [document], [metadata])

    def delete_record(self, record_id: str) -> None:
        self.collection.delete(ids=[record_id])

    def pointer(self) -> Pointer | None:
        got = self.record("current")
        return json.loads(got[0]) if got else None

    def token(self) -> object:
        got = self.record("current")
        return got[0] if got else None

    def load(self, generation: int) -> tuple[Rows, dict[str, dict]]:
        got = self.collection.get(where={"generation": generation}, include=["documents", "metadatas"])
        rows: list[tuple[int, dict]] = []
        manifest: dict[str, dict] = {}
        for doc, meta in zip(got["documents"], got["metadatas"], strict=True):
            if meta["part"] == "manifest":
                manifest = json.loads(doc)
            else:
                rows.append((int(meta["n"]), json.loads(doc)))
        return [row for _, row in sorted(rows, key=lambda r: r[0])], manifest

    def save(self, generation: int, rows: Rows, manifest: dict[str, dict]) -> None:
        self.drop(generation)
        ids = [f"g{generation}/manifest"] + [f"g{generation}/c{n}" for n in range(len(rows))]
        docs = [json.dumps(manifest, ensure_ascii=False)] + [json.dumps(r, ensure_ascii=False) for r in rows]
        metas = [{"generation": generation, "part": "manifest", "n": -1}] + [
            {"generation": generation, "part": "chunk", "n": n} for n in range(len(rows))
        ]
        # The manifest goes last: a generation without one is incomplete and never pointed at.
        self._put(ids[1:], docs[1:], metas[1:])
        self._put(ids[:1], docs[:1], metas[:1])

    def bm25(self, generation: int, chunks: list[Document]) -> bm25s.BM25:
        return build_bm25([index_text(d) for d in chunks])

    def swap(self, pointer: Pointer) -> None:
        self.put_record("current", json.dumps(pointer), {"generation": -1, "part": "pointer", "n": -1})

    def generations(self) -> set[int]:
        got = self.collection.get(where={"part": "manifest"}, include=["metadatas"])
        return {int(m["generation"]) for m in got["metadatas"]}

    def drop(self, generation: int) -> None:
        self.collection.delete(where={"generation": generation})
