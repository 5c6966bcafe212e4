"""Which concept a question is about, and which clause an answer rests on: words and retrieval vote.

The analysis (assistant/understanding) finds the concepts a question names; retrieval ranks the clause summaries
by closeness to the question. Both answering backends read the subject chosen here.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.understanding import Analysis, Concept


def main_clause(topic: Concept, ranked: tuple[str, ...]) -> str:
    """The clause an answer rests on: of the subject's clauses and their sub-clauses, the one whose summary the
    question came closest to ("管理评审要输入什么" → 9.3.2 rather than 9.3), else the subject's first clause."""
    family = topic.clauses
    in_family = [n for n in ranked if any(n == c or n.startswith(c + ".") for c in family)]
    if not in_family:
        return family[0] if family else ""
    best = in_family[0]
    # A parent summary often outranks the sub-clause it introduces: take the sub-clause when it is close behind.
    child = next((n for n in in_family[1:3] if n.startswith(best + ".")), None)
    return child or best


def finding_clause(topic: Concept, ranked: tuple[str, ...]) -> str:
    """The clause a described situation breaks. The words name a topic ("记录", "授权"), but in a finding they
    are often evidence, not the subject: "改了图纸没评审、没批准" is a design change (8.3.6), not document
    control. So the subject's clause stands only when the clause summary closest to the question (typical
    findings included) is in its family; otherwise that closest clause does. Measured on tests/eval/findings.yaml,
    tuning half: fitting clause 0.76 → 0.90 (keeping the subject when it is among the closest 2: 0.86; 3: 0.83)."""
    main = main_clause(topic, ranked)
    if not ranked or _near(main, ranked[:1]):
        return main
    best = ranked[0]
    # A parent summary ("8.4") often leads the sub-clause that states the requirement ("8.4.1") by a hair.
    child = next((n for n in ranked[1:3] if n.startswith(best + ".")), None)
    return child or best


def close_second(main: str, ranked: tuple[str, ...], scores: tuple[float, ...], margin: float) -> str:
    """A near tie in a finding: the next clause summary of another family that came within `margin` of the first.
    An auditor names it too ("也可能涉及…") rather than pretend the first was certain."""
    if not main or len(ranked) < 2 or len(scores) < 2:
        return ""
    for number, score in zip(ranked[1:3], scores[1:3], strict=False):
        if scores[0] - score > margin:
            break
        if not _near(number, (main,)):
            return number
    return ""


def _near(clause: str, ranked: tuple[str, ...]) -> bool:
    return any(n == clause or n.startswith(clause + ".") or clause.startswith(n + ".") for n in ranked)


def rank_subjects(analysis: Analysis, ranked: tuple[str, ...]) -> Analysis:
    """When a question names several topics, two witnesses vote for its subject: the words (the order of the
    concepts the analysis found) and the meaning (the clause summaries retrieval ranked highest). The concept with
    the best combined vote leads ("生产过程有啥风险" is about 风险; a described finding is judged by the clause both
    point at)."""
    subjects = [c for c in analysis.concepts if not c.extra.get("generic")]
    if len(subjects) < 2 or not ranked or subjects[0].extra.get("governs"):
        return analysis  # "删减 8.3": the scope stays the subject however close the question is to 8.3

    def vote(item: tuple[int, Concept]) -> float:
        position, concept = item
        fits = [
            i
            for i, n in enumerate(ranked[:5])
            if any(n == c or n.startswith(c + ".") or c.startswith(n + ".") for c in concept.clauses)
        ]
        by_meaning = (5 - min(fits)) if fits else 0
        by_words = 3.0 / (1 + position)
        return by_meaning + by_words

    order = [c for _, c in sorted(enumerate(subjects), key=vote, reverse=True)]
    rest = [c for c in analysis.concepts if c not in order]
    return replace(analysis, concepts=tuple(order + rest))
