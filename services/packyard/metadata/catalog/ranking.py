"""Final ordering of search candidates: how close a name is to what was typed.

PostgreSQL's trigram similarity finds the candidates, but it scores a swapped pair of letters
poorly ("pytset" is closer to "pytz" than to "pytest" in trigrams). An edit distance that
counts a transposition as one edit (optimal string alignment) ranks them as a person would.
"""

from __future__ import annotations

from dataclasses import replace

from packyard.metadata.catalog.models import CatalogProject

# Weight of name closeness (0..1) next to the database score (exact name 100, prefix 10,
# trigram similarity 0..10, text rank 0..~20).
CLOSENESS_WEIGHT = 5.0


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    two adjacent characters each cost 1."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def closeness(name: str, query: str) -> float:
    """1.0 for the same string, 0.0 for nothing in common."""
    longest = max(len(name), len(query))
    if longest == 0:
        return 1.0
    return 1.0 - edit_distance(name, query) / longest


def rank(candidates: list[CatalogProject], query: str, limit: int) -> list[CatalogProject]:
    """The best ``limit`` candidates, best first; downloads, then name, break ties."""
    scored = [
        replace(c, score=c.score + CLOSENESS_WEIGHT * closeness(c.name, query)) for c in candidates
    ]
    scored.sort(key=lambda c: (-c.score, -c.downloads, c.name, c.feed))
    return scored[:limit]
