"""``data.limit``: a seeded sample of the source, stratified by label, never its first N rows.

A file sorted by label (Banking77's is) would otherwise give a run of a few
labels only. Each record draws a key from a seeded hash of its text, so the
sample does not depend on the source's order or on how it was batched; each
label keeps its share of the limit (largest remainder, at least one record for
every label while the limit allows), filled with that label's lowest keys.
Memory holds at most ``limit`` candidates per label, never the whole source.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from typing import Any

from stillroom.artifacts import sha256_bytes


def stratified_sample(records: Iterable[dict[str, Any]], limit: int, *, text_field: str,
                      label_field: str | None, seed: int) -> list[dict[str, Any]]:
    """``limit`` records of ``records`` (all of them when there are fewer), in the order of their keys."""
    counts: Counter[str] = Counter()
    lowest: dict[str, list[tuple[float, int, dict[str, Any]]]] = {}
    for index, record in enumerate(records):
        label = str(record[label_field]) if label_field else ""
        counts[label] += 1
        heap = lowest.setdefault(label, [])
        entry = (-_key(seed, record[text_field]), -index, record)  # a max-heap of the lowest keys
        if len(heap) < limit:
            heapq.heappush(heap, entry)
        elif entry > heap[0]:
            heapq.heapreplace(heap, entry)
    chosen = [entry for label, quota in quotas(counts, limit).items()
              for entry in sorted(lowest[label], reverse=True)[:quota]]
    return [record for _, _, record in sorted(chosen, reverse=True)]


def quotas(counts: Counter[str], limit: int) -> dict[str, int]:
    """Each label's share of ``limit`` in proportion to its count (largest remainder); a label whose share
    rounds to nothing gets one record, taken from the largest share, while the limit allows."""
    total = sum(counts.values())
    if total <= limit:
        return dict(counts)
    labels = sorted(counts)
    exact = {label: limit * counts[label] / total for label in labels}
    share = {label: int(exact[label]) for label in labels}
    for label in sorted(labels, key=lambda x: (int(exact[x]) - exact[x], x))[: limit - sum(share.values())]:
        share[label] += 1
    for label in labels if limit >= len(labels) else ():
        if share[label] == 0:
            share[max(labels, key=lambda x: (share[x], x))] -= 1
            share[label] = 1
    return share


def _key(seed: int, text: Any) -> float:
    return int(sha256_bytes(f"sample:{seed}:{text}".encode())[:15], 16) / 16**15
