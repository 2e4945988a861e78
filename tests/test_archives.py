"""Archives that hold models: tarballs and zips audited entry by entry, never extracted.

The well-formed archives are built here in the layout SageMaker's TensorFlow Serving container
documents (``model.tar.gz`` holding the numbered version folder ``1/`` with ``saved_model.pb`` and
``variables/``, and optionally ``code/inference.py`` + ``code/requirements.txt``), from the
SavedModel and ``.h5`` that tf.keras 2.15.1 wrote into ``corpus/generated``. The hostile ones are
built byte by byte with tarfile/zipfile so that each case shows one attack: traversal and
absolute names, links and devices, repeated names, bombs (with the caps lowered so the test
stays small), truncation, archives in archives, and files that only wear an archive's name.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from migrator import loadability
from migrator.audit import audit
from migrator.formats import archive
from migrator.formats.archive import limits
from migrator.model import Artifact, Report
from migrator.rules import check_artifact

REPO = Path(__file__).resolve().parents[1]
GENERATED = REPO / "corpus" / "generated" / "tf215" / "keras" / "functional"
SAVED_MODEL = GENERATED / "save-dir" / "model"
H5 = GENERATED / "save-h5" / "model.h5"
JUDGES = [loadability.judge, check_artifact]


# --- building archives ----------------------------------------------------------------------------


def add_tree(tar: tarfile.TarFile, folder: Path, arcname: str) -> None:
    tar.add(folder, arcname=arcname, recursive=True)


def sagemaker_tarball(path: Path, mode: str = "w:gz", *, code: bool = True) -> Path:
    """`model.tar.gz` as SageMaker's TF Serving container wants it: `1/` (+ `code/`)."""
    with tarfile.open(path, mode) as tar:
        add_tree(tar, SAVED_MODEL, "1")
        if code:
            for name, text in (
                ("code/inference.py", b"def input_handler(data, context):\n    return data\n"),
                ("code/requirements.txt", b"numpy\n"),
            ):
                info = tarfile.TarInfo(name)
                info.size = len(text)
                tar.addfile(info, io.BytesIO(text))
    return path


def tar_with(
    path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w"
) -> Path:
    """A tar holding exactly these entries, in this order (hostile ones included)."""
    with tarfile.open(path, mode, format=tarfile.GNU_FORMAT) as tar:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def special(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def by_path(report: Report) -> dict[str, Artifact]:
    return {a.path: a for a in report.artifacts}


def audited(folder: Path) -> dict[str, Artifact]:
    """Audit `folder`; the folder must be byte for byte what it was (nothing extracted)."""
    before = digest(folder)
    report = audit([folder], judges=JUDGES)
    assert digest(folder) == before
    return by_path(report)


# --- the layouts platforms ship ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mode", "container"),
    [
        ("model.tar.gz", "w:gz", "tar+gzip"),
        ("model.tgz", "w:gz", "tar+gzip"),
        ("model.tar", "w", "tar"),
        ("model.tar.bz2", "w:bz2", "tar+bzip2"),
        ("model.tar.xz", "w:xz", "tar+xz"),
    ],
)
def test_sagemaker_tarball_is_one_savedmodel_per_version_folder(
    tmp_path: Path, name: str, mode: str, container: str
) -> None:
    sagemaker_tarball(tmp_path / name, mode)
    found = audited(tmp_path)
    assert sorted(found) == [name, f"{name}!/1"]
    row, model = found[name], found[f"{name}!/1"]
    assert row.format == "archive" and not row.errors
    assert row.details["container"] == container
    assert row.details["artifacts"] == ["1"]
    assert row.details["code"] == ["code/inference.py"]
    assert model.format == "saved-model" and not model.errors
    assert model.details["layout"]["kind"] == "serving-version"
    assert model.details["keras"] is True
    assert model.producer["tensorflow_version"] == "2.15.1"
    assert f"{name}!/1/saved_model.pb" in model.files
    assert f"{name}!/1/variables/variables.index" in model.files
    assert model.location == tmp_path / name  # the archive on disk, not a staging folder
    assert any(f.rule == "MIG101" for f in model.findings)  # judged like the folder would be


def test_h5_in_a_tar_and_savedmodel_in_a_zip(tmp_path: Path) -> None:
    tar_with(tmp_path / "weights.tar", [("models/model.h5", H5.read_bytes())])
    with zipfile.ZipFile(tmp_path / "sm.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(SAVED_MODEL.rglob("*")):
            if file.is_file():
                zf.write(file, f"export/{file.relative_to(SAVED_MODEL).as_posix()}")
    found = audited(tmp_path)
    assert found["weights.tar!/models/model.h5"].format == "keras-h5"
    assert found["weights.tar!/models/model.h5"].producer["keras_version"] == "2.15.0"
    assert found["sm.zip!/export"].format == "saved-model"
    assert found["sm.zip"].details["container"] == "zip"


def test_savedmodel_at_the_archive_root(tmp_path: Path) -> None:
    with tarfile.open(tmp_path / "flat.tar.gz", "w:gz") as tar:
        for file in sorted(SAVED_MODEL.iterdir()):
            tar.add(file, arcname=file.name)
    found = audited(tmp_path)
    assert found["flat.tar.gz!/"].format == "saved-model"
    assert "flat.tar.gz!/saved_model.pb" in found["flat.tar.gz!/"].files


def test_an_archive_given_as_the_path_and_among_several_paths(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    sagemaker_tarball(tmp_path / "a" / "model.tar.gz")
    tar_with(tmp_path / "b.tar", [("model.h5", H5.read_bytes())])
    alone = by_path(audit([tmp_path / "a" / "model.tar.gz"], judges=JUDGES))
    assert sorted(alone) == ["model.tar.gz", "model.tar.gz!/1"]
    assert alone["model.tar.gz!/1"].files[0].startswith("model.tar.gz!/1/")
    both = by_path(audit([tmp_path / "a" / "model.tar.gz", tmp_path / "b.tar"], judges=JUDGES))
    assert sorted(both) == ["a/model.tar.gz", "a/model.tar.gz!/1", "b.tar", "b.tar!/model.h5"]


def test_tar_recognised_by_its_bytes_without_the_name(tmp_path: Path) -> None:
    sagemaker_tarball(tmp_path / "export", "w:gz")
    tar_with(tmp_path / "bundle", [("model.h5", H5.read_bytes())])
    found = audited(tmp_path)
    assert found["export!/1"].format == "saved-model"
    assert found["bundle!/model.h5"].format == "keras-h5"


def test_other_zips_and_gzips_are_not_claimed(tmp_path: Path) -> None:
    head = b"PK\x03\x04" + b"\x00" * 60
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("pkg/__init__.py", "")
    log = tmp_path / "train.log.gz"
    log.write_bytes(gzip.compress(b"epoch 1 loss 0.3\n" * 100))
    assert not archive.claim_file(wheel, head)
    assert not archive.claim_file(log, log.read_bytes()[:64])
    assert audited(tmp_path) == {}


def test_weight_shards_are_not_kept_and_an_archive_without_models_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "HEAD_BYTES", 16)
    sagemaker_tarball(tmp_path / "model.tar.gz", code=False)
    tar_with(tmp_path / "docs.tar", [("README.md", b"# notes\n")])
    found = audited(tmp_path)
    shards = [p for p in (SAVED_MODEL / "variables").iterdir() if ".data-" in p.name]
    shard_bytes = sum(p.stat().st_size for p in shards)
    row = found["model.tar.gz"].details
    assert row["kept_bytes"] == row["expanded_bytes"] - shard_bytes + 16 * len(shards)
    # the reader still sees the variables' sizes (stat), as on disk
    on_disk = sum(p.stat().st_size for p in (SAVED_MODEL / "variables").iterdir())
    assert found["model.tar.gz!/1"].details["variables"]["bytes"] == on_disk
    assert found["docs.tar"].details["artifacts"] == []
    assert "no model found among the entries" in found["docs.tar"].reading.evidence
    assert not found["docs.tar"].errors


def test_a_member_over_the_cap_is_an_error_that_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_MEMBER_BYTES", 1000)
    tar_with(tmp_path / "big.tar", [("model.h5", H5.read_bytes())])
    found = audited(tmp_path)
    (error,) = found["big.tar!/model.h5"].errors
    assert error.startswith("model.h5 (in the archive) is ")
    assert "over the 1000 bytes" in error and "extract the archive" in error
    assert found["big.tar"].details["over_cap"] == {"model.h5": H5.stat().st_size}


# --- hostile archives -----------------------------------------------------------------------------


def test_traversal_links_devices_and_repeats_are_errors_and_never_written(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    tar_with(
        store / "evil.tar.gz",
        [
            ("../escaped.h5", H5.read_bytes()),
            ("/tmp/absolute.h5", b"x"),
            special("link.h5", tarfile.SYMTYPE, "/etc/passwd"),
            special("hard.h5", tarfile.LNKTYPE, "../escaped.h5"),
            special("dev", tarfile.CHRTYPE),
            special("pipe", tarfile.FIFOTYPE),
            ("model.h5", b"first copy"),
            ("model.h5", H5.read_bytes()),
        ],
        mode="w:gz",
    )
    found = audited(store)
    assert not (tmp_path / "escaped.h5").exists()
    row = found["evil.tar.gz"]
    unsafe = {u["name"]: u["reason"] for u in row.details["unsafe_entries"]}
    assert set(unsafe) == {"../escaped.h5", "/tmp/absolute.h5", "link.h5", "hard.h5", "dev", "pipe"}
    assert "escapes" in unsafe["../escaped.h5"] and unsafe["/tmp/absolute.h5"] == "absolute path"
    assert unsafe["link.h5"].startswith("symlink to /etc/passwd")
    assert row.details["duplicate_names"] == ["model.h5"]
    assert len(row.errors) == 2
    assert all("\n" not in e for e in row.errors)
    assert row.errors[0].startswith("6 entries unsafe to extract, not read")
    assert "last copy" in row.errors[1]
    # the safe model is still audited, from its last copy (what extraction would keep)
    assert found["evil.tar.gz!/model.h5"].format == "keras-h5"
    assert not found["evil.tar.gz!/model.h5"].errors


def test_zip_with_traversal_and_symlink(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
        zf.writestr("../../outside.txt", b"x")
        link = zipfile.ZipInfo("link")
        link.external_attr = (0o120777) << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("model.h5", H5.read_bytes())
    found = audited(tmp_path)
    names = {u["name"] for u in found["evil.zip"].details["unsafe_entries"]}
    assert names == {"../../outside.txt", "link"}
    assert found["evil.zip!/model.h5"].format == "keras-h5"


def test_gzip_bomb_is_refused_from_its_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "RATIO_FLOOR", 2**20)
    zeros = b"\x00" * (4 * 2**20)  # 4 MiB of zeros: ~4 KiB of gzip, ratio ~1000
    tar_with(tmp_path / "bomb.tar.gz", [("zeros.h5", zeros)], mode="w:gz")
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.h5", zeros)
    found = audited(tmp_path)
    for name in ("bomb.tar.gz", "bomb.zip"):
        (error,) = found[name].errors
        assert "archive bomb" in error and "MiB of content from" in error, error
        assert found[name].details["kept_bytes"] == 0
    assert sorted(found) == ["bomb.tar.gz", "bomb.zip"]


def test_expansion_cap_applies_to_plain_tars(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_EXPANDED_BYTES", 2000)
    tar_with(tmp_path / "large.tar", [("model.h5", H5.read_bytes())])
    (error,) = audited(tmp_path)["large.tar"].errors
    assert "over the" in error and "cap" in error


def test_truncated_archive_names_the_cut_member(tmp_path: Path) -> None:
    whole = sagemaker_tarball(tmp_path / "whole.tar", "w", code=False).read_bytes()
    cut_at = whole.index(b"saved_model.pb") + 512 + 1000  # inside saved_model.pb's content
    (tmp_path / "cut.tar").write_bytes(whole[:cut_at])
    (tmp_path / "whole.tar").unlink()
    found = audited(tmp_path)
    (error,) = found["cut.tar"].errors
    assert "truncated or corrupt" in error and "download it again" in error
    (inner,) = found["cut.tar!/1"].errors
    assert inner.startswith("1/saved_model.pb (in the archive) is cut short")


def test_files_that_only_wear_an_archive_name(tmp_path: Path) -> None:
    (tmp_path / "page.tar.gz").write_bytes(b"<html><body>404 Not Found</body></html>")
    (tmp_path / "empty.tgz").write_bytes(b"")
    (tmp_path / "text.tar.gz").write_bytes(gzip.compress(b"not a tar at all\n" * 64))
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    found = audited(tmp_path)
    assert (
        "is named like a gzip-compressed tar but is not one (first bytes b'<html><b'"
        in (found["page.tar.gz"].errors[0])
    )
    assert "an empty file" in found["empty.tgz"].errors[0]
    assert found["text.tar.gz"].errors[0].startswith("is not a readable gzip-compressed tar")
    assert found["broken.zip"].errors[0].startswith("is not a readable zip archive")
    assert all(len(a.errors) == 1 for a in found.values())


def test_nested_archives_down_to_the_depth_cap(tmp_path: Path) -> None:
    inner = tar_with(tmp_path / "inner.tar", [("model.h5", H5.read_bytes())]).read_bytes()
    middle = tar_with(tmp_path / "middle.tar", [("inner.tar", inner)]).read_bytes()
    (tmp_path / "inner.tar").unlink()
    (tmp_path / "middle.tar").unlink()
    tar_with(tmp_path / "outer.tar.gz", [("inner.tar", inner)], mode="w:gz")
    tar_with(tmp_path / "deep.tar.gz", [("middle.tar", middle)], mode="w:gz")
    found = audited(tmp_path)
    assert found["outer.tar.gz!/inner.tar!/model.h5"].format == "keras-h5"
    assert found["outer.tar.gz!/inner.tar"].format == "archive"
    (error,) = found["deep.tar.gz!/middle.tar!/inner.tar"].errors
    assert "nested 3 deep" in error and "extract the outer archive" in error
    assert "deep.tar.gz!/middle.tar!/inner.tar!/model.h5" not in found


# --- the batch goes on, in workers too --------------------------------------------------------------


def test_command_line_one_line_per_bad_archive_and_the_rest_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from migrator.cli import main

    sagemaker_tarball(tmp_path / "good.tar.gz")
    (tmp_path / "bad.tar.gz").write_bytes(b"garbage")
    code = main(["audit", str(tmp_path), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2
    errors = captured.err.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("migrator: bad.tar.gz: is named like")
    assert "Traceback" not in captured.err
    assert '"path": "good.tar.gz!/1"' in captured.out


def test_workers_expand_archives_and_leave_no_staging_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from migrator.formats.archive import stage

    shm = tmp_path / "shm"  # where staging goes, inherited by the forked workers
    shm.mkdir()
    monkeypatch.setattr(stage, "_memory_backed", lambda: str(shm))
    store = tmp_path / "store"
    store.mkdir()
    sagemaker_tarball(store / "a.tar.gz")
    tar_with(store / "b.tar", [("model.h5", H5.read_bytes())])
    report = audit([store], judges=JUDGES, jobs=2)
    assert sorted(by_path(report)) == ["a.tar.gz", "a.tar.gz!/1", "b.tar", "b.tar!/model.h5"]
    assert not any(a.errors for a in report.artifacts)
    assert list(shm.iterdir()) == []


# --- convert: extraction and the plan (no TensorFlow; the conversions are in test_archives_tf) ----


def test_convert_extracts_only_safe_entries_under_out(tmp_path: Path) -> None:
    from migrator.convert.archives import FOLDER, unpack
    from migrator.discover import discover

    store = tmp_path / "store"
    store.mkdir()
    sagemaker_tarball(store / "good.tar.gz")
    tar_with(store / "evil.tar", [("../escaped.h5", b"x"), ("model.h5", H5.read_bytes())])
    out = tmp_path / "out"
    unpacked = unpack(discover(store).candidates, out)
    assert [c.rel for c in unpacked.candidates] == ["good.tar.gz!/1"]
    (error,) = unpacked.errors
    assert error.startswith("evil.tar: holds entries unsafe to extract (../escaped.h5")
    assert not (tmp_path / "escaped.h5").exists() and not (out / "escaped.h5").exists()
    (inner,) = unpacked.candidates
    assert inner.location.is_relative_to(out / FOLDER)
    assert digest(inner.location) == digest(SAVED_MODEL)  # the bytes the runtime will load
    unpacked.remove()
    assert not (out / FOLDER).exists()


def test_plan_lists_the_models_inside_an_archive(tmp_path: Path) -> None:
    from migrator.convert import Options
    from migrator.convert.plan import make_plan

    sagemaker_tarball(tmp_path / "model.tar.gz")
    plan = make_plan(tmp_path / "model.tar.gz", tmp_path / "out", Options())
    assert [a.path for a in plan.artifacts] == ["model.tar.gz!/1"]
    assert not (tmp_path / "out").exists()  # planning reads; it extracts nothing


def test_models_inside_archives_publish_under_the_archive_name(tmp_path: Path) -> None:
    """Every model of an archive goes under `<folders>/<archive file name>/`, laid out as in a
    tree (a TF Serving version folder or the archive's root names nothing more), never with the
    report's `!` in a segment; a real folder beside the archive cannot share its name. An
    archive given alone with one model inside is named by its stem, like a single file."""
    from migrator.convert import Convertible
    from migrator.convert.archives import archive_dir, unpack
    from migrator.convert.converter import model_dir
    from migrator.discover import discover

    store = tmp_path / "store"
    (store / "team" / "model").mkdir(parents=True)
    sagemaker_tarball(store / "team" / "model.tar.gz")
    shutil.copytree(SAVED_MODEL, store / "team" / "model" / "1")  # the same model, unpacked
    with tarfile.open(store / "export.tar.gz", "w:gz") as tar:
        add_tree(tar, SAVED_MODEL, "export/my_model")
    tar_with(store / "weights.tar", [("model.h5", H5.read_bytes()), ("b/c.h5", H5.read_bytes())])
    with tarfile.open(store / "module.tar.gz", "w:gz") as tar:
        add_tree(tar, SAVED_MODEL, ".")

    def dirs(root: Path, out: Path, single: bool) -> dict[str, str]:
        unpacked = unpack(discover(root).candidates, out)
        try:
            return {
                c.rel: model_dir(Convertible(c.location, c.rel, "saved-model", ()), single)
                for c in unpacked.candidates
            }
        finally:
            unpacked.remove()

    assert dirs(store, tmp_path / "out", single=False) == {
        "team/model.tar.gz!/1": "team/model.tar.gz",
        "team/model/1": "team/model",  # the real folder keeps its own
        "export.tar.gz!/export/my_model": "export.tar.gz/export/my_model",
        "weights.tar!/model.h5": "weights.tar/model",
        "weights.tar!/b/c.h5": "weights.tar/b/c",
        "module.tar.gz!/": "module.tar.gz",
    }
    assert dirs(store / "export.tar.gz", tmp_path / "out", single=True) == {
        "export.tar.gz!/export/my_model": "export",
    }
    assert archive_dir("team/model.tar.gz", single=False) == "team/model.tar.gz"
    assert archive_dir("model.tar.gz", single=True) == "model"


def test_staging_left_by_a_killed_worker_is_removed_by_the_next_read(tmp_path: Path) -> None:
    import subprocess
    import sys

    from migrator.formats.archive import stage

    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()  # reaped: its pid names no process now
    left = tmp_path / f"migrator-archive-{finished.pid}-abc"
    mine = tmp_path / f"migrator-archive-{os.getpid()}-def"
    other = tmp_path / "someone-else"
    for folder in (left, mine, other):
        folder.mkdir()
    stage._remove_stale(str(tmp_path))
    assert not left.exists() and mine.exists() and other.exists()
