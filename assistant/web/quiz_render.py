"""Presentation of quizzes and results for the 培训测验 tab (Markdown, table rows, API-friendly dicts)."""

from __future__ import annotations

import html

from assistant.training.models import LETTERS, TYPE_NAMES, Question, Quiz, QuizResult


def public_questions(quiz: Quiz) -> dict:
    """What a test taker may see: no answers, no explanations (they come with the result)."""
    return {
        "quiz_id": quiz.id,
        "topic": quiz.topic,
        "pass_mark": quiz.pass_mark,
        "questions": [
            {
                "n": i,
                "id": q.id,
                "type": q.type,
                "type_name": TYPE_NAMES[q.type],
                "question": q.question,
                "options": [f"{LETTERS[j]}. {opt}" for j, opt in enumerate(q.options)],
            }
            for i, q in enumerate(quiz.questions, 1)
        ],
    }


def question_title(n: int, q: Question) -> str:
    return f"**{n}.【{TYPE_NAMES[q.type]}】{q.question}**"


def option_choices(q: Question) -> list[tuple[str, str]]:
    """(label, letter) pairs for a Radio or CheckboxGroup."""
    return [(f"{LETTERS[j]}. {opt}", LETTERS[j]) for j, opt in enumerate(q.options)]


_MODES = {"quiz": "测验", "mock": "模拟考试", "drill": "错题重练"}


def quiz_intro(quiz: Quiz) -> str:
    topic = quiz.topic or (f"{quiz.role}岗位综合" if quiz.role else "综合")
    limit = f"，限时 {quiz.time_limit_min} 分钟" if quiz.time_limit_min else ""
    return (
        f"### {_MODES[quiz.mode]}：{topic}（共 {len(quiz.questions)} 题，合格线 {quiz.pass_mark:.0f} 分{limit}）\n"
        "作答后点击页面下方的“交卷”。简答题按意思给分：请用完整的话写出做法和理由，只列关键词不得分；"
        "评分拿不准的标为“待复核”，由培训负责人确认。"
    )


def result_markdown(quiz: Quiz, result: QuizResult, employee: str, *, late: bool = False) -> str:
    """Score, then per question: right/wrong, the given and correct answers, explanation and its source."""
    verdict = "✅ 合格" if result.passed else "❌ 未达到合格线"
    lines = [
        f"## {employee} 的成绩：{result.score:.1f} 分 {verdict}",
        f"答对 {result.correct_count}/{len(quiz.questions)} 题，合格线 {result.pass_mark:.0f} 分。成绩已记入培训记录。",
    ]
    if result.pending:
        lines.append(f"⏳ 有 {result.pending} 道简答题待复核：培训负责人确认后成绩才计入能力证据。")
    if late:
        lines.append("⏰ 超过了考试时间，记录中已注明“超时”。")
    if any(not a.correct and a.review != "pending" for a in result.answers):
        lines.append("答错的题已记入错题本，可点“错题重练”，连续答对两次后移出。")
    for n, (q, a) in enumerate(zip(quiz.questions, result.answers, strict=True), 1):
        mark = "⏳" if a.review == "pending" else "✅" if a.correct else ("🟡" if a.score > 0 else "❌")
        lines.append(f"{mark} {question_title(n, q)}")
        # The trainer's feedback: verdict, correct answer, explanation; its last line is 依据 + passage.
        feedback, _, source = (a.feedback or q.explanation).rpartition("\n")
        lines.append(html.escape(feedback or source).replace("\n", "<br>"))
        if feedback and source:
            lines.append(f"<details><summary>查看依据</summary>\n\n{html.escape(source)}\n\n</details>")
    return "\n\n".join(lines)
