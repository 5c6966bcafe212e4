"""Checks that keep one upload from taking the machine: zip bombs, a full disk.

- Zip-based formats (.docx, or anything that is a zip inside) are checked from the archive's directory before
  any parser inflates them. The declared sizes are a safe bound: Python's zipfile stops reading an entry at its
  declared size and fails the CRC check if the data goes on, so a lying directory cannot inflate further.
- A full disk surfaces as ENOSPC from the OS or "database or disk is full" from SQLite (Chroma); both become one
  Chinese message that says the old knowledge base is intact. Reading never writes, except that embedded Chroma
  writes to its SQLite file on every start: for that, writers keep a small reserve file in the index folder that
  a starting reader may give back when the disk is full, so questions keep working until someone frees space.
"""

from __future__ import annotations

import errno
import shutil
import zipfile
from pathlib import Path

from assistant.errors import DocumentLoadError, QMSError

RESERVE_NAME = "disk-reserve.bin"
RESERVE_BYTES = 2 * 1024 * 1024

MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024  # a Word file with many photos stays far below this
MAX_RATIO = 100  # XML compresses 10-20x; a 1 MB file that inflates to 1 GiB is 1000x
RATIO_MIN_BYTES = 8 * 1024 * 1024  # small entries may compress extremely well (runs of spaces)
MAX_ENTRIES = 20_000


def check_zip_bomb(path: Path) -> None:
    """Refuse an archive that would inflate beyond the limits; a no-op for files that are not zips."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return  # the loader reports a broken file in its own words
    total = sum(info.file_size for info in infos)
    worst = max(
        (info.file_size / max(info.compress_size, 1) for info in infos if info.file_size > RATIO_MIN_BYTES),
        default=0.0,
    )
    if len(infos) > MAX_ENTRIES or total > MAX_UNCOMPRESSED_BYTES or worst > MAX_RATIO:
        raise DocumentLoadError(
            f"文件“{path.name}”解压后异常巨大（{len(infos)} 个部件，共约 {total / 1024**2:,.0f} MB，"
            f"压缩比最高 {worst:,.0f} 倍），可能是“压缩炸弹”，已拒绝导入。"
            "请用 Word 打开后另存为新文件，或导出为 PDF 后再上传。"
        )


_FULL_TEXT = ("database or disk is full", "no space left on device", "disk quota exceeded")


def is_disk_full(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) says the disk is full, from the OS or from SQLite."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in {errno.ENOSPC, errno.EDQUOT}:
            return True
        if any(text in str(current).lower() for text in _FULL_TEXT):
            return True
        current = current.__cause__ or current.__context__
    return False


def disk_full_error(where: Path) -> QMSError:
    return QMSError(
        f"磁盘空间不足，无法写入知识库（{where}）。原有知识库未受影响，问答照常可用；"
        "请清理磁盘或把 data_dir 改到空间更大的位置后重新导入。"
    )


def ensure_reserve(index_dir: Path) -> None:
    """(Re)create the reserve after a successful write, if the disk has room to spare for it."""
    path = index_dir / RESERVE_NAME
    try:
        if not path.exists() and shutil.disk_usage(index_dir).free > 8 * RESERVE_BYTES:
            path.write_bytes(b"\0" * RESERVE_BYTES)
    except OSError:
        path.unlink(missing_ok=True)  # a partial reserve is worse than none


def release_reserve(index_dir: Path) -> bool:
    """Free the reserve so embedded Chroma can start on a full disk; False if there was none left."""
    path = index_dir / RESERVE_NAME
    if not path.exists():
        return False
    path.unlink()
    return True
