"""The nearest valid names to a mistyped one, for the "did you mean" of a refusal."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6  # difflib's similarity below which a name is not a guess
MARGIN = 0.05  # names this much less similar than the best are left out


def closest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` choices nearly as similar to ``word`` as the most similar one."""
    scored = []
    for choice in dict.fromkeys(choices):
        ratio = difflib.SequenceMatcher(None, word, choice).ratio()
        if ratio >= CUTOFF:
            scored.append((ratio, choice))
    scored.sort(key=lambda pair: -pair[0])
    if not scored:
        return []
    best = scored[0][0]
    return [choice for ratio, choice in scored[:n] if ratio >= best - MARGIN]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``did you mean 'a' or 'b'?`` for the choices closest to ``word``; empty when none is
    close."""
    close = closest(word, choices)
    return "did you mean " + " or ".join(repr(c) for c in close) + "?" if close else ""
