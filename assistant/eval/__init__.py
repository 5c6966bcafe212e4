"""Evaluation: `python -m assistant.eval` (or `qms eval`) prints retrieval, answer and peer-benchmark tables.

The project's question sets (tests/eval/questions.yaml, tests/eval/scope.yaml) are split into a tuning half and
a held-out half by a committed seed (assistant/eval/split.py); both are reported.
"""

from __future__ import annotations

from pathlib import Path

from assistant.eval.retrieval import DEFAULT_QUESTIONS, evaluate_retrieval, is_gold, load_questions

SCOPE_QUESTIONS = DEFAULT_QUESTIONS.parent / "scope.yaml"

__all__ = ["DEFAULT_QUESTIONS", "SCOPE_QUESTIONS", "evaluate_retrieval", "is_gold", "load_questions", "run"]


def run(
    questions_path: Path = DEFAULT_QUESTIONS,
    answers: bool = True,
    assistant=None,
    peers: bool = True,
) -> None:
    from assistant.eval.answers import evaluate_answers, print_answer_table
    from assistant.eval.peers import evaluate_peers, load_peers, print_peer_table
    from assistant.eval.retrieval import print_retrieval_table
    from assistant.eval.split import halves
    from assistant.service import Assistant

    assistant = assistant or Assistant.from_settings()
    questions = load_questions(questions_path)
    if questions_path == DEFAULT_QUESTIONS and SCOPE_QUESTIONS.exists():
        questions += load_questions(SCOPE_QUESTIONS)
    parts = halves(questions)
    for name, label in (("tune", "·调参半"), ("held", "·留出半")):
        rows = [evaluate_retrieval(assistant, parts[name], mode) for mode in ("hybrid", "bm25", "dense")]
        print_retrieval_table(rows, label)
    if answers:
        print_answer_table(
            {
                label: evaluate_answers(assistant, parts[name])
                for name, label in (("tune", "调参半"), ("held", "留出半"))
            }
        )
    from assistant.eval.findings import evaluate_findings

    evaluate_findings(assistant)
    items = load_peers() if peers else []
    if items:
        print_peer_table(evaluate_peers(assistant, items))
