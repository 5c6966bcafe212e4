"""The one sentence splitter and the one tokenizer: jieba plus the QMS vocabulary, clause numbers kept whole.

Everything that cuts text into sentences (chunking, vectors, extractive answers, citation checks, quizzes) or
into words (BM25, answer scoring, concept matching) calls this module, so they agree on where a sentence ends.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path

from assistant.config import REPO_ROOT

CLAUSE_NO = re.compile(r"(?<![\d.])(?:[4-9]|10)(?:\.\d{1,2}){1,3}(?![\d.])")
_KEEP = re.compile(r"[\w\u3400-\u9fff]")
# A sentence ends at 。！？；!?; — and a closing quote or bracket right after the stop stays with it ("…。）").
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])(?![”’」』）)\]】])|(?<=[。！？；!?;][”’」』）)\]】])")
_STRONG_END = re.compile(r"(?<=[。！？!?])(?![”’」』）)\]】])|(?<=[。！？!?][”’」』）)\]】])")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 或 等 对 为 要 把 被 将 就 也 都 而 并 其 之 中 上 下 个 有 我 我们 你 您 他 它 这 那 "
    "哪 些 吗 呢 吧 啊 怎么 怎样 如何 什么 哪些 为什么 可以 需要 应该 是否 一下 一个 里 里面 方面 进行 "
    "请问 请 想 问 能 会 该 还 又 得 着 过 呀 嘛 "
    # How a question is put, not what it is about ("该怎么办" matched a summary that says "怎么办")
    "怎么办 怎么样 怎样才能 才能 咋 咋办 啥 哪里 这种 这样 老是 总是 最近 有没有 要不要 能不能 算不算".split()
)

_lock = threading.Lock()
_loaded: set[Path] = set()
_extra_words: set[str] = set()


def sentence_pieces(text: str, *, semicolons: bool = True) -> list[str]:
    """The text cut into sentences as written (spaces kept), so positions can be counted through them."""
    return (_SENTENCE_END if semicolons else _STRONG_END).split(text)


def sentences(text: str, *, semicolons: bool = True) -> list[str]:
    """Sentences of a paragraph, stripped; with `semicolons=False` only 。！？ end one."""
    return [p.strip() for p in sentence_pieces(text, semicolons=semicolons) if p.strip()]


def add_words(words: Iterable[str]) -> None:
    """Teach the tokenizer domain words (concept names and aliases) so jieba keeps them whole."""
    new = {w for w in words if w and len(w) > 1 and w not in _extra_words}
    if not new:
        return
    with _lock:
        _extra_words.update(new)
        if _loaded:
            import jieba

            for word in new:
                jieba.add_word(word, freq=20000)


def load_vocabulary(corpus_dir: Path | None = None) -> None:
    """Load jieba with corpus/lexicon/terms.txt and the concept vocabulary of `corpus_dir` (once per dir)."""
    corpus_dir = Path(corpus_dir or REPO_ROOT / "corpus").resolve()
    with _lock:
        if corpus_dir in _loaded:
            return
        import jieba

        jieba.setLogLevel(logging.WARNING)
        terms = corpus_dir / "lexicon" / "terms.txt"
        if terms.exists():
            jieba.load_userdict(str(terms))
        jieba.initialize()
        first = not _loaded
        _loaded.add(corpus_dir)
        words = set(_extra_words)
    if first:
        for word in words:
            jieba.add_word(word, freq=20000)
    from assistant.understanding.concepts import ConceptModel

    add_words(ConceptModel.load(corpus_dir).vocabulary())


def tokenize(text: str) -> list[str]:
    """Search-mode tokens (long words and their parts), lower-cased, stopwords and punctuation dropped."""
    if not _loaded:
        load_vocabulary()
    import jieba

    numbers = CLAUSE_NO.findall(text)
    rest = CLAUSE_NO.sub(" ", text)
    tokens = [t.lower() for t in jieba.cut_for_search(rest)]
    tokens = [t for t in tokens if t.strip() and _KEEP.search(t) and t not in STOPWORDS]
    return tokens + [f"§{n}" for n in numbers]


def words(text: str) -> list[str]:
    """Plain (non-overlapping) words: for telling which terms of a question the knowledge base knows."""
    if not _loaded:
        load_vocabulary()
    import jieba

    rest = CLAUSE_NO.sub(" ", text)
    return [t.lower() for t in jieba.cut(rest) if t.strip() and _KEEP.search(t) and t not in STOPWORDS]


def clause_numbers(text: str) -> list[str]:
    return CLAUSE_NO.findall(text)


def normalise(text: str) -> str:
    """Lower case without spaces or punctuation: the form names and aliases are compared in."""
    return _PUNCT.sub("", text.lower())


def bigrams(text: str) -> set[str]:
    clean = normalise(text)
    return {clean[i : i + 2] for i in range(len(clean) - 1)}
