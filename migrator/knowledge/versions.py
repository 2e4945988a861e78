"""The one parser of the version strings artifacts record.

Files record versions in many spellings: ``"2.2.4-tf"`` (tf.keras 2.2), ``"2.4.0"``,
``"3.0.0.dev2023112300"``, ``"1.2.2"``, ``"2.15.0rc1"``, bytes read as text, or garbage. Every
judge compares versions through `parse`, so they all agree on what a spelling means.
"""

from __future__ import annotations

import re

Version = tuple[int, ...]

_LEADING = re.compile(r"\s*v?(\d+(?:\.\d+)*)")


def parse(text: object) -> Version | None:
    """The leading dotted numbers of a version string: "2.2.4-tf" -> (2, 2, 4); None if none."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str):
        return None
    match = _LEADING.match(text)
    if not match:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def major(text: object) -> int | None:
    """The major version ("2.2.4-tf" -> 2), or None when the string has no leading number."""
    parsed = parse(text)
    return parsed[0] if parsed else None


def minor_line(text: object) -> tuple[int, int] | None:
    """(major, minor) ("2.15.1" -> (2, 15)); a bare major gives minor 0; None when unparsable."""
    parsed = parse(text)
    if not parsed:
        return None
    return (parsed[0], parsed[1] if len(parsed) > 1 else 0)


def at_least(text: object, minimum: Version) -> bool:
    """`text` parses and is at or after `minimum` (compared on `minimum`'s length)."""
    parsed = parse(text)
    if parsed is None:
        return False
    padded = parsed + (0,) * max(0, len(minimum) - len(parsed))
    return padded[: len(minimum)] >= minimum


def render(version: Version) -> str:
    return ".".join(str(part) for part in version)
