"""The real web app in a subprocess on loopback, driven through gradio_client like an integrator would."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from assistant.web.launcher import AppProcess

pytestmark = pytest.mark.slow

SHARED_URL = "QMS_TEST_APP_URL"  # set by whichever test module starts the app first (see tests/e2e)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[AppProcess | str]:
    """One app process per test session; the browser test reuses it through QMS_TEST_APP_URL."""
    if os.environ.get(SHARED_URL):
        yield os.environ[SHARED_URL]
        return
    data_dir = tmp_path_factory.mktemp("qms-app-data")
    cache = pytestconfig.cache.mkdir("qms-app-index") if pytestconfig.cache else None
    with AppProcess.start(data_dir, timeout=240, index_cache=cache) as process:
        os.environ[SHARED_URL] = process.url
        yield process
        os.environ.pop(SHARED_URL, None)


@pytest.fixture(scope="session")
def url(app: AppProcess | str) -> str:
    return app if isinstance(app, str) else app.url


@pytest.fixture(scope="session")
def data_dir(app: AppProcess | str) -> Path:
    if isinstance(app, str):
        pytest.skip("应用由另一个测试模块启动，数据目录不可见")
    return app.log_path.parent


@pytest.fixture(scope="session")
def client(url: str) -> Client:
    return Client(url, verbose=False)


def call_raw(url: str, api_name: str, data: list) -> list:
    """POST /gradio_api/call/<name>, read the SSE result: sends payloads gradio_client would rewrite."""
    with httpx.Client(base_url=url, timeout=120) as http:
        event_id = http.post(f"/gradio_api/call/{api_name}", json={"data": data}).raise_for_status().json()
        with http.stream("GET", f"/gradio_api/call/{api_name}/{event_id['event_id']}") as stream:
            event = None
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in {"complete", "error"}:
                    payload = line.split(":", 1)[1].strip()
                    if event == "error":
                        raise AssertionError(f"endpoint failed: {payload}")
                    return json.loads(payload)
    raise AssertionError("no result")


def text_of(message: dict) -> str:
    """Gradio 6 sends message content as a list of typed parts."""
    content = message["content"]
    return content if isinstance(content, str) else "".join(p.get("text", "") for p in content)


# ---- 问答 -----------------------------------------------------------------------------------------
def test_ask_returns_answer_with_cited_sources(client: Client) -> None:
    text = client.predict("内审怎么做？", api_name="/ask")
    assert "内部审核" in text
    assert "来源" in text
    assert "[1]" in text and "9.2" in text  # numbered source carrying the ISO clause


def test_ask_empty_question_gets_chinese_guidance_not_a_trace(client: Client) -> None:
    text = client.predict("   ", api_name="/ask")
    assert "请输入" in text and "Traceback" not in text


def test_streaming_chat_renders_expandable_sources_and_keeps_history(client: Client) -> None:
    # The plain-text history lives in session state: a fresh client is a fresh conversation.
    chat, box = client.predict("质量目标怎么定？", [], api_name="/chat")
    assert box == ""
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert "<details>" in text_of(chat[-1]) and "章节：" in text_of(chat[-1])
    chat, _ = client.predict("那内审呢？", chat, api_name="/chat")
    assert len(chat) == 4 and "审核" in text_of(chat[-1])


# ---- 知识库 ---------------------------------------------------------------------------------------
def test_kb_lists_the_builtin_corpus(client: Client) -> None:
    table, _ = client.predict(api_name="/kb_list")
    rows = {row[0]: row for row in table["data"]}
    assert rows["corpus/guide/guide.md"][3] > 20  # chunk count


def test_kb_upload_then_ask_then_delete(client: Client, tmp_path: Path) -> None:
    doc = tmp_path / "来料检验规程.md"
    doc.write_text(
        "# 来料检验规程\n\n## 抽样规则\n\n紫杉阀门厂的来料检验按 GB/T 2828.1 一般检验水平 II 抽样，"
        "螺纹件全部用通止规检验，不合格批次退回供应商并记录在《来料检验记录》中。\n",
        encoding="utf-8",
    )
    status, table, _ = client.predict([handle_file(doc)], api_name="/kb_upload")
    assert "已新增" in status and "来料检验规程.md" in status
    sources = [row[0] for row in table["data"]]
    assert "uploads/来料检验规程.md" in sources
    assert "紫杉阀门厂" in client.predict("紫杉阀门厂的来料怎么抽样？", api_name="/ask")

    status, table, _ = client.predict("uploads/来料检验规程.md", api_name="/kb_delete")
    assert "已删除" in status
    assert "uploads/来料检验规程.md" not in [row[0] for row in table["data"]]


def test_kb_upload_rejects_misnamed_binary_with_chinese_message(client: Client, tmp_path: Path) -> None:
    fake = tmp_path / "报告.pdf"
    fake.write_bytes(b"this is not a pdf at all")
    status, _, _ = client.predict([handle_file(fake)], api_name="/kb_upload")
    assert "❌" in status and "不是有效的 PDF" in status


def test_kb_upload_with_path_traversal_name_stays_in_uploads(url: str, data_dir: Path) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        body = "# 逃逸测试\n\n这是一份用于检查文件名安全的文档，内容足够长可以切分。".encode()
        response = http.post("/gradio_api/upload", files=[("files", ("../../逃逸测试.md", body))])
    server_path = response.raise_for_status().json()[0]
    payload = {"path": server_path, "orig_name": "../../逃逸测试.md", "meta": {"_type": "gradio.FileData"}}
    status, table, _ = call_raw(url, "kb_upload", [[payload]])
    assert "uploads/逃逸测试.md" in [row[0] for row in table["data"]], status
    assert (data_dir / "uploads" / "逃逸测试.md").is_file()
    assert not (data_dir.parent / "逃逸测试.md").exists() and not (data_dir / "逃逸测试.md").exists()


def test_kb_builtin_documents_cannot_be_chosen_for_deletion(client: Client) -> None:
    _, choices = client.predict(api_name="/kb_list")
    offered = [c[0] if isinstance(c, list | tuple) else c for c in choices.get("choices", [])]
    assert not any(str(c).startswith("corpus/") for c in offered)
    with pytest.raises(Exception, match="not in the list of choices"):
        client.predict("corpus/guide/guide.md", api_name="/kb_delete")


# ---- 设置 -----------------------------------------------------------------------------------------
def test_connection_check_reports_extractive_mode(client: Client) -> None:
    assert "未配置大模型" in client.predict(api_name="/test_connection")
