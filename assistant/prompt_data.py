"""Data put into prompts: the numbered passages inside <资料>…</资料>, with anything in them that looks like the
prompt's own structure neutralised, so an uploaded document can never close the data block or pose as a passage."""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.documents import Document

from assistant.citations import Citation

# The data tags in any spelling a model would read as them: half- or full-width brackets, spaces, case.
_TAG = re.compile(r"[<＜〈]\s*(/?)\s*(资料|data|context|system|user|assistant)\s*[>＞〉]", re.IGNORECASE)
_MARKER = re.compile(r"\[(\d+)\]")
_CHAT_TOKENS = re.compile(r"<\|[^|>]{1,30}\|>|\[/?INST\]|<</?SYS>>")  # chat-template control tokens


def escape_data(text: str) -> str:
    """Text safe to put inside the data block: tags become 〔资料〕, markers ［1］, chat control tokens are removed."""
    text = _CHAT_TOKENS.sub("", text)
    text = _TAG.sub(lambda m: f"〔{m.group(1)}{m.group(2)}〕", text)
    return _MARKER.sub(r"［\1］", text)


def format_context(docs: Sequence[Document | Citation]) -> str:
    """The passages numbered 1..n as the answer prompt's {context}: "[n]（section）" then the passage text.

    Documents are numbered by position, citations keep their `n`: the numbers the model cites and verify_answer checks.
    """
    blocks = []
    for i, doc in enumerate(docs, start=1):
        if isinstance(doc, Citation):
            n, section, text = doc.n, doc.section, doc.text
        else:
            n, section, text = i, str(doc.metadata.get("section", "")), doc.page_content
        section = escape_data(section).replace("\n", " ")
        blocks.append(f"[{n}]（{section}）\n{escape_data(text)}")
    return "\n\n".join(blocks)
