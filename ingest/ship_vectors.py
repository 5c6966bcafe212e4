"""`python -m ingest.ship_vectors [--check]`: write the committed corpus's sentence vectors to corpus/vectors/.

A fresh clone then opens its first index without embedding the corpus (about 40 s of CPU otherwise). Re-run it
after changing the guide, the clause file or the chunking; sentences whose text is unchanged keep their vectors,
so an unchanged corpus rewrites the same bytes. `--check` only reports whether the file is up to date.
"""

from __future__ import annotations

import argparse
import sys
import time

from assistant.config import Settings, load_settings
from assistant.embedding_cache import ShippedVectors, shipped_vectors_path, vector_key, write_shipped_vectors
from assistant.embeddings import embedding_model_id, get_embeddings
from assistant.understanding import ConceptModel
from assistant.understanding.similar import ConceptVectors, concept_text
from ingest.chunking import vector_texts
from ingest.index import corpus_sources


def corpus_vector_texts(settings: Settings) -> list[str]:
    """Every text the index embeds for the committed corpus, in index order, without repeats; then the topic
    descriptions that questions are compared with by meaning (assistant/understanding/similar.py)."""
    texts: list[str] = []
    for _, make_docs in corpus_sources(settings).values():
        for doc in make_docs():
            texts += vector_texts(doc)
    model = ConceptModel.load(settings.corpus_dir)
    texts += [concept_text(c) for c in ConceptVectors(model, lambda _: []).concepts]
    return list(dict.fromkeys(texts))


def stale_texts(settings: Settings) -> list[str]:
    """Corpus texts that the shipped file lacks (empty when it is up to date)."""
    model_id = embedding_model_id(settings)
    shipped = ShippedVectors(shipped_vectors_path(settings.corpus_dir, model_id))
    return [t for t in corpus_vector_texts(settings) if shipped.get(vector_key(model_id, t)) is None]


def ship(settings: Settings) -> tuple[int, int]:
    """Rewrite the shipped file with exactly the corpus's texts; returns (vectors, newly embedded)."""
    model_id = embedding_model_id(settings)
    path = shipped_vectors_path(settings.corpus_dir, model_id)
    shipped = ShippedVectors(path)
    texts = corpus_vector_texts(settings)
    vectors = {vector_key(model_id, t): shipped.get(vector_key(model_id, t)) for t in texts}
    todo = [t for t in texts if vectors[vector_key(model_id, t)] is None]
    if todo:
        raw = get_embeddings(settings.model_copy(update={"embedding_cache": ""}))
        vectors.update(zip((vector_key(model_id, t) for t in todo), raw.embed_documents(todo), strict=True))
    write_shipped_vectors(path, vectors)  # type: ignore[arg-type]
    return len(vectors), len(todo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.ship_vectors", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="只检查 corpus/vectors/ 是否与语料一致")
    args = parser.parse_args(argv)
    # The shipped vectors serve a default install: default chunk sizes whatever the caller's QMS_* say.
    defaults = {name: Settings.model_fields[name].default for name in ("chunk_max_chars", "chunk_min_chars")}
    settings = load_settings(**defaults)
    path = shipped_vectors_path(settings.corpus_dir, embedding_model_id(settings))
    if args.check:
        stale = stale_texts(settings)
        print(f"{path}：{'最新' if not stale else f'缺少 {len(stale)} 句，请执行 python -m ingest.ship_vectors'}")
        return 1 if stale else 0
    started = time.perf_counter()
    total, embedded = ship(settings)
    print(f"已写入 {path}：{total} 句向量（新计算 {embedded} 句），用时 {time.perf_counter() - started:.1f} 秒")
    return 0


if __name__ == "__main__":
    sys.exit(main())
