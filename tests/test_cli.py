"""The `qms` command line against a real index (a copy of the session's built one), plus the process hygiene
every entry point shares: one Chinese error line instead of a traceback, no telemetry, no developer settings.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from assistant.cli import app
from assistant.config import REPO_ROOT, Settings
from assistant.service import Assistant


@pytest.fixture(scope="module")
def data_dir(built_assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the built index: commands here may ingest and rebuild without touching other tests."""
    data = tmp_path_factory.mktemp("cli-data")
    shutil.copytree(built_assistant.settings.index_dir, data / "index")
    return data


def qms(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(app, list(args), env={"QMS_DATA_DIR": str(data_dir), **(env or {})})
    # A user-facing failure is one Chinese line, never a Python traceback.
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


# ---- commands that read the index ------------------------------------------------------------------------
def test_ask_prints_a_cited_answer(data_dir: Path) -> None:
    result = qms(data_dir, "ask", "内审怎么做？")
    assert result.exit_code == 0, result.output
    assert "内部审核" in result.output and "[1]" in result.output and "9.2" in result.output


def test_ask_without_a_question_gets_chinese_guidance(data_dir: Path) -> None:
    result = qms(data_dir, "ask", "  ")
    assert "请输入" in result.output


def test_search_lists_ranked_chunks_with_scores(data_dir: Path) -> None:
    result = qms(data_dir, "search", "内审怎么做", "-k", "3", "--mode", "bm25")
    assert result.exit_code == 0, result.output
    assert "检索：内审怎么做" in result.output and "最佳向量相似度" in result.output
    assert all(f"│ {n} " in result.output for n in (1, 2, 3)) and "│ 4 " not in result.output


def test_explain_shows_topic_intent_framing_and_clause(data_dir: Path) -> None:
    result = qms(data_dir, "explain", "内审时发现卡尺过了校准期还在用，符合吗？")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "情景判定" in out and "topic.calibration" in out and "topic.internal_audit" in out
    assert "7.1.5.2" in out and "知识库内" in out
    assert re.search(r"按情形判定条款\s*│\s*是", out), out
    told = qms(data_dir, "explain", "仓库的灭火器过期了，结果被消防检查罚款。违反哪条？应该怎么整改？").output
    assert re.search(r"检索所用文字\s*│\s*仓库的灭火器过期了，违反哪条？", told), told
    refused = qms(data_dir, "explain", "HACCP 是什么？").output
    assert "知识库外" in refused and "HACCP" in refused


def test_kb_list_shows_the_builtin_corpus(data_dir: Path) -> None:
    result = qms(data_dir, "kb", "list")
    assert result.exit_code == 0, result.output
    assert "知识库文档" in result.output and "指南" in result.output and "条款要点" in result.output


def test_kb_remove_refuses_unknown_and_builtin_sources(data_dir: Path) -> None:
    result = qms(data_dir, "kb", "remove", "uploads/没有这个文件.pdf")
    assert result.exit_code == 1 and "知识库中没有" in result.output
    builtin = next(str(s["source"]) for s in Assistant.from_settings(data_dir=data_dir).list_sources())
    result = qms(data_dir, "kb", "remove", builtin)
    assert result.exit_code == 1 and "不能删除" in result.output


# ---- ingest and rebuild ----------------------------------------------------------------------------------
def test_ingest_reports_missing_paths_and_names_without_an_extension(data_dir: Path, tmp_path: Path) -> None:
    result = qms(data_dir, "ingest", str(tmp_path / "没有这个文件.txt"))
    assert result.exit_code == 1 and "找不到文件" in result.output and "Errno" not in result.output
    dots = tmp_path / "..txt"
    dots.write_text("采购控制程序：供应商每年评价一次。", encoding="utf-8")
    result = qms(data_dir, "ingest", str(dots))
    assert result.exit_code == 1 and "没有有效的扩展名" in result.output and "“无”" not in result.output


def test_same_name_from_two_folders_keeps_the_first_and_says_so(data_dir: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "采购程序.txt", tmp_path / "b" / "采购程序.txt"
    for path, text in ((first, "供应商每年评价一次，评价结果记入合格供方名录。"), (second, "另一份文件。")):
        path.parent.mkdir()
        path.write_text(text * 5, encoding="utf-8")
    result = qms(data_dir, "ingest", str(first), str(second))
    try:
        assert result.exit_code == 1  # one file was refused
        assert "新增 uploads/采购程序.txt" in result.output
        assert "同一批中有两个名为“采购程序.txt”的文件" in result.output and "请改名" in result.output
        stored = (data_dir / "uploads" / "采购程序.txt").read_text(encoding="utf-8")
        assert stored.startswith("供应商每年评价一次")  # the second did not replace the first
        result = qms(data_dir, "ingest", str(second))  # alone, later: a new version, and the output says so
        assert result.exit_code == 0 and "更新 uploads/采购程序.txt（替换了同名的旧文件）" in result.output
    finally:
        assert qms(data_dir, "kb", "remove", "uploads/采购程序.txt").exit_code == 0


def test_rebuild_reports_an_index_build_error_in_one_chinese_line(data_dir: Path, tmp_path: Path) -> None:
    doc = tmp_path / "作业指导书.txt"
    doc.write_text("焊接前检查焊材批号和烘干记录。" * 5, encoding="utf-8")
    assert qms(data_dir, "ingest", str(doc)).exit_code == 0
    try:
        (data_dir / "uploads" / "作业指导书.txt").write_text("", encoding="utf-8")  # the stored copy went bad
        result = qms(data_dir, "kb", "rebuild")
        assert result.exit_code == 1
        assert result.output.startswith("错误：") and "作业指导书.txt" in result.output
        assert len(result.output.strip().splitlines()) == 1
    finally:
        assert qms(data_dir, "kb", "remove", "uploads/作业指导书.txt").exit_code == 0
    result = qms(data_dir, "kb", "rebuild")  # the failed rebuild left the index usable
    assert result.exit_code == 0 and "已重建" in result.output


def test_a_bad_setting_is_named_without_a_traceback(data_dir: Path) -> None:
    result = qms(data_dir, "kb", "list", env={"QMS_RETRIEVE_K": "很多"})
    assert result.exit_code == 1 and "配置有误" in result.output and "retrieve_k" in result.output


# ---- process hygiene ---------------------------------------------------------------------------------------
def test_settings_are_defaults_inside_tests() -> None:
    """Run directly this proves little; `test_developer_settings_do_not_leak_into_tests` runs it under a
    developer's QMS_* variables and qms.toml."""
    settings = Settings()
    assert settings.llm_backend == "none"
    assert settings.retrieve_k == Settings.model_fields["retrieve_k"].default
    assert os.environ["ORT_DISABLE_TELEMETRY"] == "1"  # tests/conftest.py set it before anything loaded


def test_developer_settings_do_not_leak_into_tests(tmp_path: Path) -> None:
    (tmp_path / "qms.toml").write_text('llm_backend = "openai"\nretrieve_k = 99\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QMS_", "ORT_"))}
    env |= {"QMS_LLM_BACKEND": "openai", "QMS_LLM_API_KEY": "developer-key"}
    probe = f"{Path(__file__).resolve()}::test_settings_are_defaults_inside_tests"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(REPO_ROOT), probe],
        cwd=tmp_path,  # where a developer's qms.toml would be picked up
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout


TELEMETRY_PROBE = """
import importlib, os, sys

class Watch:  # records the variable at the moment anything imports onnxruntime
    seen = []
    def find_spec(self, name, path=None, target=None):
        if name == "onnxruntime":
            Watch.seen.append(os.environ.get("ORT_DISABLE_TELEMETRY"))
        return None

sys.meta_path.insert(0, Watch())
importlib.import_module(sys.argv[1])
from assistant.config import Settings
from assistant.embeddings import get_embeddings
get_embeddings(Settings(data_dir=sys.argv[2], embedding_cache="")).embed_query("内审")
import onnxruntime  # as Chroma's default embedding function would
print("at load:", Watch.seen[0])
"""


@pytest.mark.parametrize("entry", ["app", "assistant.cli"])
def test_onnxruntime_loads_with_telemetry_off(entry: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORT_")}
    run = subprocess.run(
        [sys.executable, "-c", TELEMETRY_PROBE, entry, str(tmp_path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith("at load: 1")
