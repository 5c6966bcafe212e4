"""Support check: is every answer backed by its cited passage?  `python -m assistant.training.check`

For each question: the citation text occurs verbatim (line by line) in guide.md or clauses.yaml; its
`support.present` phrases occur in it and `support.absent` ones do not; the correct options (or key points)
are in the passage — or, for "not one of" questions, the other options are and the answer is not; answers
derived from clauses.yaml (clause number/title, documented information, principle) agree with that file; and role
scenario items cite their clause's summary and key right/wrong actions exactly as scenarios.yaml gives them.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field

from assistant.training.gen_clauses import DOC_INFO_OPTIONS
from assistant.training.gen_special import heading_name
from assistant.training.knowledge import CLAUSES_SOURCE, GUIDE_SOURCE, Knowledge
from assistant.training.llm_questions import MIN_SHARE, term_support
from assistant.training.models import LETTERS, TYPE_NAMES, Question, normalise


@dataclass
class CheckReport:
    total: int = 0
    per_topic: dict[str, int] = field(default_factory=dict)
    per_type: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[Question, list[str]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def _in(phrase: str, text: str) -> bool:
    return normalise(phrase) in normalise(text)


def check_question(q: Question, k: Knowledge) -> list[str]:
    """Problems with one question; empty when its answer is supported by its citation."""
    problems: list[str] = []
    c, s = q.citation, q.support
    if c.source not in (GUIDE_SOURCE, CLAUSES_SOURCE):
        problems.append(f"未知来源 {c.source}")
    elif not k.in_source(c.text, c.source):
        problems.append("引用原文不在知识库文件中")
    if not c.section:
        problems.append("缺少章节")
    problems += [f"原文缺少“{p}”" for p in s.present if not _in(p, c.text)]
    problems += [f"原文不应包含“{p}”" for p in s.absent if _in(p, c.text)]
    if s.ordered:
        positions = [normalise(c.text).find(normalise(p)) for p in s.present]
        if positions != sorted(positions):
            problems.append("原文中的顺序与题目不符")
    if s.derived == "scenario":
        return problems + _scenario(q, k)
    if q.type == "short":
        problems += [f"要点“{p}”不在原文中" for p in q.answer if not _in(p, c.text)]
        return problems
    correct = [q.option_text(a) for a in q.answer]
    wrong = [o for i, o in enumerate(q.options) if LETTERS[i] not in q.answer]
    if s.index is not None and (len(correct) != 1 or s.index >= len(s.present) or correct[0] != s.present[s.index]):
        problems.append("答案不是原文列表中对应位置的一项")
    if s.derived:
        problems += _derived(q, k, correct, wrong)
    elif q.origin == "llm":
        # Paraphrased by the model: most of the answer's words must be in the quoted passage.
        claims = [q.question] if q.type == "true_false" else correct
        problems += [f"正确答案“{a}”缺少原文依据" for a in claims if term_support(a, c.text)[0] < MIN_SHARE]
    elif q.type == "true_false":
        if not s.present and not s.absent:
            problems.append("判断题没有给出依据词句")
        if q.answer == ["B"] and not s.absent and not s.present:
            problems.append("错误说法缺少依据")
    elif not all(_in(a, c.text) for a in correct):
        # Only a "which is NOT one of" question may have its answer outside the passage: then the answer
        # must be a declared absent phrase and every other option must be in the passage.
        negated = all(any(_in(x, a) for x in s.absent) for a in correct)
        missing = [w for w in wrong if not _in(w, c.text)]
        if not negated or missing:
            problems.append(f"正确选项不在原文中，或其余选项不全在原文中：{correct} / {missing}")
    return problems


def _derived(q: Question, k: Knowledge, correct: list[str], wrong: list[str]) -> list[str]:
    c, kind = q.citation, q.support.derived
    clause = k.clauses.get(c.clause, {})
    answer = correct[0] if correct else ""
    if kind == "clause_number":
        return [] if answer == c.clause and clause and c.clause not in wrong else ["条款号与引用条款不符"]
    if kind == "clause_title":
        return [] if answer == clause.get("title_zh") and answer not in wrong else ["条款标题与引用条款不符"]
    if kind == "clause_of_text":
        ok = answer.split(" ")[0] == c.clause and c.text == clause.get("summary")
        return [] if ok else ["原文不是答案条款的要点"]
    if kind == "doc_info":
        field_value = str(clause.get("documented_information", ""))
        if c.text != clause.get("documented_information_note"):
            return ["原文不是该条款的成文信息说明"]
        if q.type == "true_false":
            claims = "retain" if "保留" in q.question else "maintain"
            return [] if (claims in field_value.split("+")) == (q.answer == ["A"]) else ["判断与条款的成文信息要求不符"]
        return [] if DOC_INFO_OPTIONS.get(field_value) == answer else ["成文信息要求与条款不符"]
    if kind == "principle_of_text":
        principle = next((p for p in k.principles if p["name_zh"] == answer), None)
        return [] if principle and principle.get("summary") == c.text else ["原文不是答案原则的要点"]
    if kind == "section_heading":
        return [] if heading_name(c.section) == answer else ["答案与原文所在章节标题不符"]
    return [f"未知的推导方式 {kind}"]


def _scenario(q: Question, k: Knowledge) -> list[str]:
    """A scenario item: cited sentences from its clause's summary, and the key agrees with scenarios.yaml."""
    data = next((s for s in k.scenarios if str(s.get("id")) == q.scenario), None)
    if data is None:
        return [f"情景 {q.scenario or '（空）'} 不在 scenarios.yaml 中"]
    clause = k.clauses.get(q.citation.clause, {})
    problems = []
    if str(data["clause"]) != q.citation.clause or q.citation.text not in str(clause.get("summary", "")):
        problems.append("引用原文不是情景所依据条款的要点")
    right, wrong = [str(r) for r in data["right"]], [str(w) for w in data["wrong"]]
    if q.type == "short":
        return problems + ([] if q.answer == [str(p) for p in data["points"]] else ["简答要点与情景不符"])
    if q.type == "true_false":
        action = q.question.rpartition("正确的做法是：")[2].removesuffix("。")
        true = action in right
        if not true and action not in wrong:
            problems.append("判断题的做法不在情景的正确或错误做法中")
        elif true != (q.answer == ["A"]):
            problems.append("判断题答案与情景不符")
        return problems
    correct = [q.option_text(a) for a in q.answer]
    others = [o for i, o in enumerate(q.options) if LETTERS[i] not in q.answer]
    if not all(c in right for c in correct) or not all(o in wrong for o in others):
        problems.append("正确选项须取自情景的正确做法，其余选项须取自错误做法")
    return problems


def check_questions(questions: list[Question], k: Knowledge) -> CheckReport:
    report = CheckReport(total=len(questions))
    report.per_topic = dict(Counter(t for q in questions for t in q.topics))
    report.per_type = dict(Counter(q.type for q in questions))
    for q in questions:
        problems = check_question(q, k)
        if problems:
            report.failures.append((q, problems))
    return report


def format_report(report: CheckReport, topic_order: list[str] | None = None) -> str:
    lines = [f"题库共 {report.total} 题。", "", "按主题（一题可属多个主题）："]
    order = topic_order or sorted(report.per_topic)
    lines += [f"  {t}：{report.per_topic[t]}" for t in order if report.per_topic.get(t)]
    lines += ["", "按题型："]
    lines += [f"  {TYPE_NAMES[t]}：{n}" for t, n in sorted(report.per_type.items())]
    lines += [
        "",
        f"依据核对：{report.total - len(report.failures)} 题通过，{len(report.failures)} 题未通过。",
    ]
    for q, problems in report.failures:
        lines.append(f"  ✗ [{q.id}] {q.question[:50]} —— {'；'.join(problems)}")
    return "\n".join(lines)


def main() -> int:
    from assistant.config import load_settings
    from assistant.training.bank import QuestionBank

    bank = QuestionBank.build(load_settings().corpus_dir)
    report = check_questions(bank.questions, bank.knowledge)
    print(format_report(report, bank.catalogue.topic_names()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
