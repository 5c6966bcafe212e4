"""质量助手 (QMS Assistant): offline, Chinese-first ISO 9001 assistant for small enterprises."""

from assistant.service import Assistant

__all__ = ["Assistant"]
