"""The project's own clause-judgement set (tests/eval/findings.yaml): situations, misconceptions and exam stems,
each with the ISO 9001 clause it rests on. Scored like the peer benchmark (sibling clauses never match), per half."""

from __future__ import annotations

from pathlib import Path

import yaml

from assistant.eval.peers import PeerScores, evaluate_peers, print_peer_table
from assistant.eval.retrieval import DEFAULT_QUESTIONS
from assistant.eval.split import HALVES, halves

FINDINGS = DEFAULT_QUESTIONS.parent / "findings.yaml"
KINDS = {"case", "judge", "short", "mc"}


def load_findings(path: Path = FINDINGS) -> list[dict]:
    if not path.exists():
        return []
    return yaml.safe_load(path.read_text(encoding="utf-8")) or []


def evaluate_findings(assistant, path: Path = FINDINGS, show: bool = True) -> dict[str, PeerScores]:
    parts = halves(load_findings(path))
    scores = {half: evaluate_peers(assistant, parts[half]) for half in HALVES if parts[half]}
    if show:
        for half, label in (("tune", "调参半"), ("held", "留出半")):
            if half in scores:
                print_peer_table(scores[half], f"条款判定（自编 {scores[half].n} 题·{label}）")
    return scores
