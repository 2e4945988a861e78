"""What is inside an archive is reported as it would be on disk: the sha256 of each member
artifact's files in the CycloneDX BOM, the code rules over the `.py` files shipped with a model,
and `--exclude` globs over the members.

The archives are built here from the SavedModel and `.h5` tf.keras 2.15.1 wrote into
`corpus/generated` and in the layouts SageMaker documents: `model.tar.gz` with `1/` and
`code/inference.py` + `code/requirements.txt` (TensorFlow Serving container), and the SDK's
`sourcedir.tar.gz`, the `source_dir` packed with the entry point at its root. Every expected hash
is computed by the test from bytes it extracts itself with tarfile/zipfile.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from migrator.audit import audit
from migrator.cli import main
from migrator.digest import sha256_tree
from migrator.formats.archive import limits
from migrator.model import Report
from migrator.report import cyclonedx
from migrator.rules import check_source
from tests.test_archives import H5, JUDGES, SAVED_MODEL, tar_with
from tests.test_cyclonedx import errors_of, make_validator

TRAIN = b"""import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.save("export")
"""
SAVE_LINE = 5  # `model.save("export")`: a legacy SavedModel folder (MIG201)


def components(report: Report) -> dict[str, dict]:
    bom = cyclonedx.bom(report)
    assert errors_of(make_validator(), bom) == []
    return {c["name"]: c for c in bom["components"]}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_tar(path: Path) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        tar.add(H5, arcname="model.h5")
        tar.add(SAVED_MODEL, arcname="sm", recursive=True)
    return path


def build_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(H5, "model.h5")
        for file in sorted(SAVED_MODEL.rglob("*")):
            if file.is_file():
                zf.write(file, f"sm/{file.relative_to(SAVED_MODEL).as_posix()}")
    return path


def extract(archive: Path, into: Path) -> Path:
    """The test's own extraction, with the standard library (the audit never extracts)."""
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(into)
    else:
        with tarfile.open(archive) as tar:
            tar.extractall(into, filter="data")
    return into


# --- (A) hashes of what is inside ----------------------------------------------------------------


@pytest.mark.parametrize("build", [build_tar, build_zip], ids=["tar.gz", "zip"])
def test_member_hashes_equal_the_extracted_bytes_and_the_same_files_on_disk(
    tmp_path: Path, build
) -> None:
    archive = build(tmp_path / ("models.zip" if build is build_zip else "models.tar.gz"))
    name = archive.name
    inside = components(audit([archive], judges=JUDGES, jobs=0))
    folder = extract(archive, tmp_path / "extracted")

    h5 = inside[f"{name}!/model.h5"]
    assert h5["hashes"] == [{"alg": "SHA-256", "content": sha((folder / "model.h5").read_bytes())}]

    sm = inside[f"{name}!/sm"]
    files = {c["name"]: c for c in sm["components"]}
    extracted = sorted(p for p in (folder / "sm").rglob("*") if p.is_file())
    assert sorted(files) == [
        f"{name}!/sm/{p.relative_to(folder / 'sm').as_posix()}" for p in extracted
    ]
    for path in extracted:
        member = files[f"{name}!/sm/{path.relative_to(folder / 'sm').as_posix()}"]
        assert member["hashes"] == [{"alg": "SHA-256", "content": sha(path.read_bytes())}]
    # the weight shard is among them: hashed although the audit kept only its first bytes
    assert any("variables.data-" in n for n in files)
    # a folder artifact's own hash: the folder hash `migrator convert` records for a source
    assert sm["hashes"] == [{"alg": "SHA-256", "content": sha256_tree(folder / "sm")}]

    on_disk = components(audit([folder], judges=JUDGES, jobs=0))
    assert on_disk["model.h5"]["hashes"] == h5["hashes"]
    assert on_disk["sm"]["hashes"] == sm["hashes"]
    assert {c["name"].removeprefix(f"{name}!/"): c["hashes"] for c in sm["components"]} == {
        c["name"]: c["hashes"] for c in on_disk["sm"]["components"]
    }
    # the archive itself keeps its own file hash
    assert inside[name]["hashes"] == [{"alg": "SHA-256", "content": sha(archive.read_bytes())}]


@pytest.mark.parametrize("kind", ["tar.gz", "zip"])
def test_a_shard_past_the_hash_budget_says_so_instead_of_a_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Weight data beyond what readers keep is hashed within a budget per archive (a tar's
    shard tails as they stream, a zip's shards by a second read): past it the BOM says why a
    shard has no hash, the folder gets no folder hash, and every other file keeps its hash."""
    archive = tmp_path / f"sm.{kind}"
    files = sorted(p for p in SAVED_MODEL.rglob("*") if p.is_file())
    if kind == "zip":
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for file in files:
                zf.write(file, f"sm/{file.relative_to(SAVED_MODEL).as_posix()}")
    else:
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(SAVED_MODEL, arcname="sm", recursive=True)
    (shard,) = [p for p in files if ".data-" in p.name]
    monkeypatch.setattr(limits, "HEAD_BYTES", 16)  # of a shard, only its head is laid
    tail = shard.stat().st_size - 16
    monkeypatch.setattr(limits, "MAX_HASHED_BYTES", tail - 1)
    name = archive.name
    sm = components(audit([archive], judges=JUDGES, jobs=0))[f"{name}!/sm"]
    by_name = {c["name"]: c for c in sm["components"]}
    cut = by_name[f"{name}!/sm/{shard.relative_to(SAVED_MODEL).as_posix()}"]
    assert "hashes" not in cut
    assert any(p["name"] == "migrator:hash-skipped" for p in cut["properties"])
    assert "hashes" not in sm
    pb = by_name[f"{name}!/sm/saved_model.pb"]
    assert pb["hashes"][0]["content"] == sha((SAVED_MODEL / "saved_model.pb").read_bytes())
    # the control: a budget that holds the tail (a zip reads the whole shard again)
    monkeypatch.setattr(limits, "MAX_HASHED_BYTES", shard.stat().st_size)
    sm = components(audit([archive], judges=JUDGES, jobs=0))[f"{name}!/sm"]
    assert sm["hashes"] == [{"alg": "SHA-256", "content": sha256_tree(SAVED_MODEL)}]


def test_a_nested_archive_row_is_hashed_as_a_member(tmp_path: Path) -> None:
    inner = build_tar(tmp_path / "inner.tar.gz")
    outer = tar_with(tmp_path / "outer.tar", [("inner.tar.gz", inner.read_bytes())])
    found = components(audit([outer], judges=JUDGES, jobs=0))
    assert found["outer.tar!/inner.tar.gz"]["hashes"][0]["content"] == sha(inner.read_bytes())
    h5 = found["outer.tar!/inner.tar.gz!/model.h5"]
    assert h5["hashes"][0]["content"] == sha(H5.read_bytes())


# --- (B) code rules and --exclude inside ---------------------------------------------------------


def source_tarball(path: Path, extra: list[tuple[str, bytes]] = ()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    members = [("code/train.py", TRAIN), ("code/requirements.txt", b"tensorflow==2.15.1\n")]
    return tar_with(path, [*members, *extra], mode="w:gz")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    code = main(["audit", *argv, "--format", "json", "--jobs", "0"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_code_rules_judge_python_inside_an_archive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = source_tarball(tmp_path / "source.tar.gz")
    code, report, _ = run([str(archive)], capsys)
    (train,) = report["sources"]
    assert train["path"] == "source.tar.gz!/code/train.py"
    assert ("MIG201", SAVE_LINE) in {(f["rule"], f["line"]) for f in train["findings"]}
    # the same rules, the same findings as the file on disk
    (tmp_path / "train.py").write_bytes(TRAIN)
    on_disk = check_source("train.py", tmp_path / "train.py")
    assert train["findings"] == [f.to_json() for f in on_disk.findings]
    assert report["summary"]["sources"] == 1
    assert code != 2  # no error line: findings decide the exit code, as on disk
    assert not train["errors"] and not report["errors"]

    # placed as `archive!/member:LINE` by the line renderers
    assert main(["audit", str(archive), "--format", "concise", "--jobs", "0"]) in (0, 1)
    lines = capsys.readouterr().out
    assert f"source.tar.gz!/code/train.py:{SAVE_LINE}:" in lines


def test_sagemaker_sourcedir_and_model_code_beside_a_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The SDK's `sourcedir.tar.gz` (entry point at the root) and a serving `model.tar.gz` whose
    `code/inference.py` sits beside `1/`, audited together: each .py file is one source."""
    (tmp_path / "src").mkdir()
    notebook = {
        "cells": [{"cell_type": "code", "source": TRAIN.decode(), "metadata": {}, "outputs": []}],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    sourcedir = tar_with(
        tmp_path / "src" / "sourcedir.tar.gz",
        [
            ("train.py", TRAIN),
            ("requirements.txt", b"tensorflow\n"),
            ("notebooks/explore.ipynb", json.dumps(notebook).encode()),
        ],
        mode="w:gz",
    )
    with tarfile.open(tmp_path / "src" / "model.tar.gz", "w:gz") as tar:
        tar.add(SAVED_MODEL, arcname="1", recursive=True)
        info = tarfile.TarInfo("code/inference.py")
        info.size = len(TRAIN)
        tar.addfile(info, io.BytesIO(TRAIN))
    _, report, _ = run([str(sourcedir.parent)], capsys)
    paths = [s["path"] for s in report["sources"]]
    assert paths == [
        "model.tar.gz!/code/inference.py",
        "sourcedir.tar.gz!/notebooks/explore.ipynb",
        "sourcedir.tar.gz!/train.py",
    ]
    assert all(any(f["rule"] == "MIG201" for f in s["findings"]) for s in report["sources"])
    (cell,) = {f.get("cell") for f in report["sources"][1]["findings"]}
    assert cell == 1  # a notebook's finding is placed in its cell, as on disk
    assert "model.tar.gz!/1" in {a["path"] for a in report["artifacts"]}


def test_exclude_applies_to_members_by_name_and_by_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = source_tarball(
        tmp_path / "repo" / "source.tar.gz",
        [
            ("code/vendor/old.py", TRAIN),
            ("code/notes.py", TRAIN),
            ("code/scratch.py", TRAIN),
            ("model.h5", H5.read_bytes()),
            (".git/hooks/post-checkout.py", TRAIN),
        ],
    )
    argv = [
        str(archive.parent),
        "--exclude",
        "vendor",  # a name, at any depth: a folder inside the archive
        "--exclude",
        "code/notes.py",  # a path inside the archive
        "--exclude",
        "*.tar.gz!/code/scratch.py",  # the path as reported
        "--exclude",
        "*.h5",  # a model inside is left out as on disk
    ]
    _, report, _ = run(argv, capsys)
    assert [s["path"] for s in report["sources"]] == ["source.tar.gz!/code/train.py"]
    assert [a["path"] for a in report["artifacts"]] == ["source.tar.gz"]
    assert sorted(report["skipped"]) == [
        "source.tar.gz!/.git/: tool folder not audited; pass --include '.git' to audit it",
        "source.tar.gz!/code/notes.py: excluded by the pattern 'code/notes.py'",
        "source.tar.gz!/code/scratch.py: excluded by the pattern '*.tar.gz!/code/scratch.py'",
        "source.tar.gz!/code/vendor: excluded by the pattern 'vendor'",
        "source.tar.gz!/model.h5: excluded by the pattern '*.h5'",
    ]
    # without the patterns, all of it is audited (the control); --include brings back a tool
    # folder inside the archive as it does on disk
    _, full, _ = run([str(archive.parent), "--include", ".git"], capsys)
    assert len(full["sources"]) == 5
    assert "source.tar.gz!/.git/hooks/post-checkout.py" in {s["path"] for s in full["sources"]}
    assert "source.tar.gz!/model.h5" in {a["path"] for a in full["artifacts"]}
    assert "skipped" not in full


def test_an_oversize_python_member_is_one_line_and_the_rest_is_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(limits.MAX_CODE_BYTES, ".py", 4096)
    huge = b"x = 1\n" * 2000  # 12,000 bytes: past the (lowered) cap, never parsed
    archive = source_tarball(tmp_path / "source.tar.gz", [("code/huge.py", huge)])
    code, report, err = run([str(archive)], capsys)
    assert code == 2  # an error line, as for an unreadable file on disk
    by_path = {s["path"]: s for s in report["sources"]}
    (line,) = by_path["source.tar.gz!/code/huge.py"]["errors"]
    assert "11.7 KiB, over the 4 KiB" in line and "extract the archive" in line
    assert by_path["source.tar.gz!/code/huge.py"]["findings"] == []
    assert any(f["rule"] == "MIG201" for f in by_path["source.tar.gz!/code/train.py"]["findings"])
    assert f"migrator: source.tar.gz!/code/huge.py: {line}" in err.splitlines()
    assert "Traceback" not in err


def test_code_past_the_per_archive_budget_is_one_skipped_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source tarball that vendors its dependencies: the code rules judge the first files in
    path order up to the budget, and one line says how many were not judged."""
    monkeypatch.setattr(limits, "MAX_CODE_TOTAL_BYTES", 2 * len(TRAIN) + 10)
    vendored = [(f"code/vendor/lib{n}.py", TRAIN) for n in range(5)]
    archive = source_tarball(tmp_path / "source.tar.gz", vendored)
    code, report, _ = run([str(archive)], capsys)
    assert code != 2  # not an error: a bound, said once
    judged = [s["path"] for s in report["sources"]]
    assert judged == ["source.tar.gz!/code/train.py", "source.tar.gz!/code/vendor/lib0.py"]
    (line,) = report["skipped"]
    assert line.startswith("source.tar.gz!/: 4 code file(s) (")
    assert "extract the archive and audit the folder" in line


def test_a_truncated_archive_cuts_the_python_member_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tar_with(tmp_path / "whole.tar", [("code/train.py", TRAIN * 400)])
    data = plain.read_bytes()
    cut = tmp_path / "source.tar"
    cut.write_bytes(data[: 512 + len(TRAIN) * 100])  # the header and part of the member
    code, report, err = run([str(cut)], capsys)
    assert code == 2
    (train,) = report["sources"]
    assert train["findings"] == [] and "cut short" in train["errors"][0]
    assert "Traceback" not in err
