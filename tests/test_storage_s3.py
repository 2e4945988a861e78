"""migrator against an S3-compatible server over HTTP: moto in server mode on loopback (as s3fs's
own tests run it), started here, with a counting proxy in front (tests/s3_server.py). migrator
reaches it the way a user reaches any S3-compatible store: s3fs, `AWS_ENDPOINT_URL` and the
usual credential variables; nothing in process is patched. Runs in `tox -e stores`; outside CI
the module skips when moto or s3fs is missing, in CI (CI set) it fails instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.stores

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "generated"
SHARED = ROOT.parent / "shared"
BIG = 512 << 20  # the ">= 500 MB artifact"


def _need(module: str) -> None:
    try:
        __import__(module)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is missing: tox -e stores installs it (CI must run these)")
        pytest.skip(f"{module} is not installed (pip install 'migrator[s3]' 'moto[server]')")


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    _need("s3fs")
    _need("moto.server")
    from tests.s3_server import running_s3

    with running_s3() as server:
        server.client().create_bucket(Bucket="models")
        yield server


def _migrator(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command line in a fresh process: real worker processes, each opening its own s3fs."""
    environ = {**os.environ, "MIGRATOR_JOBS": "2", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "migrator", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        timeout=900,
    )


def _seed(s3: Any, prefix: str, tree: Path) -> int:
    from tests.s3_server import upload_tree

    return upload_tree(s3.client(), "models", prefix, tree)


def _trees() -> list[tuple[str, Path]]:
    trees = [("corpus/tf215", CORPUS / "tf215"), ("corpus/tf221", CORPUS / "tf221")]
    trees += [(f"shared/{p.name}", p) for p in sorted(SHARED.glob("realworld*")) if p.is_dir()]
    return trees


@pytest.mark.parametrize(("prefix", "tree"), _trees(), ids=[p for p, _ in _trees()])
def test_audit_of_the_bucket_equals_the_audit_of_the_disk(s3: Any, prefix: str, tree: Path) -> None:
    _seed(s3, prefix, tree)
    local = _migrator("audit", str(tree), "--format", "json")
    remote = _migrator("audit", f"s3://models/{prefix}", "--format", "json")
    assert remote.returncode == local.returncode, remote.stderr
    left, right = json.loads(local.stdout), json.loads(remote.stdout)
    assert right["root"] == f"s3://models/{prefix}"
    assert len(right["artifacts"]) == len(left["artifacts"]) > 10
    left.pop("root"), right.pop("root")
    assert right == left
    assert "testing" not in remote.stdout + remote.stderr  # the secret key is never printed


def test_archives_in_the_bucket_are_audited_as_on_disk(s3: Any, tmp_path: Path) -> None:
    """Models, code rules, --exclude and member hashes inside archives read from a store: the
    JSON report and the CycloneDX hashes equal those of the same archives on disk."""
    from tests.test_archive_members import build_zip, source_tarball

    tree = tmp_path / "packed"
    source_tarball(tree / "source.tar.gz", [("code/vendor/old.py", b"import os\n")])
    build_zip(tree / "models.zip")
    _seed(s3, "packed", tree)
    args = ("--exclude", "vendor", "--exit-zero")
    local = _migrator("audit", str(tree), "--format", "json", *args)
    remote = _migrator("audit", "s3://models/packed", "--format", "json", *args)
    assert remote.returncode == local.returncode == 0, remote.stderr
    left, right = json.loads(local.stdout), json.loads(remote.stdout)
    left.pop("root"), right.pop("root")
    assert right == left
    assert [s["path"] for s in left["sources"]] == ["source.tar.gz!/code/train.py"]
    assert left["skipped"] == ["source.tar.gz!/code/vendor: excluded by the pattern 'vendor'"]

    def hashes(where: str) -> dict[str, object]:
        run = _migrator("audit", where, "--format", "cyclonedx", *args)
        bom = json.loads(run.stdout)
        return {c["name"]: c.get("hashes") for c in bom["components"]}

    on_disk, in_store = hashes(str(tree)), hashes("s3://models/packed")
    assert in_store == on_disk
    assert on_disk["models.zip!/sm"] and on_disk["models.zip!/model.h5"]


@pytest.fixture(scope="module")
def big_objects(s3: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """A >= 512 MiB .h5, .keras and SavedModel in the bucket: name -> bytes stored."""
    from tests.big_artifacts import big_h5, big_keras, big_savedmodel

    sizes = {}
    for name, build in (
        ("model.h5", big_h5),
        ("model.keras", big_keras),
        ("saved_model", big_savedmodel),
    ):
        folder = tmp_path_factory.mktemp("big")
        built = build(folder / name, BIG)
        _seed(s3, f"big/{name}", built) if built.is_dir() else s3.client().upload_file(
            str(built), "models", f"big/{name}"
        )
        sizes[name] = sum(p.stat().st_size for p in [built, *built.rglob("*")] if p.is_file())
        shutil.rmtree(folder)
    return sizes


@pytest.mark.parametrize("name", ["model.h5", "model.keras", "saved_model"])
def test_a_big_artifact_moves_under_one_percent_of_its_bytes(
    s3: Any, big_objects: dict[str, int], name: str
) -> None:
    s3.counts.reset()
    result = _migrator("audit", f"s3://models/big/{name}", "--format", "json")
    sent = s3.counts.under(f"models/big/{name}")
    assert big_objects[name] >= 500_000_000
    print(f"{name}: {sent} of {big_objects[name]} bytes ({100 * sent / big_objects[name]:.4f}%)")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["artifacts"] == 1 and report["errors"] == []
    assert report["artifacts"][0]["errors"] == []
    assert 0 < sent < big_objects[name] / 100, sent


def test_no_such_bucket_is_one_line(s3: Any) -> None:
    result = _migrator("audit", "s3://no-such-bucket-here/models")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("migrator: s3://no-such-bucket-here/models: ")
    assert "check the URL" in lines[0]


def test_access_denied_is_one_line(s3: Any) -> None:
    s3.client().create_bucket(Bucket="locked")
    s3.deny("locked")
    result = _migrator("audit", "s3://locked/models")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("migrator: s3://locked/models: access denied by the store")
    assert "testing" not in result.stderr


def test_unknown_protocol_is_one_line() -> None:
    result = _migrator("audit", "nosuch://bucket/models")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "migrator: nosuch://bucket/models: unknown storage protocol nosuch://; give a local "
        "path or an fsspec URL (s3://, gs://, az://, file://)"
    ]


def _etags(s3: Any, prefix: str) -> dict[str, str]:
    listed = s3.client().list_objects_v2(Bucket="models", Prefix=prefix)
    return {o["Key"]: o["ETag"] for o in listed.get("Contents", [])}


def _runtimes() -> dict[str, str]:
    found = {
        name: os.environ.get(f"MIGRATOR_RUNTIME_{name.upper()}", "") for name in ("tf215", "tf221")
    }
    missing = [n for n, p in found.items() if not p or not Path(p).is_file()]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"runtimes {missing} missing: .ci/run creates the tox TF envs first")
        pytest.skip(f"no runtime for {missing} (set MIGRATOR_RUNTIME_TF215/TF221)")
    return found


def test_conversion_from_bucket_to_bucket(s3: Any, tmp_path: Path) -> None:
    _runtimes()
    source = CORPUS / "tf215" / "keras" / "sequential"
    prefix = "legacy/sequential"
    for name in ("save-h5", "weights-weights-h5"):
        _seed(s3, f"{prefix}/{name}", source / name)
    before = _etags(s3, "legacy/")
    env = {"MIGRATOR_STORE_CACHE": str(tmp_path / "cache")}
    result = _migrator(
        "convert", f"s3://models/{prefix}", "-o", "s3://models/current", "--json", env=env
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["root"] == f"s3://models/{prefix}" and report["out"] == "s3://models/current"
    converted = {c["path"]: c for c in report["converted"]}
    assert "save-h5/model.h5" in converted
    output = converted["save-h5/model.h5"]["outputs"][0]
    assert output["path"].startswith("s3://models/current/") and output["version"] == "v1"
    assert output["max_abs_diff"] <= 1e-5
    key = output["path"].removeprefix("s3://models/")
    client = s3.client()
    meta = json.loads(client.get_object(Bucket="models", Key=f"{key}/metadata.json")["Body"].read())
    assert meta["source"]["path"] == f"s3://models/{prefix}/save-h5/model.h5"
    assert meta["version"] == "v1" and meta["validation"]
    for entry in meta["files"]:  # what the store holds is what was validated
        body = client.get_object(Bucket="models", Key=f"{key}/{entry['path']}")["Body"].read()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
    assert _etags(s3, "legacy/") == before  # the sources were only read
    assert not [k for k in _etags(s3, "current/") if ".migrator-" in k]  # no temporary keys
    published = _etags(s3, "current/")
    again = _migrator(
        "convert", f"s3://models/{prefix}", "-o", "s3://models/current", "--json", env=env
    )
    assert again.returncode == 0, again.stderr
    assert _etags(s3, "current/") == published  # a rerun publishes nothing twice
    status = _migrator("convert", "--status", "s3://models/current", env=env)
    assert status.returncode == 0 and "converted" in status.stdout
