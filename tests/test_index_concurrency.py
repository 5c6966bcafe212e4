"""Several processes on one data dir: writers take turns, read-only commands delete nothing, readers reopen.

Real `qms` subprocesses against a real index (issue 13 items 2-4).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT, Settings
from assistant.service import Assistant


def qms(data_dir: Path, *args: str, **settings: str) -> subprocess.Popen:
    """Start `qms ARGS` on `data_dir`, isolated from the developer's QMS_* settings (plus `settings`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QMS_")}
    env.update(QMS_DATA_DIR=str(data_dir), QMS_CONFIG=str(data_dir / "absent.toml"), PYTHONUNBUFFERED="1")
    env.update({f"QMS_{k.upper()}": v for k, v in settings.items()})
    return subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", *args],
        cwd=str(REPO_ROOT),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def writer_lock_held(data_dir: Path) -> bool:
    """True while some process holds the index's writer lock (probed without waiting)."""
    path = data_dir / "index" / "writer.lock"
    if not path.exists():
        return False
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def procedure(title: str, lines: list[str]) -> str:
    body = "\n\n".join(f"## {n + 1}. 条目\n\n{line}" for n, line in enumerate(lines))
    return f"# {title}\n\n{body}\n"


def test_two_ingest_processes_keep_both_documents(tmp_path: Path, make_settings: Callable[..., Settings]) -> None:
    data = tmp_path / "data"
    docs = {
        "叉车安全操作规程.md": ["叉车司机每班作业前检查制动器和喇叭，发现异常立即停用并报告设备员。"],
        "来料抽检规范.md": ["来料抽检按批次进行，每批随机抽取十三件核对尺寸和外观并填写检验单。"],
    }
    paths = []
    for name, lines in docs.items():
        path = tmp_path / name
        path.write_text(procedure(name.removesuffix(".md"), lines), encoding="utf-8")
        paths.append(path)
    # Both start on an empty data dir at once: one builds the index, the other waits for it, then both add.
    procs = [qms(data, "ingest", str(p)) for p in paths]
    results = [finish(p) for p in procs]
    for (code, out), path in zip(results, paths, strict=True):
        assert code == 0, out
        assert f"新增 uploads/{path.name}" in out
    a = Assistant.from_settings(make_settings(data), progress=False)
    sources = {str(row["source"]) for row in a.list_sources()}
    assert {f"uploads/{p.name}" for p in paths} <= sources
    assert any("制动器" in d.page_content for d in a.retrieve("叉车作业前检查什么？", k=3))
    assert any("十三件" in d.page_content for d in a.retrieve("来料每批抽几件？", k=3))


def test_commands_and_readers_during_a_cli_ingest(tmp_path: Path, make_settings: Callable[..., Settings]) -> None:
    data = tmp_path / "data"
    reader = Assistant.from_settings(make_settings(data), progress=False)  # the running app, in this process
    line = "第{n}号冲床每日开机前由操作工点检离合器、润滑油位和光电保护装置，记录编号DJ{n:03d}。"
    lines = [line.format(n=n) for n in range(400)]
    doc = tmp_path / "冲床点检规程.md"
    doc.write_text(procedure("冲床点检规程", lines), encoding="utf-8")

    ingest = qms(data, "ingest", str(doc), ingest_embed_batch="4")  # long enough to act during it
    deadline = time.monotonic() + 180
    while not writer_lock_held(data):
        assert ingest.poll() is None, finish(ingest)[1]
        assert time.monotonic() < deadline, "the ingest never took the writer lock"
        time.sleep(0.05)

    # During the ingest: questions to the open app, a read-only command and a second app start.
    answered: list[bool] = []

    def ask_until_done() -> None:
        while ingest.poll() is None:
            answer = reader.ask("管理评审谁来主持？")
            answered.append(answer.covered and bool(answer.citations))

    asking = threading.Thread(target=ask_until_done)
    asking.start()
    code, out = finish(qms(data, "kb", "list"))
    assert code == 0, out
    assert "指南" in out
    assert writer_lock_held(data), "kb list waited for the ingest (or the ingest finished too early to tell)"
    second = Assistant.from_settings(make_settings(data), progress=False)
    code, out = finish(ingest)
    asking.join(timeout=60)
    assert code == 0, out
    assert "新增 uploads/冲床点检规程.md" in out
    assert answered and all(answered)

    # Both readers see the new generation without a restart.
    for a in (reader, second):
        hits = a.retrieve("第77号冲床开机前点检什么？", k=3)
        assert any("DJ077" in d.page_content for d in hits)
        assert a.ask("管理评审谁来主持？").covered


def test_questions_never_fail_while_the_app_ingests_and_removes(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    a = Assistant.from_settings(make_settings(tmp_path / "data"), progress=False)
    errors: list[BaseException] = []
    asked = 0
    stop = threading.Event()

    def ask_forever() -> None:
        nonlocal asked
        while not stop.is_set():
            try:
                a.ask("不合格品怎么处理？")
                asked += 1
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    thread = threading.Thread(target=ask_forever)
    thread.start()
    try:
        for n in range(3):
            doc = tmp_path / f"临时通知{n}.md"
            doc.write_text(procedure(f"临时通知{n}", [f"第{n}批次的返工品由品质部复检后方可入库。"]), encoding="utf-8")
            assert a.ingest_files([doc], progress=False).added
            a.remove_source(f"uploads/{doc.name}")
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors, errors[:3]
    assert asked >= 3


@pytest.mark.parametrize("command", [("kb", "list"), ("ask", "内审怎么做？")])
def test_read_only_commands_delete_nothing(tmp_path: Path, make_settings: Callable[..., Settings], command) -> None:
    """A generation left by a killed writer is not touched by readers (only the next writer may collect it)."""
    data = tmp_path / "data"
    a = Assistant.from_settings(make_settings(data), progress=False)
    live = a.store.current()
    assert live is not None
    leftover = data / "index" / f"g{live.generation + 1}"
    leftover.mkdir()
    (leftover / "chunks.jsonl").write_text("", encoding="utf-8")
    a.store.client.create_collection(f"qms_chunks_g{live.generation + 1}", embedding_function=None)
    code, out = finish(qms(data, *command))
    assert code == 0, out
    assert leftover.is_dir()
    names = {c if isinstance(c, str) else c.name for c in a.store.client.list_collections()}
    assert f"qms_chunks_g{live.generation + 1}" in names


def _start_stores(root: str, rounds: int, barrier, errors) -> None:  # noqa: ANN001 - multiprocessing objects
    """One of two processes starting the embedded store on the same fresh data dirs, in lock step."""
    from chromadb.api.shared_system_client import SharedSystemClient

    from ingest.index import chroma_client

    for n in range(rounds):
        data = Path(root) / str(n)
        settings = Settings(data_dir=data, llm_backend="none", _env_file=None)
        barrier.wait(timeout=60)
        try:
            chroma_client(settings).get_or_create_collection("probe")
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.put(f"{n}: {type(exc).__name__}: {exc}")
        SharedSystemClient.clear_system_cache()


def test_two_processes_start_the_embedded_store_at_once(tmp_path: Path) -> None:
    """Embedded Chroma creates its tables on first start without guarding against another process doing the
    same ("table collections already exists", "database is locked"): two `qms` commands on a new data dir."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    barrier, errors = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_start_stores, args=(str(tmp_path), 20, barrier, errors)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert all(p.exitcode == 0 for p in procs)
    found = []
    while not errors.empty():
        found.append(errors.get())
    assert not found, found
