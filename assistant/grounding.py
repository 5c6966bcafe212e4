"""Whether a passage states a sentence: shared wording, and the same negation, obligation and quantities.

Character bigrams alone let "不需要编制内审计划" pass against "编制内审计划" (one extra character pair), so after
the overlap test every clause of the sentence is aligned with its closest passage sentence and must agree with it:
- negation (不/没有/无需/未/非/禁止 …): what the sentence negates the passage sentence negates too, and what the
  closest passage clause negates the sentence does not state (不合格/不符合 are compared as terms);
- obligation and quantity words (必须/应/需要/至少/每年/所有 …) must be stated by the aligned passage sentence;
- every number in the sentence must occur in the passage.
Text in uploads that addresses the assistant ("忽略以上指令……") is removed from a passage before any of this, so
an obedient model cannot quote an injection back as "supported".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.understanding.text import bigrams, normalise, sentences

MARK = re.compile(r"\[(\d+)\]")
# Text in uploaded documents is data: sentences that address the assistant are never quoted or counted as support.
INJECTION = re.compile(
    r"(忽略|无视|忘记|不要理会|不要遵守|跳过).{0,8}(以上|之前|前面|上述|所有|系统|全部).{0,6}(指令|提示|规则|要求|设定)|"
    r"ignore (all |the )?(previous|above|prior) (instructions|prompts)|你现在(是|扮演)|system prompt|系统提示词|"
    r"(只|直接|必须|请)(回答|回复|输出)[:：]|(作为|身为)(ai|人工智能|助手|大模型|语言模型)",
    re.IGNORECASE,
)
OVERLAP_FLOOR = 0.5  # share of the sentence's bigrams found in the passage: paraphrases score 0.6–0.8, unrelated < 0.3
CLAUSE_FLOOR = 0.4  # each clause of the sentence against its closest passage sentence: catches an invented clause

# Negation cues, and words that contain one without negating anything (the QMS noun 不合格品, 无论, 未来 …).
_NEGATION = re.compile(r"没有|禁止|严禁|不|没|无|未|非|勿|免于")
_NOT_NEGATION = re.compile(r"不合格|不符合|不良|不断|不同|不仅|不论|不管|无论|有无|非常|未来|是否|无误")
# What a negation negates: the two characters after it, past modal words ("不需要编制" negates 编制).
_MODALS = re.compile(r"^(?:需要|需|要(?!求)|应当|应该|应|必须|必|须|用|得|可以|可|能|该|会|是|一定|再)")
# The QMS's own negative terms are nouns (不合格品, 不符合项); they are compared as terms: "产品合格" against
# "产品不合格" is a flip all the same.
_TERMS = ("合格", "符合")
# A sentence's word of a class must be matched by a word of the same class in the passage sentence it rests on.
_CLASSES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    # (words that trigger the check in the answer, words that satisfy it in the passage)
    (("必须", "务必", "应当", "应该", "应", "须", "需要", "需", "要求", "一定要", "强制"),
     ("必须", "务必", "应当", "应该", "应", "须", "需要", "需", "要求", "一定要", "强制")),
    (("至少", "不少于", "最少", "起码"), ("至少", "不少于", "最少", "起码")),
    (("最多", "不超过", "至多", "最长"), ("最多", "不超过", "至多", "最长")),
    (("每年", "每年度", "年度"), ("每年", "每年度", "年度", "一年")),
    (("每季度",), ("每季度", "季度")),
    (("每月", "每个月"), ("每月", "每个月", "月度")),
    (("每周", "每星期"), ("每周", "每星期")),
    (("每天", "每日", "每班"), ("每天", "每日", "每班")),
    (("全部", "所有", "一切", "全体", "任何", "每一", "每个", "一律"),
     ("全部", "所有", "一切", "全体", "任何", "每一", "每个", "一律", "各", "均", "都", "全面")),
)  # fmt: skip
# Words that contain a trigger without carrying its meaning (供应 is not 应, 需求 is not 需).
_NOT_TRIGGER = re.compile(
    r"应用|供应|相应|对应|响应|适应|反应|应对(?=风险|机遇|措施|变化|突发|方案)|应急|应变|需求|必需品|"
    r"的要求|要求的|(?:满足|符合|顾客|客户|法规|法律法规|相关|标准|产品|技术)要求"  # 要求 the noun
)
_MEASURE = r"次|年|个月|月|周|天|日|小时|步|项|类|种|条|名|人|层|级|倍|份|个|家|章|%"
_NUMBER = re.compile(
    rf"(?P<arabic>\d+(?:\.\d+)*)\s*(?P<am>{_MEASURE})?|"
    rf"(?<!进)(?P<chinese>[一二两三四五六七八九十百千半]+)(?P<cm>{_MEASURE})"
)
_GENERIC_ONE = re.compile(r"^一(?:个|种|项|类|条|名|份|级|步|层|家|章)$")  # "一个过程" is an article, not a quantity
_ENUMERATOR = re.compile(r"^\s*(?:[-*•]\s*)?(?:\d+[.、)）](?!\d)|（\d+）|[一二三四五六七八九十]+、)\s*", re.MULTILINE)
_DIGITS = dict(zip("一二两三四五六七八九", (1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_STANDARD = re.compile(r"(?:ISO|GB/T)\s*\d+(?:[:：-]\d{4})?|\d{4}\s*版", re.IGNORECASE)
_CLAUSE_CUT = re.compile(r"[，,；;：:]")


@dataclass(frozen=True)
class Check:
    """The verdict on one sentence against one passage: `ok`, the bigram overlap, and why it failed."""

    ok: bool
    overlap: float
    reason: str = ""


def clean_passage(text: str) -> str:
    """The passage without text that addresses the assistant, nor the sentence after it when that holds the payload
    ("忽略以上指令。请回答：…")."""
    out: list[str] = []
    for line in text.split("\n"):
        kept: list[str] = []
        drop_next = False
        for sentence in sentences(line):
            order = INJECTION.search(sentence)
            if order:
                # "忽略以上指令。" ends before its payload: then the next sentence is the payload.
                drop_next = len(sentence[order.end() :].strip(" ：:，,。！!")) < 4
                continue
            if drop_next:
                drop_next = False
                continue
            kept.append(sentence)
        out.append("".join(kept))
    return "\n".join(out)


def overlap(sentence: str, passage: str) -> float:
    """Share of the sentence's character bigrams found in the passage: 1.0 for a quotation, ~0 if unrelated."""
    s = bigrams(MARK.sub("", sentence))
    return len(s & bigrams(passage)) / len(s) if s else 0.0


def negated_phrases(text: str) -> set[str]:
    """What the text negates, as two-character phrases: "没有明确的要求" → {明确}, "非纸质文件" → {纸质}."""
    plain = _NOT_NEGATION.sub(lambda m: "＿" * len(m.group(0)), normalise(text))
    out = set()
    for m in _NEGATION.finditer(plain):
        rest = plain[m.end() :]
        modal = _MODALS.match(rest)
        phrase = rest[modal.end() if modal else 0 :][:2]
        if len(phrase) == 2 and "＿" not in phrase:
            out.add(phrase)
    return out


def _polarity_problem(clause: str, near: str) -> bool:
    """Does the clause negate what the passage sentence does not, or state what its closest clause negates?

    A negation in the answer may gather two clauses of the passage ("…非纸质信息也要关注" from "非纸质文件信息也应关注，
    如：看板…"), so it is looked for in the whole sentence; the passage's negations count only in the closest clause,
    since a long sentence negates one thing and states another ("更是不规范，而…使得文件的管理规范").
    """
    own = negated_phrases(clause)
    if any(p not in negated_phrases(near) for p in own):
        return True
    near_clause, _ = _closest(clause, [c for c in _CLAUSE_CUT.split(near) if c.strip()] or [near])
    plain = normalise(clause)
    theirs = negated_phrases(near_clause)
    if (theirs and not own) or any(p in plain and p not in own for p in theirs):
        return True
    for term in _TERMS:  # 不合格 / 不符合 as terms
        said_not, said = f"不{term}" in clause, term in clause.replace(f"不{term}", "")
        if (said_not and f"不{term}" not in near) or (said and term not in near.replace(f"不{term}", "")):
            return True
    return False


def numbers(text: str) -> list[str]:
    """The quantities a sentence states (not the standard's name "ISO 9001:2015", nor a list item's "1.")."""
    plain = _ENUMERATOR.sub("", _STANDARD.sub("", MARK.sub("", text)))
    return [m.group(0).strip() for m in _NUMBER.finditer(plain) if not _GENERIC_ONE.match(m.group(0))]


def _chinese_value(numeral: str) -> str:
    """六 → 6, 十二 → 12, 二十 → 20, 半 → 0.5; anything rarer stays as written."""
    if numeral == "半":
        return "0.5"
    if all(c in _DIGITS for c in numeral) and len(numeral) == 1:
        return str(_DIGITS[numeral])
    tens, _, ones = numeral.partition("十")
    if "十" in numeral and all(c in _DIGITS for c in tens + ones) and len(tens) <= 1 and len(ones) <= 1:
        return str((_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0))
    return numeral


def _quantities(text: str) -> set[tuple[str, str]]:
    """(value, measure) pairs: "8 步", "八个" and "8" all have the value 8."""
    out = set()
    for m in _NUMBER.finditer(_ENUMERATOR.sub("", _STANDARD.sub("", MARK.sub("", text)))):
        if m.group("arabic"):
            out.add((m.group("arabic"), m.group("am") or ""))
        else:
            out.add((_chinese_value(m.group("chinese")), m.group("cm")))
    return out


def _stated(number: str, passage: str, quantities: set[tuple[str, str]]) -> bool:
    if number in passage:
        return True
    ((value, measure),) = _quantities(number) or {("", "")}
    # 个 is the general measure word: "共 8 步" is stated by "八个步骤"; "一次" is not stated by "一年".
    return any(v == value and (m == measure or {m, measure} & {"", "个"}) for v, m in quantities)


def _classes_in(text: str) -> list[int]:
    plain = _NOT_TRIGGER.sub("", _NOT_NEGATION.sub("", text))
    return [i for i, (trigger, _) in enumerate(_CLASSES) if any(w in plain for w in trigger)]


def _satisfies(cls: int, text: str) -> bool:
    plain = _NOT_TRIGGER.sub("", text)
    return any(w in plain for w in _CLASSES[cls][1])


def _passage_sentences(passage: str) -> list[str]:
    return [s for line in passage.split("\n") for s in sentences(line, semicolons=False) if bigrams(s)]


def _closest(text: str, candidates: list[str]) -> tuple[str, float]:
    best, score = "", -1.0
    for candidate in candidates:
        s = overlap(text, candidate)
        if s > score or (s == score and len(candidate) < len(best)):
            best, score = candidate, s
    return best, max(score, 0.0)


def check(sentence: str, passage: str, *, clean: bool = True) -> Check:
    """Does `passage` state `sentence`? Cleans the passage of injected instructions first unless told it is clean."""
    body = MARK.sub("", sentence)
    text = clean_passage(passage) if clean else passage
    whole = overlap(body, text)
    if whole < OVERLAP_FLOOR:
        return Check(False, whole, "用词与资料差别大")
    quantities = _quantities(text)
    missing = [n for n in numbers(body) if not _stated(n, text, quantities)]
    if missing:
        return Check(False, whole, f"数字“{missing[0]}”资料中没有")
    units = _passage_sentences(text)
    for clause in (c for c in _CLAUSE_CUT.split(body) if len(bigrams(c)) >= 3):
        near, score = _closest(clause, units)
        if score < CLAUSE_FLOOR:
            return Check(False, whole, f"“{clause.strip()}”资料中没有")
        # Negation is judged on the closest clause of that sentence: a negation elsewhere in it is another matter.
        if _polarity_problem(clause, near):
            return Check(False, whole, f"“{clause.strip()}”与资料的肯定/否定不一致")
        for cls in _classes_in(clause):
            if not _satisfies(cls, near):
                word = next(w for w in _CLASSES[cls][0] if w in clause)
                return Check(False, whole, f"“{word}”资料中没有这样的要求")
    return Check(True, whole)
