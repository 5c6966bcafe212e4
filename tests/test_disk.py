"""The index on disk: bounded after many ingests and a killed writer (item 10); a full disk (item 9).

The full disk is real: a 24 MB tmpfs holding the data dir, filled to the last byte (needs root to mount; the
test skips elsewhere).
"""

from __future__ import annotations

import errno
import os
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_index_concurrency import finish, qms, writer_lock_held

from assistant.config import Settings
from assistant.errors import QMSError
from assistant.service import Assistant

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def segment_folders(data_dir: Path) -> list[str]:
    return [p.name for p in (data_dir / "index" / "chroma").iterdir() if p.is_dir() and UUID.match(p.name)]


def collection_names(a: Assistant) -> set[str]:
    return {c if isinstance(c, str) else c.name for c in a.store.client.list_collections()}


def note(path: Path, n: int) -> Path:
    path.write_text(f"# 临时通知{n}\n\n## 一、要求\n\n第{n}批返工品由品质部复检合格后方可入库。\n", encoding="utf-8")
    return path


def test_disk_use_stays_bounded_after_many_swaps_and_a_killed_writer(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    data = tmp_path / "data"
    a = Assistant.from_settings(make_settings(data), progress=False)
    for n in range(5):
        doc = note(tmp_path / f"临时通知{n}.md", n)
        assert a.ingest_files([doc], progress=False).added
        a.remove_source(f"uploads/{doc.name}")
    live = a.store.current()
    assert live is not None and live.generation == 11
    # The live generation and the one it replaced: two collections, two folders, never one per swap.
    assert len(collection_names(a)) == 2 and len(segment_folders(data)) <= 2
    assert len(list((data / "index").glob("g*"))) == 2

    # kill -9 in the middle of an ingest leaves a half-built collection and its folder behind ...
    big = tmp_path / "首件检验规程.md"
    big.write_text(
        "# 首件检验规程\n\n"
        + "\n\n".join(f"## {i}. 工位\n\n第{i}号工位首件由检验员确认，编号SJ{i:04d}。" for i in range(300)),
        encoding="utf-8",
    )
    proc = qms(data, "ingest", str(big), ingest_embed_batch="4")
    deadline = time.monotonic() + 180
    while not writer_lock_held(data):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert not writer_lock_held(data)  # the OS released the dead writer's lock
    assert a.store.current() == live and a.retrieve("返工品怎么处理？", k=1)
    assert len(collection_names(a)) == 3  # the orphan

    # ... and the next writer removes it, its folder and the free pages.
    assert a.ingest_files([note(tmp_path / "最后.md", 99)], progress=False).added
    assert len(collection_names(a)) == 2 and len(segment_folders(data)) <= 2
    db = sqlite3.connect(f"file:{data / 'index' / 'chroma' / 'chroma.sqlite3'}?mode=ro", uri=True)
    free, pages = db.execute("PRAGMA freelist_count").fetchone()[0], db.execute("PRAGMA page_count").fetchone()[0]
    db.close()
    assert free <= max(256, pages // 4)  # at most 1 MB or a quarter of the file left unreclaimed


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> None:
    """Write zeros until the file system refuses even one byte."""
    fd = os.open(disk / "filler.bin", os.O_WRONLY | os.O_CREAT)
    size = 1 << 20
    try:
        while size:
            try:
                os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                size //= 2
    finally:
        os.close(fd)


def test_full_disk_ingest_fails_in_chinese_and_reading_goes_on(
    small_disk: Path, tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    data = small_disk / "data"
    settings = make_settings(data)
    a = Assistant.from_settings(settings, progress=False)
    live = a.store.current()
    fill(small_disk)
    doc = small_disk.parent / "设备点检规程.md"
    doc.write_text(
        "# 设备点检规程\n\n"
        + "\n\n".join(f"## {i}. 设备\n\n第{i}号设备每日点检润滑和紧固件，编号DJ{i:03d}。" for i in range(60)),
        encoding="utf-8",
    )
    with pytest.raises(QMSError, match="磁盘空间不足") as info:
        a.ingest_files([doc], progress=False)
    assert "原有知识库未受影响" in str(info.value)
    assert a.store.current() == live
    # Reading never needs to write: the open app, a fresh start and the CLI all still answer.
    assert a.ask("管理评审谁来主持？").covered
    assert any(row["source"] == "corpus/guide/guide.md" for row in a.list_sources())
    reopened = Assistant.from_settings(settings, progress=False)
    assert reopened.ask("内审怎么做？").covered
    for command in (("ask", "管理评审谁来主持？"), ("kb", "list")):
        code, out = finish(qms(data, *command))
        assert code == 0, out
