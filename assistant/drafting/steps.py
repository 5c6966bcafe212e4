"""The firm's own steps, read through the concept model: each user word → a process_step concept (or none).

A step the library does not know keeps the user's word and gets 【待填写】 placeholders on its card, never
another step's content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.drafting.profile import CompanyProfile
from assistant.understanding import Concept, ConceptModel

STEP = "process_step"
INSPECTION = "检验"
PRODUCTION = "生产"
FINAL_INSPECTION = "成品检验"


@dataclass(frozen=True)
class OwnStep:
    text: str  # the user's own word, kept as written
    concept: Concept | None = None
    outsourced: bool = False

    @property
    def name(self) -> str:
        """The process name on the card and the map: the user's word + 过程."""
        return self.text if self.text.endswith("过程") else f"{self.text}过程"

    @property
    def known(self) -> bool:
        return self.concept is not None

    def get(self, key: str, default: Any = None) -> Any:
        return self.concept.extra.get(key, default) if self.concept else default

    @property
    def category(self) -> str:
        return str(self.get("category", ""))

    @property
    def special(self) -> bool:
        return bool(self.get("special", False))

    @property
    def covers(self) -> list[str]:
        return list(self.get("covers", []) or [])


def find_step(model: ConceptModel, text: str) -> Concept | None:
    """Exact name or alias first; else the most specific step word the text contains (注塑车间 → 注塑)."""
    hit = model.lookup(text, kind=STEP)
    if hit is not None:
        return hit
    found = model.resolve(text, kind=STEP)
    return found[0] if found else None


@dataclass
class OwnChain:
    """The firm's lines of steps in the firm's order, and what the drafter had to assume about them."""

    lines: list[tuple[str, list[OwnStep]]]
    extra_outsourced: list[OwnStep] = field(default_factory=list)  # outsourced work that is not one of the steps
    notices: list[str] = field(default_factory=list)

    @property
    def steps(self) -> list[OwnStep]:
        """Every step once, in order of first appearance."""
        seen: dict[str, OwnStep] = {}
        for _, line in self.lines:
            for s in line:
                seen.setdefault(s.text, s)
        return list(seen.values())

    def unknown(self) -> list[OwnStep]:
        return [s for s in self.steps if not s.known]


def _same(a: str, ca: Concept | None, b: str, cb: Concept | None) -> bool:
    return a == b or (ca is not None and ca == cb)


def own_chain(
    profile: CompanyProfile,
    model: ConceptModel,
    default_steps: list[str],
    placeholder: str,
    add_inspection: bool,
) -> OwnChain:
    notices: list[str] = []
    raw = [(line.name, list(line.steps)) for line in profile.processes]
    if not raw:
        if default_steps:
            raw = [("", list(default_steps))]
            notices.append(
                "概况未填写主要过程，已按该经营模式的常见环节起草："
                + "→".join(default_steps)
                + "。请按实际增删、调整顺序。"
            )
        else:
            raw = [("", [placeholder])]
            notices.append(f"概况未填写主要过程，“{placeholder}”识别卡留有【待填写】，请在概况中按顺序填写自己的工序。")
    outsourced = [(o, find_step(model, o)) for o in profile.outsourced]
    used: set[str] = set()

    def make(text: str) -> OwnStep:
        concept = find_step(model, text)
        hit = next((o for o, c in outsourced if _same(text, concept, o, c)), None)
        if hit is not None:
            used.add(hit)
        return OwnStep(text, concept, outsourced=hit is not None)

    lines = [(name, [make(s) for s in steps]) for name, steps in raw]
    if add_inspection:
        # A line that makes something needs a release check (8.6); a line that only sells or installs does not.
        final = find_step(model, FINAL_INSPECTION)

        def needs(line: list[OwnStep]) -> bool:
            makes = any(s.category == PRODUCTION or not s.known for s in line)
            return makes and not any(s.category == INSPECTION for s in line)

        missing = [name or "主要过程" for name, line in lines if needs(line)]
        if missing:
            lines = [(n, [*line, OwnStep(FINAL_INSPECTION, final)] if needs(line) else line) for n, line in lines]
            notices.append(f"{'、'.join(missing)}中没有检验环节，已在末尾补充“成品检验”（产品放行，8.6），请核对。")
    extra = [OwnStep(o, c, outsourced=True) for o, c in outsourced if o not in used]
    chain = OwnChain(lines, extra, notices)
    if unknown := chain.unknown():
        names = "、".join(s.text for s in unknown)
        chain.notices.append(
            f"工序知识库中没有“{names}”：识别卡中的参数、检查、风险和记录留有【待填写】，请按实际补充。"
        )
    return chain
