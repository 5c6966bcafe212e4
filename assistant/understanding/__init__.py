"""Understanding: the QMS concept model and question analysis — one room that retrieval, answering, drafting and
training all read. A leaf package: it imports only config, errors, yaml and jieba."""

from assistant.understanding.analyse import analyse, detect_intent
from assistant.understanding.concepts import ConceptModel, UnknownConceptError
from assistant.understanding.models import Analysis, Concept, Intent, Match

__all__ = ["Analysis", "Concept", "ConceptModel", "Intent", "Match", "UnknownConceptError", "analyse", "detect_intent"]
