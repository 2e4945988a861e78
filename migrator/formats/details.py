"""Typed `details` for readings: each reader declares what it reports as a dataclass.

A reader's details used to be a free-form dict described in prose; now each reader has a frozen
dataclass subclassing `Details`, so the schema is code, typos are errors and a reader's output
can be read in one place. `Details` also reads as a mapping (``details["layer_count"]``,
``details.get(...)``, iteration in field order), so the JSON report, the rules and the
loadability judges see exactly what they saw before.

A field left at `UNSET` is absent from the mapping (and from the JSON report): readers report
some keys only when the bytes hold them. Declare fields in the order the report should list them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any


class _Unset:
    """The marker for a detail the reader did not report (kept absent from the mapping)."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNSET"  # unpickles to the module-level singleton across worker processes


UNSET: Any = _Unset()
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


@dataclass(frozen=True, eq=False)
class Details(Mapping[str, Any]):
    """Base class of every reader's details dataclass (subclass with @dataclass(frozen=True,
    eq=False) and give every field a default, usually `UNSET`)."""

    def _names(self) -> tuple[str, ...]:
        # asked on every key lookup by rules and reports: the field names are worked out once
        # per class, not on each question
        cls = type(self)
        names = _FIELD_NAMES.get(cls)
        if names is None:
            names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(self))
        return names

    def __getitem__(self, key: str) -> Any:
        if key not in self._names():
            raise KeyError(key)
        value = getattr(self, key)
        if value is UNSET:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._names() if getattr(self, name) is not UNSET)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]  # details hold lists: never hashable

    def to_dict(self) -> dict[str, Any]:
        return dict(self.items())


def merged(details: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """Details plus keys a later stage adds (discovery's layout): a plain dict, in order."""
    return {**dict(details.items()), **extra}
