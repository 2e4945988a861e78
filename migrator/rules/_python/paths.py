"""What is known of a path argument (`PathValue`): the literal pieces, whether it ends in a suffix
or is a folder, and how joins, templates and `%`/`.format` combine them.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass

# --- paths --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathValue:
    """What static reading knows about a path: its known end (`tail`) and whether that is all.

    `kind` is "dir" for values that are folders by construction (`tempfile.mkdtemp()`),
    "checkpoint" for `tf.train.latest_checkpoint(...)`. `hint` is the identifier the value came
    through (`export_dir`), for rules that may guess from a name when the value is unknown.
    """

    tail: str = ""
    complete: bool = False
    kind: str = ""
    pathlib: bool = False
    hint: str = ""

    @property
    def known(self) -> bool:
        return self.complete or bool(self.tail) or bool(self.kind)

    def may_end_with(self, *suffixes: str) -> bool:
        """Could the full path end with one of `suffixes`, given what is known?"""
        if self.kind:
            return False
        for s in suffixes:
            if self.tail.endswith(s) or (not self.complete and s.endswith(self.tail)):
                return True
        return False

    def ends_with(self, *suffixes: str) -> bool:
        return not self.kind and self.tail.endswith(suffixes)

    @property
    def is_folder(self) -> bool:
        """Known to name a folder: a trailing slash, or made by `mkdtemp()` and the like."""
        return self.kind == "dir" or self.tail.endswith(("/", "\\"))

    def with_hint(self, hint: str) -> PathValue:
        return PathValue(self.tail, self.complete, self.kind, self.pathlib, hint or self.hint)


_UNKNOWN = PathValue()
_PATH_CLASSES = frozenset(
    f"pathlib.{c}"
    for c in ("Path", "PurePath", "PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath")
)
_SAME_PATH_FUNCS = frozenset(
    {
        "str",
        "os.fspath",
        "os.path.abspath",
        "os.path.realpath",
        "os.path.normpath",
        "os.path.expanduser",
        "os.path.expandvars",
    }
)
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[a-zA-Z%]")


def _join(left: PathValue, right: PathValue, pathlib: bool) -> PathValue:
    if right.kind:
        return right
    if not right.complete:
        return PathValue(right.tail, False, "", pathlib)
    if right.tail.startswith("/"):
        return PathValue(right.tail, True, "", pathlib)
    if left.kind == "dir":
        return PathValue("/" + right.tail, False, "", pathlib)
    head = left.tail.rstrip("/")
    if left.complete and not left.tail:
        return PathValue(right.tail, True, "", pathlib)
    tail = f"{head}/{right.tail}" if (head or not left.complete) else right.tail
    return PathValue(tail, left.complete, "", pathlib)


# Stands for the unknown stem before a literal extension (`name + ".h5"`, `f"{step}.h5"`).
STEM = "*"
# Stands for the digits of `str(epoch)` at the end of a path (`prefix + "." + str(epoch)`).
NUMBER = "0"
_PATH_NAME = re.compile(r"(?i)path|dir|file|name|folder|prefix|root|stem|ckpt|checkpoint|url|uri")


def looks_like_path_name(name: str) -> bool:
    """Does an identifier read as holding a path or a name rather than a number?"""
    return bool(_PATH_NAME.search(name))


def after_unknown(tail: str, complete: bool, literal: str) -> str:
    """`tail` followed by `literal`. After an unknown part, a literal that starts an extension
    (`.h5`) follows a stem: the stem is a name or a number (`str(epoch)`), not itself a suffix
    such as `.weights`, so the result is known to end in exactly `literal` (`*.h5`)."""
    if not complete and not tail and literal.startswith("."):
        return STEM + literal
    return tail + literal


def without_suffix(value: PathValue) -> PathValue:
    """`os.path.splitext(value)[0]`: a known end loses its last extension."""
    if value.kind or not value.tail:
        return PathValue(hint=value.hint)
    head, dot, ext = value.tail.rpartition(".")
    if not dot or "/" in ext or (not head and not value.complete):
        return PathValue(hint=value.hint)
    return PathValue(head.rstrip(STEM) if head == STEM else head, value.complete, "", value.pathlib)


def under_some_folder(name: PathValue) -> PathValue:
    """A file called `name` in a folder known only at run time (`keras.utils.get_file(name)`)."""
    if not name.complete or name.kind or not name.tail:
        return PathValue()
    return PathValue("/" + name.tail.lstrip("/"), False)


def agree(values: Sequence[PathValue]) -> PathValue:
    """One value for the several that may reach a use (call sites, assignments): the value
    itself when they agree, their common known end when all are known, else unknown."""
    first = values[0]
    if all(v == first for v in values[1:]):
        return first
    if any(not v.known or v.kind for v in values):
        return PathValue()
    tails = [v.tail for v in values]
    common = tails[0]
    for t in tails[1:]:
        while common and not t.endswith(common):
            common = common[1:]
    if all(t != common for t in tails):
        common = STEM + common if common.startswith(".") else common
    return PathValue(common, False, "", first.pathlib)


def _template(pieces: Sequence[str], escape: str = "") -> PathValue:
    """A string built from literal `pieces` with an unknown value between each two."""
    last = pieces[-1].replace(escape, "%") if escape else pieces[-1]
    if len(pieces) > 1:
        last = after_unknown("", False, last)
    return PathValue(last, len(pieces) == 1)


def _format_template(template: str) -> PathValue:
    tail, complete = "", True
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return _UNKNOWN
    for literal, field_name, _spec, _conv in parsed:
        tail = after_unknown(tail, complete, literal) if literal else tail
        if field_name is not None:
            tail, complete = "", False
    return PathValue(tail, complete)
