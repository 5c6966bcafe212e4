"""The index on a real Chroma server (`chroma run`): build, retrieve, add, remove; instances sharing it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
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
    assert names == {state.collection, "qms_meta"}  # the vectors, and the shared pointer/manifest/chunks
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
    # The swap keeps the generation it replaced (another instance may still be reading it) and nothing older.
    names = {c if isinstance(c, str) else c.name for c in server.list_collections()}
    assert names == {state.collection, live.collection, "qms_meta"}
    vectors = server.get_collection(live.collection).get(include=["metadatas"])["metadatas"]
    assert {m["chunk_id"] for m in vectors} == set(live.ids)
    assert len(live.ids) == len(state.ids) + report.chunks

    a.remove_source("uploads/计量器具管理办法.md")
    assert all("游标卡尺" not in d.page_content for d in a.retrieve("游标卡尺多久校准一次？", k=5))


def server_collections(url: str) -> set[str]:
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=int(url.rsplit(":", 1)[1]))
    return {c if isinstance(c, str) else c.name for c in client.list_collections()}


def test_instances_on_one_server_share_one_knowledge_base(
    chroma_server: str,
    tmp_path: Path,
    embedding_memo: dict,
    make_settings: Callable[..., Settings],
) -> None:
    def instance(name: str, kb: str = "plant1") -> Assistant:
        settings = make_settings(tmp_path / name, chroma_url=chroma_server, kb_name=kb)
        return Assistant.from_settings(settings, progress=False)

    a = instance("a")
    b = instance("b")  # another machine's data dir: it opens A's knowledge base and writes nothing
    state = a.store.current()
    assert state is not None and b.store.current() == state
    assert server_collections(chroma_server) >= {"plant1_meta", "plant1_chunks_g1"}
    b_before_ingest = b.retriever

    upload = tmp_path / "模具保养规程.md"
    upload.write_text(
        "# 模具保养规程\n\n## 一、保养周期\n\n冲压模具每生产五万次由模具工拆检一次，更换磨损的导柱导套。\n",
        encoding="utf-8",
    )
    assert a.ingest_files([upload], progress=False).added == ["uploads/模具保养规程.md"]
    # Answered on B after the swap, without a restart: B notices the shared pointer and reopens.
    hit = next(d for d in b.retrieve("模具多久拆检一次？", k=5) if "五万次" in d.page_content)
    assert hit.metadata["source"] == "uploads/模具保养规程.md" and hit.metadata["dense"] > 0
    assert any(row["source"] == "uploads/模具保养规程.md" for row in b.list_sources())
    # Nothing was deleted under B: its retriever from before the swap still answers from the old generation.
    assert b_before_ingest.search("管理评审谁来主持？", k=3)[0]

    # Another knowledge-base name on the same server is a separate knowledge base.
    c = instance("c", kb="plant2")
    assert all(row["source"] != "uploads/模具保养规程.md" for row in c.list_sources())
    assert {"plant2_meta", "plant2_chunks_g1"} <= server_collections(chroma_server)
    live = a.store.current()
    assert live is not None and live.collection in server_collections(chroma_server)  # C's start deleted nothing

    # Writers on two instances take turns (the shared lease): both documents end up in the one knowledge base.
    docs = []
    for name, text in (("叉车点检.md", "叉车每班开工前点检制动和喇叭。"), ("量具校准.md", "千分尺每半年送检一次。")):
        docs.append(tmp_path / name)
        docs[-1].write_text(f"# {name[:-3]}\n\n## 要求\n\n{text}\n", encoding="utf-8")
    errors: list[BaseException] = []

    def ingest(who: Assistant, path: Path) -> None:
        try:
            who.ingest_files([path], progress=False)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=ingest, args=pair) for pair in ((a, docs[0]), (b, docs[1]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    sources = {row["source"] for row in a.list_sources()}
    assert {"uploads/叉车点检.md", "uploads/量具校准.md", "uploads/模具保养规程.md"} <= sources
    assert any("千分尺" in d.page_content for d in a.retrieve("千分尺多久送检？", k=3))

    # B removes A's upload (B has no copy of the file): gone everywhere.
    b.remove_source("uploads/模具保养规程.md")
    assert all("五万次" not in d.page_content for d in a.retrieve("模具多久拆检一次？", k=5))
    # Only the live generation and the one it replaced remain on the server for this knowledge base.
    plant1 = {n for n in server_collections(chroma_server) if n.startswith("plant1_chunks_")}
    assert len(plant1) == 2
