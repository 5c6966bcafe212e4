"""Tokenisation lives in assistant/understanding/text.py (one tokenizer for indexing and questions)."""

from assistant.understanding.text import clause_numbers, load_vocabulary, tokenize

__all__ = ["clause_numbers", "load_vocabulary", "tokenize"]
