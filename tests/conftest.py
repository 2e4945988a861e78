"""Shared fixtures: in-process reads, one reading of each artifact tree, the rule cases on disk.

Single-file audits are most of this suite; starting forked reader workers for each costs more
than the read (20 audits: 5.4 s with the pool, 0.4 s in process), so the session sets
`MIGRATOR_JOBS=0` unless the caller chose a value. The isolation tests (`tests/test_workers.py`)
pass `jobs=` explicitly, so they still run real workers with real deadlines.

The committed corpus and the real-world tree are each audited once per session
(`corpus_reading`, `realworld_reading`); the tests that look at all of either share that reading
instead of re-reading the same bytes module by module.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from migrator.audit import audit
from migrator.model import Artifact, Report
from migrator.workers import JOBS_VARIABLE

REPO = Path(__file__).resolve().parents[1]
REALWORLD = Path(os.environ.get("MIGRATOR_REALWORLD", REPO.parent / "shared" / "realworld"))
CORPUS = REPO / "corpus"
CASES = Path(__file__).resolve().parent / "cases"
CASE_FAMILIES = ("artifact", "security")
KINDS = ("positive", "negative")


def pytest_configure(config: pytest.Config) -> None:
    """Read artifacts in the test process unless `MIGRATOR_JOBS` was set by the caller."""
    os.environ.setdefault(JOBS_VARIABLE, "0")


def realworld_manifest() -> list[dict]:
    """The entries of ../shared/realworld/MANIFEST.json, or [] where the folder is absent."""
    manifest = REALWORLD / "MANIFEST.json"
    if not manifest.is_file():
        return []
    return json.loads(manifest.read_text(encoding="utf-8"))


def _skip_without_realworld() -> None:
    if not (REALWORLD / "MANIFEST.json").is_file():
        pytest.skip(f"real-world artifacts not available at {REALWORLD} (set MIGRATOR_REALWORLD)")


@pytest.fixture
def realworld() -> Path:
    _skip_without_realworld()
    return REALWORLD


def realworld_entry(entry_id: str) -> Path:
    """Folder of one real-world entry; skips the test where ../shared/realworld is absent."""
    path = REALWORLD / "artifacts" / entry_id
    if not path.is_dir():
        pytest.skip(f"real-world entry {entry_id} not available at {path}")
    return path


@pytest.fixture(scope="session")
def corpus_reading() -> Report:
    """`corpus/` audited once (readers only, no judges): paths like `generated/tf215/...`."""
    return audit([CORPUS])


@pytest.fixture(scope="session")
def realworld_reading() -> Report:
    """`../shared/realworld/artifacts` audited once (readers only): paths `<entry id>/<path>`."""
    _skip_without_realworld()
    return audit([REALWORLD / "artifacts"])


def artifacts_under(report: Report, folder: str) -> list[Artifact]:
    """The artifacts of a tree-wide reading that lie at or under `folder` (a report path)."""
    return [a for a in report.artifacts if a.path == folder or a.path.startswith(folder + "/")]


# --- the artifact and security rule cases: one `<name>.gen.py` file per case --------------------


def case_table() -> dict[tuple[str, str], dict[str, dict[str, Path]]]:
    """(family, rule id) -> {"positive"|"negative": {case name: its .gen.py}}, from the folders.

    Adding a case is adding a file under `tests/cases/<family>/<ID>/<kind>/`; nothing else
    lists them.
    """
    table: dict[tuple[str, str], dict[str, dict[str, Path]]] = {}
    for family in CASE_FAMILIES:
        for rule_dir in sorted(p for p in (CASES / family).iterdir() if p.is_dir()):
            kinds = table.setdefault((family, rule_dir.name), {kind: {} for kind in KINDS})
            for kind in KINDS:
                for entry in sorted((rule_dir / kind).glob("*.gen.py")):
                    kinds[kind][entry.name.removesuffix(".gen.py")] = entry
    return table


def build_case(rule_id: str, kind: str, name: str, folder: Path) -> Path:
    """Build one case into `folder` and return the artifact path (what `migrator audit` reads)."""
    for family in CASE_FAMILIES:
        entry = CASES / family / rule_id / kind / f"{name}.gen.py"
        if entry.is_file():
            break
    else:
        raise KeyError(f"no {kind} case {name!r} for {rule_id} under {CASES}")
    spec = importlib.util.spec_from_file_location(f"case_{rule_id}_{kind}_{name}", entry)
    assert spec is not None and spec.loader is not None, entry
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder.mkdir(parents=True, exist_ok=True)
    return Path(module.build(folder))
