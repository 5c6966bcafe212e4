"""质量助手 (QMS Assistant): offline, Chinese-first ISO 9001 assistant for small enterprises."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.service import Assistant

__all__ = ["Assistant"]


def __getattr__(name: str):
    # Lazy: `qms quiz` and `qms draft --no-index` should not pay for importing Chroma and the embedder.
    if name == "Assistant":
        from assistant.service import Assistant

        return Assistant
    raise AttributeError(name)
