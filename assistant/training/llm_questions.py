"""Extra questions written by the LLM (when one is configured) from knowledge-base passages of a topic.

A generated question is kept only if it validates: its quote is copied verbatim from the passage it names,
most words of the correct answer occur in that quote, no wrong option is itself stated there, and false
true/false statements are dropped (a negation cannot be checked mechanically). Any failure of the endpoint
or of the JSON yields no questions — the template bank is always there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field, ValidationError

from assistant.config import Settings
from assistant.errors import LLMUnavailableError
from assistant.prompt_data import escape_data
from assistant.prompts import load_prompt
from assistant.training.knowledge import CLAUSES_SOURCE, GUIDE_SOURCE, Knowledge
from assistant.training.models import TRUE_FALSE_OPTIONS, Citation, Question, Support, normalise
from assistant.training.topics import Catalogue

MIN_SHARE = 0.6
CHUNK_CHARS = 600


@dataclass(frozen=True)
class Chunk:
    section: str
    text: str
    source: str
    clause: str = ""


class LLMQuestion(BaseModel):
    type: Literal["single", "multiple", "true_false"]
    question: str
    options: list[str] = Field(default_factory=list)
    answer: list[str]
    explanation: str = ""
    passage: int
    quote: str


class LLMQuestions(BaseModel):
    questions: list[LLMQuestion] = Field(default_factory=list)


def key_terms(text: str) -> list[str]:
    from ingest.tokenize import tokenize

    return [t for t in dict.fromkeys(tokenize(text)) if len(t) > 1]


def term_support(text: str, passage: str) -> tuple[float, list[str]]:
    """Share of the text's words (jieba, 2+ characters) that occur in the passage, and those words."""
    terms = key_terms(text)
    found = [t for t in terms if normalise(t) in normalise(passage)]
    return (len(found) / len(terms) if terms else 0.0), found


def topic_chunks(knowledge: Knowledge, catalogue: Catalogue, topic: str, assistant=None, k: int = 4) -> list[Chunk]:
    """Passages of a topic: retrieved when an Assistant is given, else taken from the corpus files."""
    if assistant is not None:
        docs = assistant.retrieve(topic, k=k)
        return [
            Chunk(
                str(d.metadata.get("section", "")),
                d.page_content[:CHUNK_CHARS],
                str(d.metadata.get("source")),
                str(d.metadata.get("clauses", "")).split(",")[0],
            )
            for d in docs
        ]
    spec = next(t for t in catalogue.topics if t.name == topic)
    sections = list(spec.sections) + [str(knowledge.lists[i]["section"]) for i in spec.lists if i in knowledge.lists]
    chunks = [Chunk(s, knowledge.guide.section_text(s)[:CHUNK_CHARS], GUIDE_SOURCE) for s in dict.fromkeys(sections)]
    for number, clause in knowledge.clauses.items():
        if topic in catalogue.for_clause(number)[:1]:
            chunks.append(Chunk(knowledge.clause_section(number), str(clause["summary"]), CLAUSES_SOURCE, number))
    return [c for c in chunks if c.text.strip()][:k]


def validate(item: LLMQuestion, chunks: list[Chunk], topic: str) -> Question | None:
    """The question if its answer is supported by its quote, else None."""
    if not 1 <= item.passage <= len(chunks):
        return None
    chunk = chunks[item.passage - 1]
    quote = item.quote.strip()
    lines = [line.strip() for line in quote.splitlines() if line.strip()]
    if not lines or not all(line in chunk.text for line in lines):
        return None  # not copied verbatim from the passage it names
    options = TRUE_FALSE_OPTIONS if item.type == "true_false" else [o.strip() for o in item.options]
    try:
        question = Question(
            type=item.type,
            topics=[topic],
            question=item.question.strip(),
            options=list(options),
            answer=sorted(a.strip().upper() for a in item.answer),
            explanation=item.explanation.strip() or "见引用原文。",
            citation=Citation(section=chunk.section, clause=chunk.clause, text="\n".join(lines), source=chunk.source),
            origin="llm",
        )
    except ValidationError:
        return None
    if question.type == "true_false":
        if question.answer != ["A"]:
            return None
        claims = [question.question]
    else:
        claims = [question.option_text(a) for a in question.answer]
        wrong = [o for o in question.options if o not in claims]
        if any(normalise(w) in normalise(quote) for w in wrong):
            return None  # a "wrong" option the passage states: ambiguous
    present: list[str] = []
    for claim in claims:
        share, found = term_support(claim, quote)
        if share < MIN_SHARE:
            return None
        present += found
    question.support = Support(present=list(dict.fromkeys(present)))
    return question


def generate(
    settings: Settings,
    model,
    knowledge: Knowledge,
    catalogue: Catalogue,
    topic: str,
    *,
    count: int = 5,
    assistant=None,
) -> list[Question]:
    """Up to `count` validated LLM questions on a topic; [] on any failure."""
    from assistant.llm import structured

    try:
        chunks = topic_chunks(knowledge, catalogue, topic, assistant)
    except Exception:  # an index that cannot be opened must not break quiz creation
        return []
    if not chunks:
        return []
    # Passages (uploads among them) are data: their tags and markers cannot break out of the prompt's data block.
    passages = "\n\n".join(f"[{i}]（{escape_data(c.section)}）\n{escape_data(c.text)}" for i, c in enumerate(chunks, 1))
    prompt = load_prompt(settings, "training/generate_questions").format(topic=topic, count=count, passages=passages)
    try:
        out = structured(model, LLMQuestions, [HumanMessage(prompt)], settings)
    except (LLMUnavailableError, ValueError):
        return []
    kept = [q for q in (validate(item, chunks, topic) for item in out.questions) if q is not None]
    for q in kept:
        q.roles = catalogue.roles_for(q.topics, q.difficulty)
    return kept[:count]
