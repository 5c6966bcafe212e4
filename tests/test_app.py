"""The real web app in a subprocess on loopback, driven through gradio_client like an integrator would."""

from __future__ import annotations

import json
import re
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AuthenticationError

from assistant.web.launcher import AppProcess, RunningApp, save_index

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def url(app: RunningApp) -> str:
    return app.url


@pytest.fixture(scope="session")
def data_dir(app: RunningApp) -> Path:
    return app.data_dir


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


def test_html_in_an_uploaded_document_never_reaches_answers_as_html(client: Client, url: str, tmp_path: Path) -> None:
    doc = tmp_path / "焊接烟尘管理规定.md"
    doc.write_text(
        "# 焊接烟尘管理规定\n\n## 排风机清洗\n\n"
        "金雀焊接车间的烟尘排风机每季度清洗一次<script>alert(1)</script>，"
        "清洗后填写《排风机清洗记录》<img src=x onerror=alert(2)>，记录见[清洗表](javascript:alert(3))。\n",
        encoding="utf-8",
    )
    status, _, _ = client.predict([handle_file(doc)], api_name="/kb_upload")
    assert "已新增" in status, status
    try:
        question = "金雀焊接车间的烟尘排风机多久清洗一次？"
        answer = client.predict(question, api_name="/ask")
        chat, _ = Client(url, verbose=False).predict(question, [], api_name="/chat")
        for text in (answer, text_of(chat[-1])):
            assert "金雀" in text and "每季度" in text, text  # the uploaded passage is quoted…
            assert "<script" not in text and "<img" not in text  # …but its HTML only as text
            assert not re.search(r"(?i)javascript\s*:", text)
    finally:
        client.predict("uploads/焊接烟尘管理规定.md", api_name="/kb_delete")


def test_an_input_error_writes_one_log_line_not_a_traceback(client: Client, data_dir: Path) -> None:
    log = data_dir / "app-server.log"
    before = log.stat().st_size
    with pytest.raises(Exception, match="请先选择要上传的文件"):
        client.predict([], api_name="/kb_upload")
    added = log.read_bytes()[before:].decode("utf-8", errors="replace")
    assert "请先选择要上传的文件" in added and "Traceback" not in added


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


def test_kb_upload_refuses_server_paths_outside_the_upload_folder(url: str, client: Client, tmp_path: Path) -> None:
    # A client can name any path in a FileData payload; only files Gradio received as uploads may be ingested.
    secret = tmp_path / "服务器机密.txt"
    secret.write_text("服务器机密：蓝鲸计划的数据库口令是 Zx9-蓝鲸-7781，仅限管理员知晓。\n" * 3, encoding="utf-8")
    link_dir = Path(tempfile.gettempdir()) / "gradio"
    link_dir.mkdir(parents=True, exist_ok=True)
    link = link_dir / f"qms-link-{tmp_path.name}.txt"  # inside the upload folder, pointing outside it
    link.unlink(missing_ok=True)
    link.symlink_to(secret)
    try:
        for path in (str(secret), str(link), f"{link_dir}/../..{secret}"):
            payload = {"path": path, "orig_name": "服务器机密.txt", "meta": {"_type": "gradio.FileData"}}
            try:
                status, table, _ = call_raw(url, "kb_upload", [[payload]])
            except AssertionError as exc:  # Gradio itself may refuse the payload: fine, as long as nothing leaks
                status, table = str(exc), None
            assert "蓝鲸" not in status
            if table is not None:
                assert "uploads/服务器机密.txt" not in [row[0] for row in table["data"]]
                assert "上传" in status
    finally:
        link.unlink(missing_ok=True)
    assert "Zx9" not in client.predict("蓝鲸计划的数据库口令是什么？", api_name="/ask")


def test_kb_builtin_documents_cannot_be_chosen_for_deletion(client: Client) -> None:
    _, choices = client.predict(api_name="/kb_list")
    offered = [c[0] if isinstance(c, list | tuple) else c for c in choices.get("choices", [])]
    assert not any(str(c).startswith("corpus/") for c in offered)
    with pytest.raises(Exception, match="not in the list of choices"):
        client.predict("corpus/guide/guide.md", api_name="/kb_delete")


# ---- 文件起草 ----------------------------------------------------------------------------------------
PROFILE = [
    "青松精密五金有限公司",
    "冲压",
    "",
    "制造",
    "是",
    "否",
    "",
    25,
    "冲压件、钣金件",
    "下料、冲压、检验",
    "电镀",
    "总经办、生产部、品质部、销售部",
    "",
    "",
    "",
    "",
]


def test_profile_is_saved_and_reloaded(client: Client, data_dir: Path) -> None:
    status, saved = client.predict(*PROFILE, api_name="/profile_save")
    assert "已保存" in status and saved["value"] == "青松精密五金有限公司.yaml"
    assert (data_dir / "profiles" / "青松精密五金有限公司.yaml").is_file()
    *fields, status = client.predict("青松精密五金有限公司.yaml", api_name="/profile_load")
    assert fields[0] == "青松精密五金有限公司" and fields[1] == "冲压" and fields[7] == 25
    assert (fields[3], fields[5], fields[10]) == ("制造", "否", "电镀")


def test_draft_preview_and_docx_download(client: Client) -> None:
    preview = client.predict(*PROFILE, ["质量方针和质量目标"], api_name="/draft_preview")
    assert preview.startswith("# 质量方针和质量目标") and "青松精密五金有限公司" in preview
    single = Path(client.predict(*PROFILE, ["质量方针和质量目标"], api_name="/draft_docx"))
    assert single.suffix == ".docx"
    with zipfile.ZipFile(single) as docx:  # a real Word file: the company name is in its body XML
        assert "青松精密五金有限公司" in docx.read("word/document.xml").decode("utf-8")
    # Several drafts (all process cards: one per process) come as one ZIP, one click.
    bundle = Path(client.predict(*PROFILE, ["过程识别卡（全部过程）", "程序文件：内部审核"], api_name="/draft_docx"))
    assert bundle.suffix == ".zip" and bundle.name.startswith("青松精密五金有限公司")
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        assert len(names) > 5 and all(n.endswith(".docx") for n in names)
        assert any("过程识别卡" in n for n in names) and any("内部审核" in n for n in names)


def test_draft_invalid_profile_gets_chinese_explanation(client: Client) -> None:
    bad = ["", *PROFILE[1:7], 0, *PROFILE[8:]]
    with pytest.raises(Exception, match="企业概况有误"):
        client.predict(*bad, ["质量方针和质量目标"], api_name="/draft_preview")


# ---- 培训测验 ----------------------------------------------------------------------------------------
def test_quiz_new_then_grade_records_and_exports(client: Client) -> None:
    quiz = client.predict("过程方法", "不限岗位", 4, api_name="/quiz_new")[0]
    questions = quiz["questions"]
    assert len(questions) == 4 and all(q["question"] for q in questions)
    assert "answer" not in questions[0]  # the answers stay on the server
    answers = [[] if q["type"] == "multiple" else ("" if q["type"] == "short" else "A") for q in questions]
    result, records, intro = client.predict(json.dumps(answers), "李四", "不限岗位", "品质部", api_name="/quiz_grade")
    assert "李四 的成绩" in result and "分" in result and "依据" in result
    assert records["data"][0][0] == "李四" and records["data"][0][3] == "过程方法"
    assert "已交卷" in intro
    with pytest.raises(Exception, match="开始测验"):  # one quiz, one record
        client.predict(json.dumps(answers), "李四", "不限岗位", "品质部", api_name="/quiz_grade")
    xlsx = client.predict("李四", "综合（全部主题）", api_name="/records_export")
    assert Path(xlsx).suffix == ".xlsx" and Path(xlsx).stat().st_size > 0


def test_quiz_grade_without_quiz_or_name_is_refused(client: Client, url: str) -> None:
    fresh = Client(url, verbose=False)  # a new session has no quiz yet
    with pytest.raises(Exception, match="开始测验"):
        fresh.predict("[]", "王五", "不限岗位", "", api_name="/quiz_grade")


# ---- 设置 -----------------------------------------------------------------------------------------
def test_connection_check_reports_extractive_mode(client: Client) -> None:
    assert "未配置大模型" in client.predict(api_name="/test_connection")


# ---- 登录、上传上限、大模型 ---------------------------------------------------------------------------
SECRET_KEY = "stub-key"
LOGIN = ("admin", "青松-s3cret")
USER = ("质检员", "只能问答-42")  # a second login without the admin role


@pytest.fixture(scope="module")
def configured_url(app: RunningApp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second app configured like a shop-floor install: login, 1 MB uploads, an OpenAI-compatible LLM
    (the loopback stub in tests/support). Seeded with a copy of the first app's index."""
    from support.openai_stub import OpenAIStub

    seed = tmp_path_factory.mktemp("configured-index")
    save_index(app.data_dir / "index", seed)
    env = {
        "QMS_APP_AUTH": json.dumps([":".join(LOGIN), ":".join(USER)], ensure_ascii=False),
        "QMS_APP_ADMINS": json.dumps([LOGIN[0]]),
        "QMS_APP_MAX_UPLOAD_MB": "1",
        "QMS_LLM_BACKEND": "openai",
        "QMS_LLM_MODEL": "stub",
        "QMS_LLM_API_KEY": SECRET_KEY,
    }
    with OpenAIStub(api_key=SECRET_KEY) as stub:
        env["QMS_LLM_BASE_URL"] = stub.url + "/v1"
        data_dir = tmp_path_factory.mktemp("qms-configured-data")
        with AppProcess.start(data_dir, env=env, index_cache=seed) as process:
            yield process.url


def test_login_is_required_when_configured(configured_url: str) -> None:
    with pytest.raises(AuthenticationError):
        Client(configured_url, verbose=False)
    with pytest.raises(ValueError, match="Could not login"):
        Client(configured_url, auth=("admin", "wrong"), verbose=False)
    with httpx.Client(base_url=configured_url) as http:
        assert http.get("/gradio_api/info").status_code == 401


def test_upload_over_the_size_limit_is_refused(configured_url: str) -> None:
    with httpx.Client(base_url=configured_url, timeout=30) as http:
        http.post("/login", data={"username": LOGIN[0], "password": LOGIN[1]}).raise_for_status()
        big = ("# 大文件\n\n" + "质量" * 600_000).encode()  # about 3.6 MB
        response = http.post("/gradio_api/upload", files=[("files", ("大文件.md", big))])
    assert response.status_code == 413


def test_llm_answers_stream_into_the_chat_and_the_key_is_never_served(configured_url: str) -> None:
    client = Client(configured_url, auth=LOGIN, verbose=False)
    assert client.predict(api_name="/test_connection").startswith("连接成功")
    job = client.submit("内审怎么做？", [], api_name="/chat")
    final_chat, _ = job.result(timeout=120)
    steps = [text_of(chat[-1]) for chat, _ in job.outputs()]
    assert len(steps) >= 3, steps  # placeholder, streamed pieces, the verified answer with sources
    assert "<details>" in text_of(final_chat[-1]) and "<details>" not in steps[1]
    with httpx.Client(base_url=configured_url) as http:
        http.post("/login", data={"username": LOGIN[0], "password": LOGIN[1]}).raise_for_status()
        config = http.get("/config").text
    assert "已设置" in config and SECRET_KEY not in config


def test_users_ask_and_take_quizzes_but_only_admins_manage(configured_url: str, tmp_path: Path) -> None:
    user = Client(configured_url, auth=USER, verbose=False)
    assert "来源" in user.predict("内审怎么做？", api_name="/ask")
    questions = user.predict("过程方法", "不限岗位", 2, api_name="/quiz_new")[0]["questions"]
    answers = [[] if q["type"] == "multiple" else ("" if q["type"] == "short" else "A") for q in questions]
    result, own, _ = user.predict(json.dumps(answers), "赵六", "不限岗位", "品质部", api_name="/quiz_grade")
    assert "赵六 的成绩" in result and {row[0] for row in own["data"]} == {"赵六"}  # only the trainee's records

    doc = tmp_path / "班组长职责.md"
    doc.write_text("# 班组长职责\n\n班组长每天检查首件并签字确认，发现异常立即停线上报品质部。\n", encoding="utf-8")
    with pytest.raises(Exception, match="只有管理员可以导入文件。当前账号“质检员”是普通用户"):
        user.predict([handle_file(doc)], api_name="/kb_upload")
    assert "uploads/班组长职责.md" not in [row[0] for row in user.predict(api_name="/kb_list")[0]["data"]]

    admin = Client(configured_url, auth=LOGIN, verbose=False)
    status, table, _ = admin.predict([handle_file(doc)], api_name="/kb_upload")
    assert "已新增" in status and "uploads/班组长职责.md" in [row[0] for row in table["data"]]
    user.predict(api_name="/kb_list")  # the user's page now offers the upload in its delete list
    refusals = [
        ("/kb_delete", ("uploads/班组长职责.md",), "删除文档"),
        ("/kb_rebuild", (), "重建索引"),
        ("/records", ("", "综合（全部主题）"), "查看全部培训记录"),
        ("/records_export", ("", "综合（全部主题）"), "导出培训记录"),
    ]
    for api_name, args, action in refusals:
        with pytest.raises(Exception, match=f"只有管理员可以{action}。当前账号“质检员”是普通用户"):
            user.predict(*args, api_name=api_name)
    status, _, _ = admin.predict("uploads/班组长职责.md", api_name="/kb_delete")
    assert "已删除" in status
    assert "赵六" in [row[0] for row in admin.predict("", "综合（全部主题）", api_name="/records")["data"]]
    assert Path(admin.predict("", "综合（全部主题）", api_name="/records_export")).suffix == ".xlsx"
