"""Chinese lexical tokenisation for BM25: jieba plus the QMS vocabulary, clause numbers kept whole."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path

import yaml

_LEXICON_DIR = Path(__file__).resolve().parents[1] / "corpus" / "lexicon"
_CLAUSE_NO = re.compile(r"(?<![\d.])(?:[4-9]|10)(?:\.\d{1,2}){1,3}(?![\d.])")
_KEEP = re.compile(r"[\w\u3400-\u9fff]")
_STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 或 等 对 为 要 把 被 将 就 也 都 而 并 其 之 中 上 下 个 有 我 我们 你 您 他 它 这 那 "
    "哪 些 吗 呢 吧 啊 怎么 怎样 如何 什么 哪些 为什么 可以 需要 应该 是否 一下 一个 里 里面 方面 进行 "
    "请问 请 想 问 能 会 该 还 又 得 着 过 呀 嘛".split()
)
_lock = threading.Lock()
_ready = False


@lru_cache(maxsize=1)
def synonyms() -> dict[str, list[str]]:
    """Colloquial term → the guide's/standard's terms (内审 → 内部审核), from corpus/lexicon/synonyms.yaml."""
    path = _LEXICON_DIR / "synonyms.yaml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): [str(v) for v in vs] for k, vs in data.items()}


def _init_jieba() -> None:
    global _ready
    with _lock:
        if _ready:
            return
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        terms = _LEXICON_DIR / "terms.txt"
        if terms.exists():
            jieba.load_userdict(str(terms))
        for key, values in synonyms().items():
            for word in [key, *values]:
                jieba.add_word(word, freq=20000)
        jieba.initialize()
        _ready = True


def tokenize(text: str) -> list[str]:
    """Search-mode tokens (long words and their parts), lower-cased, stopwords and punctuation dropped."""
    _init_jieba()
    import jieba

    clause_numbers = _CLAUSE_NO.findall(text)
    rest = _CLAUSE_NO.sub(" ", text)
    tokens = [t.lower() for t in jieba.cut_for_search(rest)]
    tokens = [t for t in tokens if t.strip() and _KEEP.search(t) and t not in _STOPWORDS]
    return tokens + [f"§{n}" for n in clause_numbers]


def expand_query(text: str) -> str:
    """Append the formal terms for colloquial ones so BM25 and the embedder meet the corpus wording."""
    extra = [term for key, values in synonyms().items() if key in text for term in values if term not in text]
    return text if not extra else text + "（" + "、".join(dict.fromkeys(extra)) + "）"


def clause_numbers(text: str) -> list[str]:
    return _CLAUSE_NO.findall(text)
