"""Making a quiz from the bank (balanced across question types, no two questions on one passage if avoidable)
and grading a filled-in quiz."""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from assistant.config import Settings, load_settings
from assistant.errors import InputError
from assistant.training.bank import QuestionBank, default_bank
from assistant.training.models import Question, Quiz, QuizResult, stable_id
from assistant.training.scoring import default_grader, score_answer

# One round of slots: about 40 % single choice, 30 % true/false, 15 % multiple choice, 15 % short answer.
TYPE_PATTERN = [
    "single",
    "true_false",
    "single",
    "multiple",
    "true_false",
    "short",
    "single",
    "true_false",
    "single",
    "multiple",
    "true_false",
    "short",
    "single",
]
TYPE_ORDER = {"single": 0, "multiple": 1, "true_false": 2, "short": 3}
MAX_QUESTIONS = 50
MAX_MINUTES = 180
PER_SITUATION = 2
SCENARIO_SHARE = 0.7  # staff quizzes: this share of role scenarios where the pool allows (the floor is 60 %)

Answers = Mapping[str, str | Sequence[str]] | Sequence[str | Sequence[str] | None]


def _type_key(q: Question) -> str:
    # True/false items split by their answer, so a quiz alternates 正确 and 错误 keys.
    return f"true_false:{q.answer[0]}" if q.type == "true_false" else q.type


def sample_balanced(pool: list[Question], n: int, rng: random.Random) -> list[Question]:
    """n questions following TYPE_PATTERN where the pool allows, spreading over situations and passages (the
    least-used first); true/false slots alternate between true and false statements, so a quiz's 正确 share
    stays near one half."""
    by_type: dict[str, list[Question]] = defaultdict(list)
    for q in sorted(pool, key=lambda q: q.id):  # sorted first: the same seed gives the same quiz
        by_type[_type_key(q)].append(q)
    for group in by_type.values():
        rng.shuffle(group)
    picked: list[Question] = []
    used: Counter[str] = Counter()  # situations and passages already asked
    slot, tf_turn = 0, rng.choice("AB")
    while len(picked) < min(n, len(pool)):
        wanted = TYPE_PATTERN[slot % len(TYPE_PATTERN)]
        slot += 1
        if wanted == "true_false":
            wanted = f"true_false:{tf_turn}"
            if by_type.get(wanted):
                tf_turn = "B" if tf_turn == "A" else "A"
        group = by_type.get(wanted) or max(by_type.values(), key=len)
        if not group:
            break
        # The least-used situation or passage first, in this slot's type if it has one, else in any type.
        best = min(used[q.source_key] for g in by_type.values() for q in g)
        fresh = next((q for q in group if used[q.source_key] == best), None)
        if fresh is None:
            fresh = next(q for g in by_type.values() for q in g if used[q.source_key] == best)
            group = next(g for g in by_type.values() if fresh in g)
        group.remove(fresh)
        picked.append(fresh)
        used[fresh.source_key] += 1
    # Objective questions first, short answers last: easier to take on paper and in the terminal.
    return sorted(picked, key=lambda q: TYPE_ORDER[q.type])


def compose(pool: list[Question], n: int, rng: random.Random, *, scenario_share: float) -> list[Question]:
    """n questions of which at least `scenario_share` are role scenarios where the pool has them."""
    scenarios = [q for q in pool if q.scenario]
    knowledge = [q for q in pool if not q.scenario]
    if not scenario_share or not scenarios:
        return sample_balanced(pool, n, rng)
    want = min(len(scenarios), max(math.ceil(scenario_share * n), n - len(knowledge)))
    # At most two items per situation while knowledge items can fill the rest: a quiz that asks about the same
    # two situations four times each reads like padding.
    situations = len({q.source_key for q in scenarios})
    want = max(min(want, PER_SITUATION * situations), n - len(knowledge))
    picked = sample_balanced(scenarios, want, rng) + sample_balanced(knowledge, n - want, rng)
    return sorted(picked, key=lambda q: TYPE_ORDER[q.type])


def new_quiz(
    topic: str | None = None,
    role: str | None = None,
    n: int = 10,
    seed: int | None = None,
    *,
    bank: QuestionBank | None = None,
    pass_mark: float = 80.0,
    extra: Sequence[Question] = (),
    time_limit_min: int | None = None,
    mode: str = "quiz",
) -> Quiz:
    """A quiz of n questions on a topic and/or for a role; `extra` (e.g. LLM questions) joins the pool.

    Topic and role names may be loose (内审, 不合格, 质检); a staff role's quiz is at least 60 % scenarios from
    its own work, and memory items appear only when the topic 条款知识（内审员） is chosen.
    """
    if not 1 <= n <= MAX_QUESTIONS:
        raise InputError(f"题目数量应在 1 到 {MAX_QUESTIONS} 之间。")
    if not 0 <= pass_mark <= 100:
        raise InputError("合格分数线应在 0 到 100 之间。")
    if time_limit_min is not None and not 1 <= time_limit_min <= MAX_MINUTES:
        raise InputError(f"考试时间应在 1 到 {MAX_MINUTES} 分钟之间。")
    bank = bank or default_bank(Path(load_settings().corpus_dir))
    topic = bank.catalogue.check_topic(topic)
    found = bank.catalogue.role(role)
    role = found.name if found else None
    pool = bank.select(topic, role) + [
        q for q in extra if (topic is None or topic in q.topics) and (role is None or role in q.roles)
    ]
    if role and topic and len(pool) < n:
        # A topic outside a role's usual set: still give the full number of questions on that topic.
        pool += [q for q in bank.select(topic) if q not in pool]
    if not pool:
        raise InputError("题库中没有符合条件的题目，请换一个主题或岗位。")
    rng = random.Random(seed)
    share = SCENARIO_SHARE if found is not None and found.staff else 0.0
    questions = compose(pool, n, rng, scenario_share=share)
    ids = [q.id for q in questions]
    quiz_id = stable_id(str(topic), str(role), str(seed), *ids) if seed is not None else uuid.uuid4().hex[:12]
    return Quiz(
        id=quiz_id,
        topic=topic,
        role=role,
        questions=questions,
        pass_mark=pass_mark,
        time_limit_min=time_limit_min,
        mode=mode,
    )


def _answer_for(answers: Answers, index: int, question: Question):
    if isinstance(answers, Mapping):
        return answers.get(question.id, answers.get(str(index + 1)))
    return answers[index] if index < len(answers) else None


def grade(quiz: Quiz, answers: Answers, *, settings: Settings | None = None) -> QuizResult:
    """Grade answers keyed by question id (or 1-based number), or given in question order.

    Objective questions score 0 or 1 (multiple choice: all or nothing); short answers score their share of
    key points, matched by meaning (scoring.py); unsure ones are marked 待复核. With an LLM configured in
    `settings`, short answers are also judged by the model.
    """
    model = None
    if settings is not None:
        from assistant.llm import get_chat_model

        model = get_chat_model(settings)
    grader = default_grader(settings) if any(not q.objective for q in quiz.questions) else None
    graded = [
        score_answer(q, _answer_for(answers, i, q), settings=settings, model=model, grader=grader)
        for i, q in enumerate(quiz.questions)
    ]
    score = round(100 * sum(g.score for g in graded) / len(graded), 1) if graded else 0.0
    return QuizResult(
        quiz_id=quiz.id, answers=graded, score=score, passed=score >= quiz.pass_mark, pass_mark=quiz.pass_mark
    )
