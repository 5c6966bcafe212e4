"""The corpus ships its sentence vectors: a fresh data dir embeds nothing the repo already has."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.embeddings import get_embeddings
from assistant.service import Assistant
from ingest.ship_vectors import corpus_vector_texts, stale_texts

REPO_CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture
def embedded(make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every text the real model is asked to embed as a passage while the test runs."""
    inner = get_embeddings(make_settings(Path("unused"), embedding_cache=""))
    real = inner.embed_documents
    seen: list[str] = []

    def counting(texts: list[str]) -> list[list[float]]:
        seen.extend(texts)
        return real(texts)

    monkeypatch.setattr(inner, "embed_documents", counting)
    yield seen


def test_shipped_vectors_match_the_committed_corpus(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(Path("unused"))
    assert len(corpus_vector_texts(settings)) > 300
    stale = stale_texts(settings)
    assert stale == [], f"{len(stale)} corpus sentences lack shipped vectors: run `python -m ingest.ship_vectors`"


def test_fresh_data_dir_embeds_nothing_for_the_corpus(
    tmp_path: Path, make_settings: Callable[..., Settings], embedded: list[str]
) -> None:
    a = Assistant.from_settings(make_settings(tmp_path / "data"), progress=False)
    assert embedded == []
    state = a.store.current()
    assert state is not None and len(state.chunks) > 100
    docs = a.retrieve("管理评审谁来主持？", k=3)
    assert any("管理评审" in d.metadata["section"] for d in docs)
    assert all(d.metadata["dense"] > 0.8 for d in docs)  # the shipped vectors are the model's own
    # Nothing was written to the per-data-dir cache either: there was nothing to add.
    assert not (tmp_path / "data" / "embedding-cache.sqlite3").exists()


def test_only_changed_sentences_are_embedded(
    tmp_path: Path, make_settings: Callable[..., Settings], embedded: list[str]
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO_CORPUS, corpus)
    guide = corpus / "guide" / "guide.md"
    text = guide.read_text(encoding="utf-8")
    old = "管理评审"
    assert old in text
    edited = text.replace(old, "管理层评审会议", 1)
    guide.write_text(edited, encoding="utf-8")
    a = Assistant.from_settings(make_settings(tmp_path / "data", corpus_dir=corpus), progress=False)
    assert embedded, "the edited sentence must be embedded"
    # Only the edited chunk's sentences miss the shipped vectors, a tiny part of the corpus.
    assert len(embedded) <= 10 and any("管理层评审会议" in t for t in embedded)
    total = len(corpus_vector_texts(a.settings))
    assert total > 30 * len(embedded)
