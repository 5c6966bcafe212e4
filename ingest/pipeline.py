"""The ingest pipeline: sources (committed corpus, user files) → chunks → a new index generation."""

from __future__ import annotations

import re
import shutil
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.documents import Document

from assistant.config import Settings
from assistant.errors import DocumentLoadError, InputError, QMSError
from ingest.chunking import chunk_markdown
from ingest.guards import check_zip_bomb, disk_full_error, is_disk_full
from ingest.index import IndexState, IndexStore, SourceEntry, content_hash, corpus_sources
from ingest.loaders import SUPPORTED_SUFFIXES, load_file
from ingest.ocr import OcrOptions, mark_recognised

USER_PREFIX = "uploads/"


@dataclass
class IngestReport:
    """What one ingest run did, for the CLI and the web app to show."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    chunks: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def safe_filename(name: str) -> str:
    """A file name that cannot escape the uploads folder: no directories, no `..`, no control characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f<>:\"|?*]", "_", name).strip(" .")
    if not name or set(name) <= {"."}:
        raise InputError("文件名无效：请使用正常的文件名（不能只包含点号或路径符号）。")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = stem[:80] or "文件"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def check_suffix(path: Path, name: str) -> None:
    """Refuse names without a supported extension, saying which of the two it is (`..txt` has none)."""
    suffix = Path(name).suffix.lower()
    if not suffix:
        raise InputError(f"文件名“{path.name}”没有有效的扩展名：请改名为“名称.pdf”（或 .docx、.md、.txt）后再上传。")
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(f"不支持的文件类型“{suffix}”：请上传 PDF、DOCX、MD 或 TXT 文件。")


def read_upload(path: Path) -> bytes:
    """The file's bytes; a missing path, a folder or no permission gets a Chinese message, not `[Errno 2]`."""
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"找不到文件“{path}”：请检查路径和文件名是否正确。") from exc
    except IsADirectoryError as exc:
        raise InputError(f"“{path}”是文件夹，不是文件：请指定其中的文件。") from exc
    except PermissionError as exc:
        raise InputError(f"没有权限读取“{path}”：请检查文件权限。") from exc


class Ingestor:
    """Keeps the index in step with its sources; idempotent by content hash."""

    def __init__(self, store: IndexStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def sync_corpus(self, *, progress: bool = True) -> IngestReport:
        """Index the committed corpus; a no-op (no lock, no write) when nothing changed since the last run."""
        started = time.perf_counter()
        report = self._sync_corpus(progress, locked=False)
        report.seconds = time.perf_counter() - started
        return report

    def _sync_corpus(self, progress: bool, locked: bool) -> IngestReport:
        report = IngestReport()
        state = self.store.current()
        fresh = state is None or state.embedding_model != self.store.model_id  # then everything is re-added
        manifest = state.manifest if state and not fresh else {}
        wanted = corpus_sources(self.settings)
        changed = [s for s, (entry, _) in wanted.items() if s not in manifest or manifest[s].hash != entry.hash]
        removals = {s for s, e in manifest.items() if e.kind in {"guide", "clause"} and s not in wanted}
        if not (changed or removals or fresh):
            report.unchanged += list(wanted)
            return report
        if not locked:
            # Plan again under the writer lock: another process may have synced while this one waited.
            with self.store.lock.hold():
                return self._sync_corpus(progress, locked=True)
        upserts: dict[str, tuple[SourceEntry, list[Document]]] = {}
        for source, (entry, make_docs) in wanted.items():
            if source not in changed:
                report.unchanged.append(source)
                continue
            upserts[source] = (entry, make_docs())
            (report.updated if source in manifest else report.added).append(source)
            report.chunks += len(upserts[source][1])
        report.removed += sorted(removals)
        if fresh:
            upserts.update(self._reload_user_files())
        self._apply(upserts, removals, progress)
        return report

    def _reload_user_files(self) -> dict[str, tuple[SourceEntry, list[Document]]]:
        """User sources of the live index, re-chunked from the stored copy; a source stored by another instance
        (same Chroma server, other data dir) keeps its chunks as they are and is only re-embedded."""
        live = self.store.current()
        out = {}
        for source, entry in (live.manifest if live else {}).items():
            if entry.kind != "user":
                continue
            stored = self.settings.data_dir / entry.file if entry.file else None
            if stored is not None and stored.exists():
                out[source] = (entry, self._user_docs(stored, source)[0])
            else:
                ids = set(entry.chunk_ids)
                out[source] = (entry, [d for cid, d in zip(live.ids, live.chunks, strict=True) if cid in ids])
        return out

    def add_files(
        self, paths: list[Path], *, progress: bool = True, should_cancel: Callable[[], bool] | None = None
    ) -> IngestReport:
        """Copy user files into the data dir and index them; unchanged files are skipped, changed ones replaced.

        `should_cancel` is polled between pages and embedding batches; when it returns True the ingest stops with
        `IngestCancelled` and the live index stays as it was."""
        started = time.perf_counter()
        report = IngestReport()
        state = self.store.current()
        manifest = state.manifest if state else {}
        upserts: dict[str, tuple[SourceEntry, list[Document]]] = {}
        copies: list[tuple[Path, Path]] = []
        seen: set[str] = set()  # stored names in this batch: two files with one name would overwrite each other
        for path in paths:
            try:
                name = safe_filename(path.name)
                check_suffix(path, name)
                if name in seen:
                    raise InputError(
                        f"同一批中有两个名为“{name}”的文件：只处理了第一个，这一个未导入（同名会互相覆盖）。"
                        "请改名后再导入。"
                    )
                data = read_upload(path)
                if len(data) > self.settings.app_max_upload_mb * 1024 * 1024:
                    raise InputError(f"文件超过 {self.settings.app_max_upload_mb} MB 上限，请拆分后再上传。")
                source = USER_PREFIX + name
                digest = content_hash(data, self.settings.chunking_key)
                old = manifest.get(source)
                if old and old.hash == digest:
                    seen.add(name)
                    report.unchanged.append(source)
                    continue
                docs, loaded = self._user_docs(path, source, progress=progress, should_cancel=should_cancel)
                stored = self.settings.uploads_dir / name
                copies.append((path, stored))
                entry = SourceEntry(
                    source,
                    digest,
                    "user",
                    loaded.title,
                    [],
                    time.time(),
                    file=str(stored.relative_to(self.settings.data_dir)),
                    warnings=loaded.warnings,
                )
                upserts[source] = (entry, docs)
                (report.updated if old else report.added).append(source)
                report.chunks += len(docs)
                seen.add(name)
            except (DocumentLoadError, InputError) as exc:
                report.failed[path.name] = str(exc)
            except OSError as exc:
                report.failed[path.name] = f"无法读取文件（{exc.strerror or exc}）：请确认文件存在且可以打开。"
        if upserts:
            with self.store.lock.hold():
                self._apply(upserts, set(), progress, should_cancel)
                # Keep the stored copy in step with the index: only files whose chunks are now live are copied.
                try:
                    for path, stored in copies:
                        stored.parent.mkdir(parents=True, exist_ok=True)
                        if path.resolve() != stored.resolve():
                            shutil.copyfile(path, stored)
                except OSError as exc:
                    raise (disk_full_error(self.settings.data_dir) if is_disk_full(exc) else exc) from exc
        report.seconds = time.perf_counter() - started
        return report

    def _apply(
        self, upserts: dict, removals: set[str], progress: bool, should_cancel: Callable[[], bool] | None = None
    ) -> None:
        """Build and swap in the next generation; a failure leaves the current index as it was."""
        try:
            self.store.apply(upserts, removals, progress=progress, should_cancel=should_cancel)
        except QMSError:
            raise
        except Exception as exc:
            if is_disk_full(exc):
                raise disk_full_error(self.settings.data_dir) from exc
            raise QMSError(f"建立索引时出错（{type(exc).__name__}：{exc}）。原有知识库未受影响，可稍后重试。") from exc

    def _user_docs(
        self, path: Path, source: str, *, progress: bool = False, should_cancel: Callable[[], bool] | None = None
    ):
        check_zip_bomb(path)  # before any parser inflates it
        ocr = OcrOptions.from_settings(self.settings, progress=progress, should_cancel=should_cancel)
        loaded = load_file(path, ocr=ocr)
        if len(loaded.markdown) > self.settings.ingest_max_chars:
            raise InputError(
                f"文件“{path.name}”有约 {len(loaded.markdown) / 10000:.1f} 万字，超过单个文件 "
                f"{self.settings.ingest_max_chars / 10000:g} 万字的上限（设置 ingest_max_chars）：请拆分后再导入。"
            )
        docs = chunk_markdown(
            loaded.markdown,
            source=source,
            max_chars=self.settings.chunk_max_chars,
            min_chars=self.settings.chunk_min_chars,
            extra_metadata={"kind": "user"},
        )
        if not docs:
            raise DocumentLoadError(f"文件“{path.name}”中没有可索引的文字。")
        if len(docs) > self.settings.ingest_max_chunks:
            raise InputError(
                f"文件“{path.name}”切分后有 {len(docs)} 个片段，超过单个文件 {self.settings.ingest_max_chunks} 个的上限"
                "（设置 ingest_max_chunks）：请拆分后再导入。"
            )
        mark_recognised(docs, loaded.ocr_pages)
        return docs, loaded

    def remove(self, source: str) -> IngestReport:
        report = IngestReport()
        with self.store.lock.hold():
            state = self.store.current()
            if not state or source not in state.manifest:
                raise InputError(f"知识库中没有“{source}”。可用 `qms kb list` 查看已有文档。")
            entry = state.manifest[source]
            if entry.kind != "user":
                raise InputError("内置知识库（指南、条款要点）不能删除，只能删除用户上传的文档。")
            self._apply({}, {source}, False)
            if entry.file:
                (self.settings.data_dir / entry.file).unlink(missing_ok=True)
        report.removed.append(source)
        return report

    def rebuild(self, *, progress: bool = True) -> IngestReport:
        """Re-chunk and re-embed everything (e.g. after changing chunk size or embedding model)."""
        started = time.perf_counter()
        with self.store.lock.hold():
            state = self.store.current()
            upserts = {source: (entry, make()) for source, (entry, make) in corpus_sources(self.settings).items()}
            upserts.update(self._reload_user_files())
            removals = set(state.manifest) - set(upserts) if state else set()
            self._apply(upserts, removals, progress)
        report = IngestReport(updated=sorted(upserts), removed=sorted(removals))
        report.chunks = sum(len(d) for _, d in upserts.values())
        report.seconds = time.perf_counter() - started
        return report


def sources_table(state: IndexState | None) -> list[dict[str, object]]:
    """Rows for `kb list` and the web app's document list."""
    if state is None:
        return []
    rows = []
    for source, entry in sorted(state.manifest.items()):
        rows.append(
            {
                "source": source,
                "title": entry.title,
                "kind": entry.kind,
                "chunks": len(entry.chunk_ids),
                "added_at": time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.added_at)),
                "warnings": "；".join(entry.warnings),
            }
        )
    return rows
