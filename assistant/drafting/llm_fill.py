"""Optional: let the configured LLM improve a template draft, grounded in retrieved chunks; never required.

Any failure (endpoint down, bad JSON, wrong schema) keeps the template draft and adds a Chinese notice.
"""

from __future__ import annotations

import json
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate

from assistant.config import Settings
from assistant.drafting.models import DraftDocument, Procedure, ProcessCard
from assistant.errors import LLMUnavailableError
from assistant.llm import get_chat_model, structured
from assistant.prompt_data import escape_data

PROMPT_DIR = Path("drafting")
MAX_CONTEXT_CHARS = 3000
# A process card as JSON is far longer than a chat answer; the answering default (800 tokens) would cut it.
MIN_DRAFT_TOKENS = 4000


def load_prompt(prompts_dir: Path) -> ChatPromptTemplate:
    system = (prompts_dir / PROMPT_DIR / "refine_system.md").read_text(encoding="utf-8")
    user = (prompts_dir / PROMPT_DIR / "refine_user.md").read_text(encoding="utf-8")
    return ChatPromptTemplate.from_messages([("system", system), ("human", user)])


def drafting_model(settings: Settings) -> BaseChatModel | None:
    tokens = max(settings.llm_max_tokens, MIN_DRAFT_TOKENS)
    return get_chat_model(settings.model_copy(update={"llm_max_tokens": tokens}))


def context_text(chunks: list[Document]) -> str:
    parts, used = [], 0
    for i, doc in enumerate(chunks, 1):
        # Passages (uploads among them) are data: their tags and markers cannot close the prompt's data block.
        piece = f"[{i}] {escape_data(str(doc.metadata.get('section', '')))}\n{escape_data(doc.page_content.strip())}"
        if used + len(piece) > MAX_CONTEXT_CHARS:
            break
        parts.append(piece)
        used += len(piece)
    return "\n\n".join(parts) or "（无）"


def refine(
    doc: DraftDocument, company: str, chunks: list[Document], model: BaseChatModel, settings: Settings
) -> DraftDocument:
    """The draft with an LLM-improved body, or the same draft plus a notice saying why not."""
    schema = type(doc.body)
    messages = load_prompt(settings.prompts_dir).format_messages(
        doc_title=doc.title,
        company=company,
        context=context_text(chunks),
        schema=json.dumps(schema.model_json_schema(), ensure_ascii=False),
        draft_json=doc.body.model_dump_json(indent=1),
    )
    try:
        body = structured(model, schema, messages, settings)
    except (LLMUnavailableError, ValueError) as exc:
        notice = f"大模型完善未成功，已使用模板草稿：{exc}"
        return doc.model_copy(update={"notices": [*doc.notices, notice]})
    # Identity fields stay as numbered in the pack, whatever the model wrote.
    if isinstance(body, ProcessCard) and isinstance(doc.body, ProcessCard):
        body = body.model_copy(update={"name": doc.body.name, "code": doc.body.code})
    if isinstance(body, Procedure) and isinstance(doc.body, Procedure):
        body = body.model_copy(update={"title": doc.body.title, "code": doc.body.code})
    notice = f"本文件由大模型（{settings.llm_model}）在模板草稿基础上结合知识库完善，请人工审核后使用。"
    return doc.model_copy(update={"body": body, "notices": [*doc.notices, notice]})


def clause_chunks(settings: Settings, clauses: list[str]) -> list[Document]:
    """Without an index, ground the LLM in the clause summaries the draft cites."""
    from ingest.clauses import clause_index

    index = clause_index(settings.corpus_dir)
    return [
        Document(page_content=index[n]["summary"], metadata={"section": f"ISO 9001:2015 {n} {index[n]['title_zh']}"})
        for n in clauses
        if n in index
    ]
