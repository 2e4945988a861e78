"""A verdict for one cell, and the helpers verdict functions phrase it with.

Verdicts: `loads` (loads and reproduces the outputs), `loads-with-changes` (loads once the caller
supplies or accepts what `needs` names, each said in `reason`), `fails`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Prediction:
    verdict: str  # "loads" | "loads-with-changes" | "fails"
    reason: str
    needs: tuple[str, ...] = ()

    def to_json(self) -> dict[str, str]:
        return {"verdict": self.verdict, "reason": self.reason}


def loads(reason: str) -> Prediction:
    return Prediction("loads", reason)


def fails(reason: str) -> Prediction:
    return Prediction("fails", reason)


# A need: (a key of tables.NEEDS, the sentence saying why).
Need = tuple[str, str]


def with_needs(reason: str, needs: list[Need]) -> Prediction:
    """`loads` when nothing is needed, else `loads-with-changes` naming each need and why."""
    if not needs:
        return loads(reason)
    names = tuple(sorted({name for name, _ in needs}))
    said = "; ".join(dict.fromkeys(why for _, why in needs))
    return Prediction("loads-with-changes", f"{said}. {reason}".strip(), names)


def quote(items: tuple[str, ...] | list[str], limit: int = 3) -> str:
    """`a`, `b`, `c` and N more."""
    shown = ", ".join(f"`{i}`" for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
