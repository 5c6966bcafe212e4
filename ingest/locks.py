"""The writer lock of a knowledge base: one index writer at a time, across processes and (with a server) machines.

Every writer (ingest, remove, rebuild, a corpus sync that must write) builds the next generation from the live
one while holding it, so two ingests queue instead of one dropping the other's document, and garbage is only
collected by the writer that just swapped. Readers never take it.

- Locally: an OS file lock (`filelock`) on `<data_dir>/index/writer.lock`, released by the OS if the process dies.
- With a Chroma server: additionally a lease record in the shared `<kb>_meta` collection (owner, expiry), renewed
  while the writer works, so instances with different data dirs take turns. Chroma has no compare-and-swap, so
  the lease is written, then read back after a pause: the last writer wins and the other waits.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from assistant.errors import QMSError
from ingest.meta import SharedMeta

LEASE_TTL_S = 120.0
_LEASE = "writer"


def busy_error(timeout_s: float) -> QMSError:
    return QMSError(
        f"知识库正在被另一个进程更新（已等待 {timeout_s:.0f} 秒）：请等它完成后再试，"
        "或在设置中调大 index_lock_timeout_s。"
    )


class WriterLock:
    """Reentrant within one thread; `renew()` keeps a shared lease alive during long work."""

    def __init__(self, path: Path, timeout_s: float, shared: SharedMeta | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = FileLock(str(path))
        self.timeout_s = timeout_s
        self.shared = shared
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._depth = 0
        self._renewed = 0.0

    @contextmanager
    def hold(self) -> Iterator[WriterLock]:
        try:
            self._file.acquire(timeout=self.timeout_s)
        except Timeout as exc:
            raise busy_error(self.timeout_s) from exc
        self._depth += 1
        try:
            if self._depth == 1 and self.shared is not None:
                self._take_lease()
            yield self
        finally:
            self._depth -= 1
            if self._depth == 0 and self.shared is not None:
                self._drop_lease()
            self._file.release()

    @property
    def held(self) -> bool:
        return self._depth > 0

    def renew(self) -> None:
        if self.shared is not None and self._depth and time.monotonic() - self._renewed > LEASE_TTL_S / 4:
            self._write_lease()

    def _write_lease(self) -> None:
        assert self.shared is not None
        meta = {"owner": self.owner, "expires": time.time() + LEASE_TTL_S, "generation": -1, "part": "lock", "n": -1}
        self.shared.put_record(_LEASE, self.owner, meta)
        self._renewed = time.monotonic()

    def _lease_holder(self) -> str | None:
        assert self.shared is not None
        got = self.shared.record(_LEASE)
        if got is None or float(got[1].get("expires", 0)) < time.time():
            return None
        return str(got[1]["owner"])

    def _take_lease(self) -> None:
        deadline = time.monotonic() + self.timeout_s
        while True:
            if self._lease_holder() in (None, self.owner):
                self._write_lease()
                time.sleep(0.3)  # let a concurrent claimant's write land, then see who won
                if self._lease_holder() == self.owner:
                    return
            if time.monotonic() > deadline:
                raise busy_error(self.timeout_s)
            time.sleep(0.5)

    def _drop_lease(self) -> None:
        try:
            if self._lease_holder() == self.owner:
                self.shared.delete_record(_LEASE)  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001 - an unreachable server: the lease expires by itself
            pass
