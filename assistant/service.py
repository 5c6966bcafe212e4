"""The `Assistant`: one object that the CLI, the web app and Python users share."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.documents import Document

from assistant.config import Settings, load_settings, offline_environment
from assistant.embeddings import embedding_model_id, get_embeddings
from assistant.llm import get_chat_model
from assistant.retrieval import HybridRetriever, Mode, SearchSignals
from assistant.understanding import Analysis, ConceptModel
from assistant.understanding.text import load_vocabulary
from ingest.index import IndexStore
from ingest.pipeline import Ingestor, IngestReport, sources_table

if TYPE_CHECKING:
    from assistant.answering import Answer, AnswerEvent


class Assistant:
    """Opens (or builds) the index under `settings.data_dir` and answers, retrieves and ingests."""

    def __init__(self, settings: Settings, *, progress: bool = True) -> None:
        offline_environment()
        load_vocabulary(settings.corpus_dir)  # the tokenizer learns this corpus's concept words before any indexing
        self.settings = settings
        self.embeddings = get_embeddings(settings)
        self.store = IndexStore(settings, self.embeddings, embedding_model_id(settings))
        self.ingestor = Ingestor(self.store, settings)
        # Readers take `_lock` only to pick up the current retriever; writers serialise on `_write_lock` (and, across
        # processes, on the index's writer lock) and build the next generation without blocking questions.
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._cancel = threading.Event()
        self.ingestor.sync_corpus(progress=progress)
        self._token: object = None
        self._retriever = self._open_retriever()
        self._answerer = None

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, *, progress: bool = True, **overrides: object
    ) -> Assistant:
        """Build or open the committed corpus's index under the configured data dir, offline."""
        return cls(settings or load_settings(**overrides), progress=progress)

    def _open_retriever(self) -> HybridRetriever:
        self._token = self.store.token()  # read first: a swap after this point is noticed on the next question
        state = self.store.current()
        assert state is not None, "sync_corpus always leaves a generation"
        return HybridRetriever(
            store=self.store,
            state=state,
            embeddings=self.embeddings,
            settings=self.settings,
            k=self.settings.retrieve_k,
        )

    # ---- retrieval -----------------------------------------------------------------------------------
    @property
    def retriever(self) -> HybridRetriever:
        """The retriever of the live generation; reopened when any process (or instance) swapped in a new one."""
        token = self.store.token()  # a stat of CURRENT.json, or one request to a shared Chroma server
        with self._lock:
            if token != self._token:
                self._retriever = self._open_retriever()
            return self._retriever

    def retrieve(self, question: str, k: int = 5, mode: Mode = "hybrid") -> list[Document]:
        """Best-first chunks with metadata `source`, `section`, `clauses` (and scores)."""
        return self.search(question, k=k, mode=mode)[0]

    def search(
        self, question: str, k: int = 5, mode: Mode = "hybrid", analysis: Analysis | None = None
    ) -> tuple[list[Document], SearchSignals]:
        from chromadb.errors import NotFoundError

        try:
            return self.retriever.search(question, k=k, mode=mode, analysis=analysis)
        except NotFoundError:
            # Two swaps happened while this question ran and its generation was collected: use the live one.
            self._swap_retriever()
            return self.retriever.search(question, k=k, mode=mode, analysis=analysis)

    def analyse(self, question: str, history: list | None = None) -> Analysis:
        """What the question is about, what it asks for, and its context (`qms explain` shows this)."""
        from assistant.answering import normalise_history

        return self.retriever.analyse(question, normalise_history(history))

    # ---- answering -----------------------------------------------------------------------------------
    @property
    def answerer(self):
        from assistant.answering import Answerer

        with self._lock:
            if self._answerer is None:
                self._answerer = Answerer(
                    search=self.search,
                    analyse=lambda question, history: self.retriever.analyse(question, history),
                    passages=lambda keep: self.retriever.chunks_where(keep),
                    settings=self.settings,
                    concepts=ConceptModel.load(self.settings.corpus_dir),
                    model=get_chat_model(self.settings),
                )
            return self._answerer

    def ask(self, question: str, history: list | None = None) -> Answer:
        """A short cited answer in Chinese; `.covered` is False when the knowledge base has no answer."""
        return self.answerer.ask(question, history or [])

    def ask_stream(self, question: str, history: list | None = None) -> Iterator[AnswerEvent]:
        """Like `ask`, yielding text pieces as they come and the final Answer last."""
        return self.answerer.ask_stream(question, history or [])

    # ---- knowledge base ------------------------------------------------------------------------------
    def ingest_files(self, paths: list[Path], *, progress: bool = True) -> IngestReport:
        """Add files; `cancel_ingest()` from another thread stops it with `IngestCancelled`, the index unchanged."""
        with self._write_lock:
            self._cancel.clear()
            report = self.ingestor.add_files(
                [Path(p) for p in paths], progress=progress, should_cancel=self._cancel.is_set
            )
            if report.changed:
                self._swap_retriever()
            return report

    def cancel_ingest(self) -> None:
        """Ask a running `ingest_files` to stop at the next page or embedding batch (for the web app's button)."""
        self._cancel.set()

    def remove_source(self, source: str) -> IngestReport:
        with self._write_lock:
            report = self.ingestor.remove(source)
            self._swap_retriever()
            return report

    def rebuild(self, *, progress: bool = True) -> IngestReport:
        with self._write_lock:
            report = self.ingestor.rebuild(progress=progress)
            self._swap_retriever()
            return report

    def _swap_retriever(self) -> None:
        retriever = self._open_retriever()
        with self._lock:
            self._retriever = retriever

    def list_sources(self) -> list[dict[str, object]]:
        return sources_table(self.store.current())
