"""`[tool.migrator]` in `pyproject.toml`: which rules run and which severity fails the audit.

```toml
[tool.migrator]
select = ["MIG2", "MIG301"]        # ids, id prefixes, rule names or families; default: all
ignore = ["keras-save-h5"]         # same forms; wins over select
fail-on = "medium"                 # exit 1 when a finding is at least this severe
target = ["tf==2.18 keras==3.8"]   # judge loadability there; exit 1 where an artifact fails
```

The file used is the nearest `pyproject.toml` with a `[tool.migrator]` table, searched from the
audited path (a file's folder, or the folder itself) up to the filesystem root; without one the
defaults apply (every rule, never fail on findings). Command-line options override the file.
A mistake in the table (unknown key, unknown rule, bad severity, broken TOML) is a usage error
that names the file, never a silent default.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.errors import UsageError
from migrator.model import SEVERITIES
from migrator.storage import is_remote

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI (a dependency there)
    import tomli as tomllib

# runtimes*: runtime_config.py; exclude/include: path globs for discover.py; backend and
# ray-address: backends/settings.py; target: loadability/targets.py
KEYS = (
    "select", "ignore", "fail-on", "runtimes", "runtimes-dir", "exclude", "include", "backend",
    "ray-address", "target",
)  # fmt: skip
NEVER = "none"  # `fail-on` value: findings never change the exit code


@dataclass(frozen=True)
class Config:
    """The effective rule selection and failure threshold."""

    select: tuple[str, ...] = ()  # empty: every rule
    ignore: tuple[str, ...] = ()
    fail_on: str = NEVER
    source: Path | None = None  # the pyproject.toml it came from
    exclude: tuple[str, ...] = ()  # path globs the audit leaves out (discover.py)
    include: tuple[str, ...] = ()  # path globs it audits even where left out
    # runtimes loadability is judged for ("tf==2.18 keras==3.8"); exit 1 where one fails
    target: tuple[str, ...] = ()

    def enabled(self, rule: Any) -> bool:
        """Is `rule` (a `migrator.rules.Rule`) on?"""
        if self.select and not any(rule.matches(s) for s in self.select):
            return False
        return not any(rule.matches(s) for s in self.ignore)

    def fails(self, severity: str) -> bool:
        """Does a finding of `severity` reach the failure threshold?"""
        if self.fail_on == NEVER or severity not in SEVERITIES:
            return False
        return SEVERITIES.index(severity) >= SEVERITIES.index(self.fail_on)

    def overridden(
        self,
        *,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        fail_on: str | None = None,
        target: Sequence[str] | None = None,
    ) -> Config:
        """This config with command-line values in place of the file's."""
        where = "on the command line"
        return Config(
            select=_selectors(select, "select", where) if select is not None else self.select,
            ignore=_selectors(ignore, "ignore", where) if ignore is not None else self.ignore,
            fail_on=_severity(fail_on, where) if fail_on is not None else self.fail_on,
            source=self.source,
            exclude=self.exclude,
            include=self.include,
            target=_targets(target, "--target") if target else self.target,
        )


def find_pyproject(start: Path) -> Path | None:
    """The nearest `pyproject.toml` with a `[tool.migrator]` table at or above `start`."""
    folder = Path(os.path.abspath(start))
    if not folder.is_dir():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        try:
            text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        except OSError:
            continue
        if "migrator" not in text:
            continue
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            if "tool.migrator" in text:  # ours, and broken: say so rather than ignore it
                raise UsageError(f"{path}: invalid TOML ({exc}); fix the file") from exc
            continue
        tool = data.get("tool")
        if isinstance(tool, dict) and "migrator" in tool:
            return path
    return None


def load_config(paths: Iterable[Path]) -> Config:
    """The config for an audit of `paths`: from the pyproject.toml nearest their common folder.

    A store holds no config of the user's: for `s3://...` paths it is the working folder's.
    """
    paths = list(paths)
    if any(is_remote(p) for p in paths):
        paths = [p for p in paths if not is_remote(p)] or [Path.cwd()]
    resolved = [Path(os.path.abspath(p)) for p in paths]
    if not resolved:
        return Config()
    start = resolved[0] if len(resolved) == 1 else Path(os.path.commonpath(resolved))
    pyproject = find_pyproject(start)
    return read_config(pyproject) if pyproject is not None else Config()


def read_config(pyproject: Path) -> Config:
    """Parse and validate `[tool.migrator]` of one file."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(
            f"{pyproject}: cannot read ({exc.strerror or exc}); check permissions"
        ) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{pyproject}: invalid TOML ({exc}); fix the file") from exc
    table = data.get("tool", {}).get("migrator")
    if table is None:
        return Config(source=pyproject)
    return parse_table(table, pyproject)


def parse_table(table: Any, source: Path) -> Config:
    """Validate the `[tool.migrator]` table; every mistake names the file and the key."""
    where = f"in [tool.migrator] of {source}"
    if not isinstance(table, Mapping):
        raise UsageError(f"[tool.migrator] of {source} must be a table")
    for key in table:
        if key.replace("_", "-") not in KEYS:
            raise UsageError(f"unknown key {key!r} {where}; known keys: {', '.join(KEYS)}")
    fail_on = table.get("fail-on", table.get("fail_on", NEVER))
    return Config(
        select=_selectors(table.get("select", []), "select", where),
        ignore=_selectors(table.get("ignore", []), "ignore", where),
        fail_on=_severity(fail_on, where),
        source=source,
        exclude=_globs(table.get("exclude", []), "exclude", where),
        include=_globs(table.get("include", []), "include", where),
        target=_targets(table.get("target", []), f"target {where}:"),
    )


def _targets(value: Any, where: str) -> tuple[str, ...]:
    """Runtime targets, each checked now so a mistake names where it was written (`where`:
    "--target", or "in [tool.migrator] of <file>")."""
    from migrator.loadability.targets import parse_targets

    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise UsageError(f'target {where} must be a list of runtimes such as "tf==2.18 keras==3.8"')
    return tuple(t.text for t in parse_targets(value, where))


def _globs(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f'{key} {where} must be a list of path globs such as ".venv"')
    return tuple(value)


def _severity(value: Any, where: str) -> str:
    if value not in (*SEVERITIES, NEVER):
        raise UsageError(
            f"fail-on {value!r} {where} is not a severity; use one of "
            f"{', '.join(SEVERITIES)} or {NEVER}"
        )
    return str(value)


def _selectors(value: Any, key: str, where: str) -> tuple[str, ...]:
    """Check each selector names a rule, a family or an id prefix that the registry knows."""
    from migrator.rules import FAMILIES, all_rules

    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{key} {where} must be a list of rule ids or names")
    rules = all_rules()
    out = []
    for raw in value:
        selector = raw.strip()
        upper = selector.upper()
        if upper.startswith("MIG"):
            selector = upper
        known = (
            any(r.matches(selector) for r in rules)
            or selector in FAMILIES.values()
            or selector in ("MIG", *(f"MIG{d}" for d in FAMILIES))
        )
        if not known:
            raise UsageError(
                f"{key} {where}: {raw!r} names no rule, family or id prefix; "
                "`migrator rules` lists them"
            )
        out.append(selector)
    return tuple(out)
