"""`python -m assistant.eval [questions.yaml] [--no-answers] [--no-peers]`."""

import sys
from pathlib import Path

from assistant.eval import DEFAULT_QUESTIONS, run

args = [a for a in sys.argv[1:] if not a.startswith("--")]
run(
    Path(args[0]) if args else DEFAULT_QUESTIONS,
    answers="--no-answers" not in sys.argv,
    peers="--no-peers" not in sys.argv,
)
