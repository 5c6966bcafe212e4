"""Disk hygiene for the embedded Chroma database: orphan segment folders and unreclaimed SQLite pages.

Deleting a collection in embedded Chroma leaves its HNSW segment folder behind, and a killed ingest leaves the
folder of a collection that no longer exists; SQLite keeps freed pages in the file. Only the writer that just
swapped generations calls this, under the writer lock, so no segment it removes is being built.

It runs in a child process (`tidy`): Chroma links its own SQLite, and two SQLite libraries in one process break
each other's POSIX file locks (closing one's file descriptor drops the other's locks), which showed up here as
"disk I/O error" in the next write. Across processes SQLite's locking works as designed.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Vacuum only when it pays: rewriting the file costs about as much disk as the file itself.
_VACUUM_MIN_FREE_BYTES = 1 << 20
_VACUUM_MIN_FREE_SHARE = 0.25


def remove_orphan_segments(chroma_dir: Path) -> list[str]:
    """Remove segment folders that no segment row names; returns the removed folder names."""
    db_path = chroma_dir / "chroma.sqlite3"
    if not db_path.is_file():
        return []
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30) as db:
        live = {row[0] for row in db.execute("SELECT id FROM segments")}
    removed = []
    for folder in chroma_dir.iterdir():
        if folder.is_dir() and _UUID.match(folder.name) and folder.name not in live:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def vacuum_if_worth_it(chroma_dir: Path) -> bool:
    """VACUUM chroma.sqlite3 when a quarter of it (and at least 1 MB) is free pages; True if it ran."""
    db_path = chroma_dir / "chroma.sqlite3"
    if not db_path.is_file():
        return False
    db = sqlite3.connect(str(db_path), timeout=30, isolation_level=None)
    try:
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
        if free * size < _VACUUM_MIN_FREE_BYTES or free < pages * _VACUUM_MIN_FREE_SHARE:
            return False
        db.execute("VACUUM")
        return True
    finally:
        db.close()


def tidy(chroma_dir: Path) -> None:
    """Remove orphan segment folders and vacuum if worth it, in a child process; failures only cost disk space."""
    try:
        subprocess.run([sys.executable, __file__, str(chroma_dir)], timeout=300, check=False, capture_output=True)
    except (OSError, subprocess.SubprocessError):
        pass


if __name__ == "__main__":
    target = Path(sys.argv[1])
    remove_orphan_segments(target)
    vacuum_if_worth_it(target)
