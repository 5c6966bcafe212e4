"""Staff training (ISO 9001 7.2/7.3): a cited question bank, quizzes, grading, SQLite records, exports.

Entry points: `assistant.training.service.Trainer` (Python, web app), `assistant.training.cli` (`qms quiz …`,
`qms training …`) and `python -m assistant.training.check` (every answer checked against its cited passage).
"""
