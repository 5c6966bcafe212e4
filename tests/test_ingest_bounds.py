"""Bounded ingest (issue 13 item 6): hard split, per-file caps, cancellation from the API and from Ctrl-C."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_index_concurrency import finish, qms, writer_lock_held

from assistant.config import Settings
from assistant.errors import IngestCancelled
from assistant.service import Assistant
from ingest.chunking import chunk_markdown
from ingest.pipeline import Ingestor

UNPUNCTUATED = "质量管理体系文件应当经过审批后发布并在使用场所得到有效版本"


def collection_names(a: Assistant) -> set[str]:
    return {c if isinstance(c, str) else c.name for c in a.store.client.list_collections()}


def big_procedure(n: int) -> str:
    body = "\n\n".join(f"## {i}. 工位\n\n第{i}号工位每班首件由检验员确认并签字，编号SJ{i:04d}。" for i in range(n))
    return f"# 首件检验规程\n\n{body}\n"


# ---- hard split --------------------------------------------------------------------------------------------
def test_unpunctuated_text_is_cut_at_the_size_limit() -> None:
    text = UNPUNCTUATED * 3000  # 87,000 characters, not one sentence mark
    started = time.perf_counter()
    docs = chunk_markdown(text, source="uploads/长文.txt", max_chars=360, min_chars=80)
    assert time.perf_counter() - started < 5
    assert docs and max(len(d.page_content) for d in docs) <= 360
    assert "".join(d.page_content.replace("\n", "") for d in docs) == text  # nothing lost or repeated


def test_hard_cuts_prefer_commas_and_split_giant_table_rows() -> None:
    clause = "检验员核对图纸尺寸并记录实测值，"
    docs = chunk_markdown(clause * 200, source="x", max_chars=100, min_chars=10)
    assert all(len(d.page_content) <= 100 for d in docs)
    assert all(d.page_content.endswith("，") for d in docs[:-1])
    table = "| 项目 | 说明 |\n|---|---|\n| 长行 | " + "甲" * 1000 + " |"
    docs = chunk_markdown(table, source="t", max_chars=200, min_chars=10)
    assert len(docs) >= 5 and all(len(d.page_content) <= 200 for d in docs)


# ---- caps per upload ---------------------------------------------------------------------------------------
def test_a_2_mb_unpunctuated_upload_is_refused_quickly(built_assistant: Assistant, tmp_path: Path) -> None:
    kb = built_assistant
    before = kb.store.current()
    path = tmp_path / "无标点长文.txt"
    path.write_text(UNPUNCTUATED * (2_000_000 // len(UNPUNCTUATED.encode())), encoding="utf-8")
    assert path.stat().st_size > 1_900_000
    started = time.perf_counter()
    report = kb.ingest_files([path], progress=False)
    elapsed = time.perf_counter() - started
    assert elapsed < 30, elapsed
    message = report.failed["无标点长文.txt"]
    assert "万字" in message and "ingest_max_chars" in message and "拆分" in message
    assert not report.changed and kb.store.current() == before


def test_chunk_cap_refuses_with_a_chinese_message(built_assistant: Assistant, tmp_path: Path) -> None:
    kb = built_assistant
    path = tmp_path / "首件检验规程.md"
    path.write_text(big_procedure(40), encoding="utf-8")
    capped = Ingestor(kb.store, kb.settings.model_copy(update={"ingest_max_chunks": 10}))
    report = capped.add_files([path], progress=False)
    assert "ingest_max_chunks" in report.failed["首件检验规程.md"] and "个片段" in report.failed["首件检验规程.md"]
    assert not report.changed


# ---- questions interleave with an ingest -------------------------------------------------------------------
def test_questions_are_answered_during_a_200_kb_unpunctuated_upload(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    a = Assistant.from_settings(make_settings(tmp_path / "data"), progress=False)
    assert a.ask("管理评审谁来主持？").covered  # warm: the first question loads the answering models
    path = tmp_path / "无标点长文.txt"
    path.write_text(UNPUNCTUATED * (200 * 1024 // len(UNPUNCTUATED.encode())), encoding="utf-8")
    done = threading.Event()
    reports = []

    def ingest() -> None:
        try:
            reports.append(a.ingest_files([path], progress=False))
        finally:
            done.set()

    started = time.perf_counter()
    worker = threading.Thread(target=ingest)
    worker.start()
    waits = []
    while not done.is_set():
        asked = time.perf_counter()
        assert a.ask("管理评审谁来主持？").covered
        waits.append(time.perf_counter() - asked)
        time.sleep(0.2)
    worker.join()
    assert reports and reports[0].added == ["uploads/无标点长文.txt"]
    assert 150 < reports[0].chunks < 260  # cut at 360 characters, not one 66,000-character chunk
    assert time.perf_counter() - started < 300
    # Embedding goes in batches of 16 sentences: a question waits for one batch at most, not for the upload.
    assert len(waits) >= 3 and max(waits) < 8, waits


# ---- cancellation ------------------------------------------------------------------------------------------
def test_cancel_ingest_leaves_the_index_as_it_was(tmp_path: Path, make_settings: Callable[..., Settings]) -> None:
    a = Assistant.from_settings(make_settings(tmp_path / "data", ingest_embed_batch=4), progress=False)
    before = a.store.current()
    assert before is not None
    path = tmp_path / "首件检验规程.md"
    path.write_text(big_procedure(150), encoding="utf-8")
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(a.ingest_files([path], progress=False))
        except BaseException as exc:  # noqa: BLE001 - asserted below
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 120
    while not a.store.lock.held:  # the build (and its embedding) has started
        assert worker.is_alive() and time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.3)
    a.cancel_ingest()
    worker.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], IngestCancelled), outcome
    assert "已取消" in str(outcome[0])
    assert a.store.current() == before
    assert collection_names(a) == {before.collection}
    assert not writer_lock_held(a.settings.data_dir)
    # The next ingest is not cancelled by the earlier request.
    small = tmp_path / "小文件.md"
    small.write_text("# 小文件\n\n## 一\n\n返工品复检合格后方可入库。\n", encoding="utf-8")
    assert a.ingest_files([small], progress=False).added == ["uploads/小文件.md"]


def test_ctrl_c_stops_a_cli_ingest_and_releases_the_lock(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    data = tmp_path / "data"
    a = Assistant.from_settings(make_settings(data), progress=False)
    before = a.store.current()
    assert before is not None
    path = tmp_path / "首件检验规程.md"
    path.write_text(big_procedure(300), encoding="utf-8")
    proc = qms(data, "ingest", str(path), ingest_embed_batch="4")
    deadline = time.monotonic() + 180
    while not writer_lock_held(data):
        assert proc.poll() is None, finish(proc)[1]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    code, out = finish(proc, timeout=60)
    assert time.monotonic() - started < 30
    assert code == 130, out
    assert "已取消导入" in out and "Traceback" not in out
    assert not writer_lock_held(data)
    assert a.store.current() == before  # the pointer never moved
    assert collection_names(a) == {before.collection}  # the half-built generation was dropped
    assert sorted(p.name for p in (data / "index").glob("g*")) == [f"g{before.generation}"]


@pytest.fixture(autouse=True)
def _no_leftover_uploads(built_assistant: Assistant) -> None:
    yield
    for row in built_assistant.list_sources():
        if row["kind"] == "user":
            built_assistant.remove_source(str(row["source"]))
