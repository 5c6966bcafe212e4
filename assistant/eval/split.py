"""A fixed split of the project's question sets into a tuning half and a held-out half.

The split is a hash of each question's id with a committed seed, so adding questions never moves old ones.
Tune on "tune" only; report both.
"""

from __future__ import annotations

import hashlib

SPLIT_SEED = "qms-2026-11-30"
HALVES = ("tune", "held")


def split_of(item_id: str) -> str:
    digest = hashlib.sha256(f"{SPLIT_SEED}:{item_id}".encode()).digest()
    return HALVES[digest[0] % 2]


def halves(items: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {h: [] for h in HALVES}
    for item in items:
        out[split_of(str(item["id"]))].append(item)
    return out
