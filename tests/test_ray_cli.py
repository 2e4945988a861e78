"""Choosing a backend, without a cluster (core suite): the registry, `--backend`/`--ray-address`,
`[tool.migrator] backend`, and the one-line error when the `ray` extra is missing.

The cluster itself is tested in tests/test_ray.py (tox -e ray).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from migrator import backends
from migrator.backends.local import LocalBackend
from migrator.cli import main
from tests.conftest import REPO

MODEL = REPO / "corpus" / "generated" / "tf215" / "keras" / "sequential" / "save-h5" / "model.h5"


@pytest.fixture
def no_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    """This interpreter without Ray: `import ray` fails as it does where the extra is missing."""
    monkeypatch.setitem(sys.modules, "ray", None)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy2(MODEL, folder / "model.h5")
    return folder


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("migrator: ") and "\n" not in err, err
    assert "Traceback" not in err
    return err


def test_the_registry_finds_both_backends_by_name() -> None:
    assert {"local", "ray"} <= set(backends.names())
    assert isinstance(backends.get(), LocalBackend)
    assert backends.get("ray", address="10.0.0.1:6379").address == "10.0.0.1:6379"  # type: ignore[attr-defined]


def test_two_backends_cannot_share_a_name() -> None:
    class Other(LocalBackend):
        pass

    with pytest.raises(ValueError, match="two backends"):
        backends.register("local")(Other)


@pytest.mark.parametrize("command", ["audit", "convert"])
def test_a_missing_ray_extra_is_one_line_naming_it(
    no_ray: None, tree: Path, tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = ["-o", str(tmp_path / "out")] if command == "convert" else ["--format", "json"]
    assert main([command, str(tree), *extra, "--backend", "ray"]) == 2
    err = _one_line(capsys)
    assert "migrator[ray]" in err
    assert not (tmp_path / "out" / "model").exists()  # nothing converted, nothing published


def test_an_unknown_backend_is_one_line_with_the_choices(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", str(tree), "--backend", "spark"]) == 2
    err = _one_line(capsys)
    assert "'spark'" in err and "local" in err and "ray" in err


def test_ray_address_without_the_ray_backend_is_a_usage_error(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", str(tree), "--ray-address", "127.0.0.1:6379"]) == 2
    assert "--backend ray" in _one_line(capsys)


def test_the_backend_comes_from_tool_migrator(
    no_ray: None,
    tree: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.migrator]\nbackend = "ray"\n')
    monkeypatch.chdir(project)
    assert main(["audit", str(tree)]) == 2  # the config chose Ray, which is not installed
    assert "migrator[ray]" in _one_line(capsys)
    assert main(["audit", str(tree), "--backend", "local", "--exit-zero"]) == 0  # CLI wins


def test_a_bad_backend_in_tool_migrator_names_the_file(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.migrator]\nbackend = "dask"\n')
    monkeypatch.chdir(project)
    assert main(["audit", str(tree)]) == 2
    err = _one_line(capsys)
    assert "'dask'" in err and str(project / "pyproject.toml") in err
