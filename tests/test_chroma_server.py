"""The index on a real Chroma server (`chroma run`): build, retrieve, add, remove."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.service import Assistant

pytestmark = pytest.mark.slow


def chroma_cli() -> str | None:
    beside_python = Path(sys.executable).parent / "chroma"
    return str(beside_python) if beside_python.is_file() else shutil.which("chroma")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_heartbeat(url: str, proc: subprocess.Popen, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma run exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"no heartbeat from {url} within {timeout_s:.0f} s")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cli = chroma_cli()
    if cli is None:
        pytest.skip("the `chroma` CLI (from the chromadb package) is not installed")
    port = free_port()
    db = tmp_path_factory.mktemp("chroma-server")
    log = open(db.parent / f"chroma-{port}.log", "wb")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen(
        [cli, "run", "--path", str(db), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_heartbeat(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def test_index_on_chroma_server(
    chroma_server: str,
    tmp_path: Path,
    embedding_memo: dict,
    make_settings: Callable[..., Settings],
) -> None:
    import chromadb

    settings = make_settings(tmp_path / "data", chroma_url=chroma_server)
    a = Assistant.from_settings(settings, progress=False)  # syncs the committed corpus into the server
    state = a.store.current()
    assert state is not None and len(state.chunks) > 100
    assert not (settings.index_dir / "chroma").exists()  # no embedded database: vectors live in the server

    port = int(chroma_server.rsplit(":", 1)[1])
    server = chromadb.HttpClient(host="127.0.0.1", port=port)
    names = {c if isinstance(c, str) else c.name for c in server.list_collections()}
    assert names == {state.collection}
    vectors = server.get_collection(state.collection).get(include=["metadatas"])["metadatas"]
    assert {m["chunk_id"] for m in vectors} == set(state.ids)  # per-sentence vectors, each naming its chunk

    docs = a.retrieve("管理评审谁来主持？", k=5)
    assert any("3. 管理评审" in d.metadata["section"] for d in docs[:3])
    assert all(d.metadata["dense"] > 0 for d in docs[:3])  # dense scores come from the server

    upload = tmp_path / "计量器具管理办法.md"
    upload.write_text(
        "# 计量器具管理办法\n\n## 一、校准周期\n\n游标卡尺每六个月送市计量院校准一次，校准合格后贴绿色标签。\n",
        encoding="utf-8",
    )
    report = a.ingest_files([upload], progress=False)
    assert report.added == ["uploads/计量器具管理办法.md"]
    live = a.store.current()
    assert live is not None and live.generation == state.generation + 1
    hit = next(d for d in a.retrieve("游标卡尺多久校准一次？", k=5) if "游标卡尺" in d.page_content)
    assert hit.metadata["source"] == "uploads/计量器具管理办法.md"
    assert hit.metadata["section"] == "一、校准周期"
    # The swap dropped the previous generation's collection on the server.
    names = {c if isinstance(c, str) else c.name for c in server.list_collections()}
    assert names == {live.collection}
    vectors = server.get_collection(live.collection).get(include=["metadatas"])["metadatas"]
    assert {m["chunk_id"] for m in vectors} == set(live.ids)
    assert len(live.ids) == len(state.ids) + report.chunks

    a.remove_source("uploads/计量器具管理办法.md")
    assert all("游标卡尺" not in d.page_content for d in a.retrieve("游标卡尺多久校准一次？", k=5))
