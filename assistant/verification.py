"""Verification of a model's answer before anyone sees it as the assistant's: every sentence must be stated by a
passage that was in the prompt (assistant.grounding.check), and the answer as a whole must be mostly grounded, on
topic and not an echo of the prompt. Also the check of a model's rewrite of a follow-up question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from assistant.citations import Citation
from assistant.grounding import INJECTION, MARK, Check, check, clean_passage, numbers, overlap
from assistant.understanding import Analysis, ConceptModel, analyse
from assistant.understanding.text import CLAUSE_NO, normalise
from ingest.chunking import SECTION_SEP

__all__ = ["INJECTION", "Verified", "check_rewrite", "split_marked_sentences", "verify_answer"]

# Below this share of supported factual sentences the text is more the model's than the passages': the remnant
# left after dropping the rest no longer answers the question, so the caller falls back to the extractive answer.
# Above it, the few dropped sentences are usually a paraphrase the strict check could not confirm (a false
# negative costs one sentence, not the answer). 0.6 keeps 2 of 3 and 3 of 5, and rejects 1 of 2.
MIN_SUPPORTED = 0.6
MAX_CHARS = 2000  # the system prompt asks for ≤ 8 sentences; far beyond this is a runaway or an echo
_ECHO_SHINGLE = 10  # characters: a run this long shared with the instructions is copied, not coincidence
_ECHO_SHARE = 0.2  # share of the answer's characters inside such runs that makes it an echo
_LEAD_MARKS = re.compile(r"^[ \t]*(?:\[\d+\][ \t]*)+")
_DATA_ECHO = re.compile(r"</?资料>|^\s*\[\d+\]（", re.MULTILINE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.、)]|（\d+）)\s*")
_ADVICE = re.compile(
    r"^\s*(?:[-*]\s*)?\**(?:不符合项?描述|不符合事实|建议|纠正措施|纠正|原因分析|整改建议|判定)\**[：:]"
)
_META = re.compile(r"(?:资料|指南|标准|知识库)\S{0,8}?(?:未|没有)(?:规定|涵盖|提到|明确|给出)")
_LONG_SENTENCE = 400  # normalised characters; the longest sentence or line of the guide has 252
_MAX_REPEATS = 2  # a model that repeats itself more often is looping, whatever survives the checks
# Lines that state nothing to check: a verdict or yes/no opener ("判定：不符合。", "是的。"), whose basis follows.
_VERDICT = re.compile(
    r"^(判定|结论|答|回答|总结|简答)?(是|否|是的|不是|对|不对|要|不要|需要|不需要|必须|不必|可以|不可以|应该|"
    r"不应该|符合|不符合|部分符合|无法判定|不一定|有|没有)$"
)
_HEADING = re.compile(r"^\s*(#{1,6}\s|\*\*[^*]+\*\*\s*$)")
_CLAUSE_LINE = re.compile(r"^\s*(?:相关\s*)?(?:ISO\s*9001\s*)?条款[：:]\s*[\d.、，,\s]+$")
_LABEL = re.compile(r"^\s*[^：:。，,]{1,20}[：:]")
_SHORT_INTRO = 20  # normalised characters of a list introduction or heading
_ADVICE_FLOOR = 0.2  # bigram share of an advice line found in that ground: on topic, not a quotation
_REWRITE_ECHO = re.compile(r"改写|对话历史|追问|用户：|助手：|<资料>|规则|问题：")


@dataclass
class Verified:
    """A checked answer: only supported sentences remain, markers renumbered 1..n with the citations they point to."""

    text: str
    citations: list[Citation]
    accepted: bool
    dropped: list[str] = field(default_factory=list)  # the sentences removed, as written by the model
    reasons: list[str] = field(default_factory=list)  # why sentences were dropped or the answer rejected (Chinese)
    factual: int = 0  # sentences that state something and so needed support
    supported: int = 0

    @property
    def share(self) -> float:
        return self.supported / self.factual if self.factual else 0.0


def split_marked_sentences(text: str) -> list[tuple[str, list[int]]]:
    """Split model output into sentences (and lines) with the [n] markers attached to each."""
    pieces = re.split(r"(?<=[。！？!?\n])", text)
    merged: list[str] = []
    for piece in pieces:
        # Models also write "…要求。[1]": markers right after the full stop belong to the sentence before it.
        lead = _LEAD_MARKS.match(piece)
        if lead and merged and merged[-1].rstrip("\n").endswith(tuple("。！？!?")) and not merged[-1].endswith("\n"):
            merged[-1] += lead.group(0)
            piece = piece[lead.end() :]
        if piece.strip():
            merged.append(piece)
        elif piece and merged:
            merged[-1] += piece  # keep line breaks: they carry the answer's paragraphs and lists
    return [(piece, [int(m) for m in MARK.findall(piece)]) for piece in merged]


def echo_share(text: str, prompt_texts: Sequence[str]) -> float:
    """Share of the answer's characters that sit in runs copied from the instructions."""
    answer = normalise(MARK.sub("", text))
    if len(answer) < _ECHO_SHINGLE:
        return 0.0
    shingles = {
        p[i : i + _ECHO_SHINGLE] for p in map(normalise, prompt_texts) for i in range(len(p) - _ECHO_SHINGLE + 1)
    }
    covered = [False] * len(answer)
    for i in range(len(answer) - _ECHO_SHINGLE + 1):
        if answer[i : i + _ECHO_SHINGLE] in shingles:
            covered[i : i + _ECHO_SHINGLE] = [True] * _ECHO_SHINGLE
    return sum(covered) / len(answer)


def _passage(c: Citation) -> str:
    # The heading and clause belong to the passage: "9.2" or "内部审核" may be stated there rather than in the text.
    return "\n".join([*c.section.split(SECTION_SEP), c.clause, clean_passage(c.text)])


def _kind(body: str, finished: bool, ground: str) -> str:
    """What a line is: blank, connective, meta, advice, cut (unfinished at the end), or a claim to verify."""
    plain = normalise(body)
    if not plain:
        return "blank"
    if not finished:
        return "cut"
    if _VERDICT.match(plain):
        return "connective"
    if _CLAUSE_LINE.match(body):
        return "clauses"
    intro = body.rstrip().endswith(("：", ":")) or _HEADING.match(body)
    if intro and len(plain) <= _SHORT_INTRO and not numbers(body) and overlap(body, ground) >= 0.5:
        return "connective"  # "主要步骤：", "### 内部审核": words of the question or the passages, nothing stated
    if _ADVICE.match(body):
        return "advice"
    meta = _META.match(body.strip())
    rest = body.strip()[meta.end() :] if meta else ""
    if meta and len(normalise(rest)) <= 12 and not re.search(r"[，,；;]", rest) and not numbers(body):
        return "meta"  # "标准和指南未规定具体频次。": says what the passages lack, nothing more
    return "claim"


def _clause_line_problem(body: str, citations: Sequence[Citation]) -> str:
    """ "相关 ISO 9001 条款：9.2、9.3" may name only clauses of the passages given."""
    known = " ".join(f"{c.clause} {c.section}" for c in citations)
    ok = all(re.search(rf"(?<![\d.]){re.escape(n)}(?!\d)", known) for n in CLAUSE_NO.findall(body))
    return "" if ok else "条款号与资料不符"


def _advice_problem(body: str, ground: str) -> str:
    """A suggested correction is the model's own wording, but on the question's ground and with no new numbers."""
    ok = overlap(body, ground) >= _ADVICE_FLOOR and all(n in ground for n in numbers(body))
    return "" if ok and not INJECTION.search(body) else "建议与问题和资料无关"


def _supporting(body: str, marks: list[int], passages: dict[int, str]) -> tuple[list[int], str]:
    """The passages that state a claim: its own markers that pass, else the best other passage; or why none does."""
    good = [m for m in dict.fromkeys(marks) if m in passages and check(body, passages[m], clean=False).ok]
    if good:
        return good, ""
    results: list[tuple[int, Check]] = [(n, check(body, p, clean=False)) for n, p in passages.items()]
    best = max((r for r in results if r[1].ok), key=lambda r: r[1].overlap, default=None)
    if best:
        return [best[0]], ""
    closest = max(results, key=lambda r: r[1].overlap, default=None)
    return [], closest[1].reason if closest else "没有可核对的资料"


def _on_topic(text: str, analysis: Analysis | None) -> bool:
    if analysis is None or not (analysis.concepts or analysis.clauses):
        return True
    words = [w for c in (*analysis.concepts, *analysis.framing) for w in c.words] + list(analysis.topic_clauses)
    plain = normalise(text)
    return any(normalise(w) and normalise(w) in plain for w in words)


def verify_answer(
    text: str,
    citations: Sequence[Citation],
    analysis: Analysis | None,
    *,
    prompt_texts: Sequence[str] = (),
    max_chars: int = MAX_CHARS,
) -> Verified:
    """Keep the sentences a cited passage states, renumber their markers, and decide whether the answer stands.

    `citations` are the passages as numbered in the prompt; `prompt_texts` the instructions the model was given
    (system and answer prompt), to recognise an echo. A marker is only ever kept for the passage it was checked
    against; a sentence whose own markers fail but which another passage states gets that passage's marker.
    """
    by_n = {c.n: c for c in citations}
    passages = {c.n: _passage(c) for c in citations}
    reasons: list[str] = []
    if _DATA_ECHO.search(text) or (prompt_texts and echo_share(text, prompt_texts) >= _ECHO_SHARE):
        return Verified("", [], False, [text], ["回答复述了提示词或资料块，不是回答"])
    if len(text) > max_chars:
        reasons.append(f"回答过长（{len(text)} 字），可能失控")
    # Suggested corrections (scenario answers) are the model's own words by design: they must stay on the ground of
    # the question, its topics' vocabulary and the passages.
    topic_words = (
        [f"{c.description}{''.join(c.words)}" for c in (*analysis.concepts, *analysis.framing)] if analysis else []
    )
    ground = "\n".join([analysis.standalone if analysis else "", *topic_words, *passages.values()])
    out: list[tuple[str, list[int]]] = []  # (text without markers, markers of checked passages)
    dropped: list[str] = []
    seen: set[str] = set()
    factual = supported = repeats = 0
    sentences = split_marked_sentences(text)
    for i, (sentence, marks) in enumerate(sentences):
        body = MARK.sub("", sentence)
        finished = i < len(sentences) - 1 or body.rstrip().endswith(tuple("。！？!?”）)")) or bool(marks)
        # A last line without a full stop was cut off (token cap), unless it is a list item, a "标签：值" line, a
        # heading or a verdict, which end without one.
        finished = finished or bool(_LIST_ITEM.match(body) or _LABEL.match(body) or _HEADING.match(body))
        finished = finished or bool(_VERDICT.match(normalise(body)))
        kind = _kind(body, finished, ground)
        key = normalise(body)
        if kind != "blank" and key in seen:
            dropped.append(sentence)
            reasons.append("重复的句子")
            repeats += 1
            continue
        if len(key) > _LONG_SENTENCE:
            dropped.append(sentence)
            reasons.append("句子过长，可能失控")
            repeats += 1
            continue
        seen.add(key)
        if kind in ("blank", "connective", "meta"):
            out.append((body, []))
            continue
        if kind == "cut":
            dropped.append(sentence)
            reasons.append("句子没有写完")
            continue
        if kind == "clauses" or kind == "advice":
            problem = _clause_line_problem(body, citations) if kind == "clauses" else _advice_problem(body, ground)
            if problem:
                dropped.append(sentence)
                reasons.append(problem)
            else:
                out.append((body, []))
            continue
        factual += 1
        good, problem = _supporting(body, marks, passages)
        if not good:
            dropped.append(sentence)
            reasons.append(problem)
            continue
        supported += 1
        out.append((body, good))

    # Renumber in order of first use; each kept marker maps to the passage it was checked against.
    order: dict[int, int] = {}
    for _, good in out:
        for m in good:
            order.setdefault(m, len(order) + 1)
    pieces = []
    for body, good in out:
        trail = body.rstrip()
        marks = "".join(f"[{order[m]}]" for m in good)
        pieces.append(trail + marks + body[len(trail) :] if marks else body)
    used = [replace(by_n[old], n=new) for old, new in sorted(order.items(), key=lambda kv: kv[1])]
    final = "".join(pieces).strip()

    share = supported / factual if factual else 0.0
    if not factual or not supported:
        reasons.append("没有一句能在资料中核实")
    elif share < MIN_SUPPORTED:
        reasons.append(f"只有 {supported}/{factual} 句能在资料中核实")
    if not _on_topic(final, analysis) and share < 0.8:
        reasons.append("回答没有谈到问题的主题")
    # Off topic only counts with weak support: an answer the passages state well may use their words, not the user's.
    on_topic = _on_topic(final, analysis) or share >= 0.8
    if repeats > _MAX_REPEATS:
        reasons.append("回答在重复，可能失控")
    accepted = bool(supported) and share >= MIN_SUPPORTED and len(text) <= max_chars and on_topic
    accepted = accepted and repeats <= _MAX_REPEATS
    return Verified(final, used, accepted, dropped, list(dict.fromkeys(reasons)), factual, supported)


def check_rewrite(
    original: str, rewritten: str, rule_based: Analysis, *, model: ConceptModel | None = None
) -> str | None:
    """The model's stand-alone rewrite of a follow-up, if it is one short question on the same topic; else None.

    `rule_based` is the analysis of the follow-up with the conversation (assistant.understanding.analyse): its
    topic (or named clauses) must survive the rewrite, so an echoed prompt or a drifted question is never searched.
    """
    lines = [x.strip() for x in (rewritten or "").strip().splitlines() if x.strip()]
    if len(lines) != 1:
        return None
    candidate = re.sub(r"^(改写后的问题|问题)[：:]\s*", "", lines[0]).strip("\"'“”「」 ")
    if not candidate or len(candidate) > 3 * len(original.strip()) + 40 or _REWRITE_ECHO.search(candidate):
        return None
    if len(re.findall(r"[。！？!?]", candidate.rstrip("。！？!?"))) > 0 or INJECTION.search(candidate):
        return None  # more than one sentence: an answer or an explanation, not a question
    again = analyse(candidate, model=model)
    if rule_based.topic is not None:
        ids = {c.id for c in (*again.concepts, *again.framing)}
        return candidate if rule_based.topic.id in ids else None
    if rule_based.clauses:
        return candidate if set(rule_based.clauses) <= set(again.clauses) else None
    return candidate if again.scope != "out" or rule_based.scope == "out" else None
