"""Question analysis: what the question is about, what kind of answer it wants, and what is only context.

Deterministic and index-free, so it is tested with a table (tests/understanding/cases.yaml). Retrieval uses the
expansions and clauses, the scope decision uses `scope`/`out_of_scope`, and the answer is shaped by `intent`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache

from assistant.understanding.concepts import ConceptModel
from assistant.understanding.models import Analysis, Concept, Intent, Match
from assistant.understanding.text import clause_numbers, normalise, words

CONTEXT_KINDS = ("industry", "process_step", "role", "business_model")
_SIZE = re.compile(r"(?:\d{1,4}|[一二三四五六七八九十两几百千]{1,3})\s*(?:来|多|余|几)?\s*(?:个)?\s*(?:人|名员工|号人)")
_LEAD_IN = re.compile(r"^(那么|那|还有|另外|再问一下|再问|然后|如果是|要是)\s*")
_FOLLOW_TAIL = re.compile(r"(呢|怎么样|又如何|怎么办)[？?。!！]*$")
_QUESTION_WORDS = frozenset(
    "什么 怎么 怎样 如何 哪些 哪个 哪 吗 呢 要 不要 需要 必须 可以 是否 多少 几 谁 为什么 做 办 管 搞 写 定 有 没有 "
    "应该 能 会 算 讲 说 问 一下 公司 我们 企业 工厂 老 总是 经常 老是 一直 现在 以后 时候 问题 情况 东西 事情".split()
)


def _intents(model: ConceptModel) -> list[tuple[Intent, list[re.Pattern[str]], list[re.Pattern[str]]]]:
    rows = sorted(model.of_kind("intent"), key=lambda c: int(c.extra.get("priority", 99)))
    return [
        (
            c.id.removeprefix("intent."),  # type: ignore[misc]
            [re.compile(p) for p in c.extra.get("patterns", [])],
            [re.compile(p) for p in c.extra.get("framing", [])],
        )
        for c in rows
    ]


@lru_cache(maxsize=4)
def _cached_intents(model_id: int, model: ConceptModel):  # noqa: ANN202 - keyed on the model object
    return _intents(model)


def detect_intent(question: str, model: ConceptModel) -> tuple[Intent, list[tuple[int, int]]]:
    """The question's intent, and the spans that only frame a described situation ("内审时发现…")."""
    intents = _cached_intents(id(model), model)
    framing: list[tuple[int, int]] = []
    for _name, _, frames in intents:
        for frame in frames:
            framing += [m.span() for m in frame.finditer(question)]
    for name, patterns, _ in intents:
        if any(p.search(question) for p in patterns):
            return name, framing
    # A described finding without a judgement cue is still a scenario for an auditor to judge.
    if framing and len(question) >= 12:
        return "scenario", framing
    return "general", framing


_SEGMENTS = re.compile(r"[^，,。；;！!？?：:]+[，,。；;！!？?：:]*")


def _segments(text: str) -> list[str]:
    return [s for s in _SEGMENTS.findall(text) if s.strip(" ，,。；;！!？?：:")]


def _cues(model: ConceptModel, key: str) -> list[re.Pattern[str]]:
    return [re.compile(p) for p in scenario_notes(model).get(key, [])]


def without_last_part(text: str) -> str:
    """The text before its last comma/sentence part: what a question tells before what it asks."""
    return "".join(_segments(text)[:-1])


def _told_then_asked(question: str, model: ConceptModel, key: str, min_chars: int) -> bool:
    """Some telling, then a last part that asks in the way the `key` cues of intents.yaml describe."""
    pieces = _segments(question)
    told = "".join(pieces[:-1])
    return len(pieces) >= 2 and len(told) >= min_chars and any(p.search(pieces[-1]) for p in _cues(model, key))


def asks_as_an_exam(question: str, model: ConceptModel, min_chars: int = 12) -> bool:
    """An exam stem: a told case, then "主要问题是：" / "最恰当的结论是什么？" — what is wrong in it."""
    return _told_then_asked(question, model, "exam", min_chars)


def states_a_claim(question: str, model: ConceptModel, min_chars: int = 10) -> bool:
    """A true-or-false item: a claimed practice ("设计更改只要通知相关部门即可"), then "这种说法对吗？". It is judged
    by the clause the claim runs against, like a finding."""
    return _told_then_asked(question, model, "claim", min_chars)


def without_follow_on(question: str, model: ConceptModel) -> str:
    """The question without the asks that follow a judgement ("违反了哪一条？应采取什么纠正措施？" → "违反了哪
    一条？"): the correction belongs in the answer, but its words must not pull the judgement to 10.2."""
    pieces = _segments(question)
    cues = _cues(model, "follow_on")
    while len(pieces) > 2 and any(p.search(pieces[-1]) for p in cues):
        pieces.pop()
    return "".join(pieces).strip()


def without_consequences(text: str, model: ConceptModel, exam: bool = False) -> str:
    """A told finding without the parts that only report its outcome ("……，导致客户退货"), nor an exam stem's
    closing ask ("根本原因最可能是："): an auditor judges the practice described, and an outcome's words (退货,
    投诉) would pull the judgement to complaints."""
    outcome = _cues(model, "consequence")
    pieces = _segments(text)
    told, ask = pieces[:-1], ([] if exam else pieces[-1:])
    kept = told[:1] + [p for p in told[1:] if not any(c.search(p.lstrip()) for c in outcome)]
    return "".join(kept + ask).strip()


# A clause number the question only refers to ("4.2 中提到的相关方要求", "9.2 所述的审核结果").
_REFERENCED = re.compile(r"(\d{1,2}(?:\.\d{1,2}){1,3})\s*(?:中)?(?:所提及|所提到|提到|所述|所说|所规定|规定|所要求)的?")

_ABOUT_9001 = re.compile(r"9001|19001|质量管理体系标准")


def scenario_notes(model: ConceptModel) -> dict:
    """What intents.yaml says about described situations: problem and trouble cues, the generic correction."""
    return model.get("intent.scenario").extra if "intent.scenario" in model else {}


def went_wrong(text: str, model: ConceptModel) -> bool:
    """Whether a told situation says something went wrong (the problem and trouble cues of intents.yaml)."""
    notes = scenario_notes(model)
    return any(cue in text for cue in [*notes.get("problem", []), *notes.get("trouble", [])])


def describes_situation(question: str, model: ConceptModel, min_chars: int = 16) -> bool:
    """Whether the question first tells what happened ("包装好的成品被叉车撞坏了好几箱，该怎么整改？"): some
    description before the last part of the sentence, with a sign that something went wrong. Such a "how" is
    answered from the clause the situation touches, like an auditor's finding, not from the words' topic."""
    pieces = [p for p in re.split(r"[，,。；;！!？?]", question) if p.strip()]
    told = "".join(pieces[:-1])
    return len(pieces) >= 2 and len(told) >= min_chars and went_wrong(told, model)


_STANDARD = r"(ISO\s*9001(:2015)?|GB/T\s*19001|标准)"
_BY_THE_STANDARD = re.compile(
    rf"(按照|依据|根据|按)\s*{_STANDARD}[^，。？?]{{0,6}}[，,]?.{{0,20}}(应当|应该|最应该|必须|需要)"
    rf"|{_STANDARD}\s*还?(要求|需要)[^，。？?]{{0,6}}什么"
)


def asks_by_the_standard(question: str) -> bool:
    """An exam-style stem ("某企业……，依据 ISO 9001，应当……"): a case put to the standard, answered from the
    clause the case touches like a finding."""
    return bool(_BY_THE_STANDARD.search(question))


def _patterned(concept: Concept, text: str) -> bool:
    return any(re.search(p, text) for p in concept.extra.get("patterns", ()))


def _segment(text: str, pos: int) -> int:
    """Which comma/sentence segment of the question a position falls in."""
    return len(re.findall(r"[，,；;。？?！!]", text[:pos]))


def _in_spans(match: Match, spans: list[tuple[int, int]]) -> bool:
    return any(start <= match.start and match.end <= end for start, end in spans)


def _depth(concept: Concept) -> int:
    return max((c.count(".") for c in concept.clauses[:1]), default=-1)


def _order_topics(matches: list[Match], scenario: bool) -> list[Concept]:
    """The subject first: specific topics before generic ones; in a scenario the most specific finding leads."""

    def key(m: Match) -> tuple:
        generic = bool(m.concept.extra.get("generic"))
        if scenario:
            return (generic, -_depth(m.concept), -(m.end - m.start), m.start)
        # The most specific (longest) mention leads ("产品检验一次合格率" is about 一次合格率), then the first.
        return (generic, -(m.end - m.start), m.start)

    return list(dict.fromkeys(m.concept for m in sorted(matches, key=key)))


def _expansions(matches: list[Match]) -> tuple[str, ...]:
    out: list[str] = []
    for m in matches:
        extra = [str(t) for t in m.concept.extra.get("terms", [])]
        if m.concept.kind == "topic" and normalise(m.text) != normalise(m.concept.name):
            extra = [m.concept.name, *extra]
        out += extra
    return tuple(dict.fromkeys(out))


def _unknown_terms(question: str, model: ConceptModel, known: Callable[[str], bool] | None) -> tuple[str, ...]:
    if known is None:
        return ()
    content = [w for w in words(question) if len(w) >= 2 and w not in _QUESTION_WORDS]
    vocab = {normalise(v) for v in model.vocabulary()}
    return tuple(dict.fromkeys(w for w in content if not known(w) and normalise(w) not in vocab))


ByMeaning = Callable[[str], list[tuple[Concept, float]]]


def analyse_one(
    question: str,
    model: ConceptModel,
    known: Callable[[str], bool] | None = None,
    by_meaning: ByMeaning | None = None,
) -> Analysis:
    """Analyse one stand-alone question. `by_meaning` (question → concepts with similarities, best first) is
    asked only when no concept is named in words the model knows; it is None in index-free analysis."""
    q = question.strip()
    intent, framing_spans = detect_intent(q, model)
    told = without_follow_on(q, model)
    if told != q:
        told_intent, told_framing = detect_intent(told, model)
        if told_intent == "scenario" or asks_as_an_exam(told, model):
            # The judgement is asked first; the follow-on asks are answered by the scenario's correction lines.
            q, intent, framing_spans = told, "scenario", told_framing
    exam = asks_as_an_exam(q, model)
    if exam:
        intent = "scenario"
    # An exam stem's closing ask ("主要风险是：", "根本原因最可能是：") only asks: its words (风险, 根本原因 →
    # 纠正措施) are neither the finding nor its framing.
    asked = (len(q) - len(_segments(q)[-1]), len(q)) if exam else (len(q), len(q))
    # Clause titles ("测量溯源", "组织的知识") name subjects too, for clauses no topic speaks of.
    # Topics, out-of-scope subjects and context are matched each on their own: "设计开发" may name both a topic
    # and one of the firm's own steps, and "电镀外包" both a known gap and the topic 外包.
    oos_matches = model.matches(q, kinds=("out_of_scope",))
    context_matches = model.matches(q, kinds=CONTEXT_KINDS)
    refused = [m for m in oos_matches if m.concept.extra.get("mode") == "refuse"]

    def inside(m: Match, others: list[Match]) -> bool:
        return any(o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start for o in others)

    # A topic word inside a longer context word is context ("食品包装" names a trade, not packaging), and
    # inside another standard's name it is that standard's ("环境管理体系").
    topic_matches = [
        m
        for m in model.matches(q, kinds=("topic", "clause"))
        if not inside(m, context_matches + refused) and not _in_spans(m, [asked])
    ]
    matches = oos_matches
    framing_matches = [m for m in topic_matches if intent == "scenario" and _in_spans(m, framing_spans)]
    subject_matches = [m for m in topic_matches if m not in framing_matches]
    if not subject_matches:  # only framing words: then they are the subject after all
        subject_matches, framing_matches = framing_matches, []
    concepts = _order_topics(subject_matches, intent == "scenario")
    named = tuple(clause_numbers(q))
    situation = (
        (intent in ("how", "general") and describes_situation(q, model))
        or asks_by_the_standard(q)
        or (intent == "yes_no" and states_a_claim(q, model))
    )
    cited = set(_REFERENCED.findall(q))
    if named and set(named) <= cited and (intent == "scenario" or situation):
        # "策划体系时可以不考虑 4.1 所提及的因素。这种说法对吗？" judges the planning (6.1.1); the clauses it refers to
        # are its material, not what is judged.
        named = ()
    governing = [c for c in concepts if c.extra.get("governs")]
    if governing:
        # "删减 8.3" is about the scope (4.3) whichever clause it names: that clause is the object, not the subject.
        concepts = [*governing, *(c for c in concepts if c not in governing)]
        named = ()
    framing = tuple(dict.fromkeys(m.concept for m in framing_matches if m.concept not in concepts))
    context: dict[str, tuple[str, ...]] = {}
    for kind in CONTEXT_KINDS:
        found = tuple(dict.fromkeys(m.text for m in context_matches if m.concept.kind == kind))
        if found:
            context[kind] = found
    size = _SIZE.search(q)
    if size:
        context["size"] = (size.group(0),)

    oos = [m.concept for m in matches if m.concept.kind == "out_of_scope"]
    oos += [c for c in model.of_kind("out_of_scope") if c not in oos and _patterned(c, q)]
    hard = [c for c in oos if c.extra.get("mode") == "refuse"]
    gaps = tuple(dict.fromkeys(c for c in oos if c.extra.get("mode") != "refuse"))
    # "认证要花多少钱" asks about the fee; "认证有什么好处，要花多少钱" also asks about certification itself.
    gap_segments = {_segment(q, m.start) for m in matches if m.concept in gaps}
    covered_by_gap = {
        m.concept.id
        for m in subject_matches
        if _segment(q, m.start) in gap_segments and any(m.concept.id in g.extra.get("covers", ()) for g in gaps)
    }
    covered_by_gap -= {m.concept.id for m in subject_matches if _segment(q, m.start) not in gap_segments}
    specific = [c for c in concepts if not c.extra.get("generic") and c.id not in covered_by_gap]
    # "ISO 9001 要求必须做 FMEA 吗？" asks what ISO 9001 requires, which is covered; the other method is a gap.
    if hard and intent == "yes_no" and specific and _ABOUT_9001.search(q):
        gaps, hard = tuple(dict.fromkeys([*gaps, *hard])), []
    # "ISO 9001 要求做 HACCP 吗？" asks what ISO 9001 requires of another standard: it does not, unless the law or
    # the customer does (4.2). Answered from that topic, with a line that the other standard is not covered.
    under = [c.extra.get("under") for c in hard]
    if hard and intent == "yes_no" and not specific and all(under) and _ABOUT_9001.search(q) and under[0] in model:
        gaps, hard = tuple(dict.fromkeys([*gaps, *(c for c in oos if c.extra.get("mode") == "refuse")])), []
        concepts = [model.get(str(under[0])), *concepts]
        specific = concepts[:1]
    out_of_scope = None
    if hard:
        scope, out_of_scope = "out", hard[0]
    elif gaps and not specific and not named:
        scope, out_of_scope = "out", gaps[0]
    elif concepts or named:
        scope = "in"
    else:
        scope = "unknown"
    meaning: tuple[Concept, ...] = ()
    if by_meaning is not None and scope == "unknown":
        # Nothing specific was named in known words: the closest topic by meaning becomes the subject; the scope
        # stays for the match strength to decide.
        meaning = tuple(c for c, _ in by_meaning(q)[:1])
        concepts = [*meaning, *concepts]
    analysis = Analysis(
        question=question,
        standalone=question.strip(),
        told=q,
        intent=intent,
        concepts=tuple(concepts),
        framing=framing,
        clauses=named,
        context=context,
        scope=scope,  # type: ignore[arg-type]
        out_of_scope=out_of_scope,
        gaps=gaps if scope == "in" else (),
        unknown_terms=_unknown_terms(q, model, known) if scope == "unknown" else (),
        by_meaning=tuple(c.id for c in meaning),
        expansions=_expansions(
            subject_matches
            + framing_matches
            + [m for m in model.matches(q, kinds=("term",)) if not _in_spans(m, [asked])]
        ),
        situation=situation,
    )
    if analysis.judges_a_finding:
        analysis = replace(analysis, finding_text=without_consequences(q, model, exam))
    return analysis


def standalone_follow_up(question: str, previous: Analysis, current: Analysis) -> str | None:
    """Rewrite a follow-up that leans on the previous question, or None if it stands on its own.

    "那要留什么记录？" after "不合格品怎么处理？" keeps the topic (the records of 8.7); "那管理评审呢？" after
    "内审多久做一次？" keeps the intent (how often is a management review done).
    """
    q = _LEAD_IN.sub("", question.strip())
    # "那要留什么记录？": the records concept is what the intent asks for, not a new subject.
    has_subject = (
        any(
            not c.extra.get("generic") and current.intent not in c.extra.get("intent_words", ())
            for c in current.concepts
        )
        or current.clauses
    )
    if not has_subject and previous.concepts:
        topic = previous.topic
        assert topic is not None
        body = q if q else question
        return f"{topic.name}{'' if body.startswith(('的', '要', '需要', '有', '怎么', '如何')) else '：'}{body}"
    if has_subject and current.intent == "general" and _FOLLOW_TAIL.search(q) and previous.concepts:
        new = _FOLLOW_TAIL.sub("", q).strip("，, ")
        prev_q = previous.standalone
        old = previous.topic
        assert old is not None
        for word in sorted(old.words, key=len, reverse=True):
            if word in prev_q:
                return prev_q.replace(word, new, 1)
        return f"{new}：{prev_q}"
    return None


def analyse(
    question: str,
    history: Sequence[tuple[str, str]] = (),
    model: ConceptModel | None = None,
    *,
    known: Callable[[str], bool] | None = None,
    by_meaning: ByMeaning | None = None,
) -> Analysis:
    """Analyse a question in its conversation: a follow-up inherits the topic or the intent it leans on."""
    if model is None:
        from assistant.config import REPO_ROOT

        model = ConceptModel.load(REPO_ROOT / "corpus")
    current = analyse_one(question, model, known, by_meaning)
    if not history or not question.strip():
        return current
    previous = analyse(history[-1][0], history[:-1], model, known=known, by_meaning=by_meaning)
    rewritten = standalone_follow_up(question, previous, current)
    if rewritten is None:
        return current
    again = analyse_one(rewritten, model, known, by_meaning)
    return replace(again, question=question, standalone=rewritten, follow_up=True)
