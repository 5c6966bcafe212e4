"""Run the real app in a child process on a free loopback port: for tests, screenshots and load tests.

Standard library only, so callers need not import Gradio to start one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from assistant.config import REPO_ROOT

# Debian's Chromium as the e2e tests and screenshot script start it: never a downloaded browser, and no
# background traffic (this machine's network is closed; the browser would otherwise retry connections).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def index_cache_dir(root: Path) -> Path:
    """`root/index-<fingerprint of the indexing code>`; older siblings are removed.

    The app re-embeds a source only when its content hash changes, so an index written by older ingest code
    would be reused silently: keying the cache on that code keeps tests honest when the index format changes.
    """
    files = sorted((REPO_ROOT / "ingest").glob("*.py")) + [REPO_ROOT / "assistant" / "embeddings.py"]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in files if p.is_file())).hexdigest()[:16]
    for old in Path(root).glob("index-*"):
        if old.name != f"index-{digest}":
            shutil.rmtree(old, ignore_errors=True)
    path = Path(root) / f"index-{digest}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_index(index_dir: Path, cache: Path) -> None:
    """Copy a freshly opened (idle) index into `cache/index`, replacing the old copy in one rename."""
    staging = cache / "index.new"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(index_dir, staging)
    shutil.rmtree(cache / "index", ignore_errors=True)
    staging.rename(cache / "index")


class RunningApp(NamedTuple):
    """A started app as tests and scripts see it: where it listens and where its data lives."""

    url: str
    data_dir: Path


@dataclass
class AppProcess:
    """A running `app.py`; use as a context manager or call `stop()`."""

    process: subprocess.Popen
    url: str
    log_path: Path

    @classmethod
    def start(
        cls,
        data_dir: Path,
        *,
        port: int | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 180,
        index_cache: Path | None = None,
        isolated: bool = True,
    ) -> AppProcess:
        """Start the app with QMS_DATA_DIR=data_dir and wait until it answers HTTP (index built, UI up).

        `index_cache`: a folder to seed the index from and save it back to, so repeated test runs skip the
        first embedding; the app's own content-hash sync still re-embeds whatever changed in the corpus.
        `isolated`: ignore the caller's QMS_* variables and qms.toml (defaults + `env` only), as tests need.
        """
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        if index_cache and (Path(index_cache) / "index" / "CURRENT.json").is_file():
            shutil.copytree(Path(index_cache) / "index", data_dir / "index", dirs_exist_ok=True)
        port = port or free_port()
        log_path = data_dir / "app-server.log"
        inherited = {k: v for k, v in os.environ.items() if not (isolated and k.startswith("QMS_"))}
        if isolated:
            inherited["QMS_CONFIG"] = str(data_dir / "qms.toml")  # absent unless the caller writes one
        child_env = {
            **inherited,
            "QMS_DATA_DIR": str(data_dir),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, str(REPO_ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port)],
                cwd=str(REPO_ROOT),
                env=child_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        app = cls(process, f"http://127.0.0.1:{port}", log_path)
        try:
            app.wait_ready(timeout)
        except BaseException:
            app.stop()
            raise
        if index_cache:
            save_index(data_dir / "index", Path(index_cache))
        return app

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"应用进程已退出（代码 {self.process.returncode}）：\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/gradio_api/info", timeout=5) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as exc:
                if exc.code in (401, 403):  # up, but behind the configured login
                    return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"应用在 {timeout:.0f} 秒内没有就绪：\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def __enter__(self) -> AppProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
