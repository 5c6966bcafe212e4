"""Errors a user can cause or meet; every message is Chinese and says what to do next."""


class QMSError(Exception):
    """An error whose message is meant for the user as-is."""


class InputError(QMSError):
    """Bad input from the user (empty question, unsupported file, unsafe file name...)."""


class DocumentLoadError(QMSError):
    """A document could not be read (encrypted, broken, image-only)."""


class LLMUnavailableError(QMSError):
    """The configured language model endpoint is missing, down or refuses the key."""


class IngestCancelled(QMSError):
    """The person stopped an ingest (e.g. a long scan being recognised); nothing was added."""
