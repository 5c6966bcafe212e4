"""`python -m assistant.training.vectors [--check]`: ship the sentence vectors of the question bank's texts.

The short-answer grader compares answers with key points, contrasts (wrong answers) and each question's
reference; about 600 fixed texts. Embedding them costs 5–20 s of CPU in every process that grades (each
`qms quiz grade`), so their vectors are committed next to the corpus's own (corpus/vectors/training-*.npz,
float16, keyed like the corpus vectors). Texts missing from the file (a bank edited since) are embedded on the fly;
re-run this after editing scenarios.yaml, quiz_extra.yaml or the lists, and `--check` tells whether it is needed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.config import Settings, load_settings
from assistant.embedding_cache import ShippedVectors, shipped_vectors_path, vector_key, write_shipped_vectors
from assistant.embeddings import embedding_model_id, get_embeddings


def vectors_path(settings: Settings) -> Path:
    corpus_path = shipped_vectors_path(settings.corpus_dir, embedding_model_id(settings))
    return corpus_path.with_name("training-" + corpus_path.name)


def bank_texts(corpus_dir: Path) -> list[str]:
    """Every fixed text the grader embeds: each short question's about-text, key points and contrasts."""
    from assistant.training.bank import default_bank

    texts: list[str] = []
    for q in default_bank(Path(corpus_dir)).questions:
        if q.type == "short":
            texts += [q.question + q.reference, *q.key_points, *q.contrast]
    return list(dict.fromkeys(texts))


def missing_texts(settings: Settings) -> list[str]:
    model_id = embedding_model_id(settings)
    shipped = ShippedVectors(vectors_path(settings))
    return [t for t in bank_texts(settings.corpus_dir) if shipped.get(vector_key(model_id, t)) is None]


def ship(settings: Settings) -> int:
    model_id = embedding_model_id(settings)
    texts = bank_texts(settings.corpus_dir)
    embedder = get_embeddings(settings.model_copy(update={"embedding_cache": ""}))
    vectors = embedder.embed_documents(texts)
    write_shipped_vectors(
        vectors_path(settings), {vector_key(model_id, t): v for t, v in zip(texts, vectors, strict=True)}
    )
    return len(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="只检查是否需要重新生成")
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.check:
        missing = missing_texts(settings)
        print(f"题库句向量缺少 {len(missing)} 条：{vectors_path(settings)}")
        return 1 if missing else 0
    print(f"已写入 {ship(settings)} 条题库句向量：{vectors_path(settings)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
