"""A conversion task on a cluster node uses nothing of the driver's folders
(migrator/backends/node_convert.py): the parts that decide that, without Ray or TensorFlow.
The whole conversion on a real two-node cluster over an S3 server: tests/test_ray.py."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pytest

fsspec = pytest.importorskip("fsspec", reason="fsspec is installed by the test extra")

from migrator.backends import node_convert  # noqa: E402
from migrator.convert import Convertible, Options  # noqa: E402
from migrator.convert.ledger import FILENAME  # noqa: E402
from migrator.storage import location  # noqa: E402

DRIVER = "/driver/cache/src/run-1-abcdef123456"


def _job(tmp_path: Path, files: tuple = (), out_root: Path | None = None) -> node_convert.NodeJob:
    source = Convertible(
        location=Path(f"{DRIVER}/team/model.h5"),
        rel="team/model.h5",
        format="keras_h5",
        kinds=("keras-h5",),
        architecture=Path(f"{DRIVER}/team/arch.json"),
        facts={"source_url": "memory://bucket/legacy/team/model.h5", "other": f"{DRIVER}/x"},
    )
    return node_convert.NodeJob(
        source,
        files,
        DRIVER if files else "",
        "memory://bucket/legacy/team/model.h5",
        None,
        str(out_root or tmp_path / "out"),
        False,
        "store:key",
    )


def test_the_source_moves_to_the_node_folder_and_keeps_its_url() -> None:
    job = _job(Path("/unused"), files=((None, "team/model.h5"),))
    moved = node_convert.on_node(job.source, DRIVER, "/node/tmp/migrator-src-1")
    assert moved.location == Path("/node/tmp/migrator-src-1/team/model.h5")
    assert moved.architecture == Path("/node/tmp/migrator-src-1/team/arch.json")
    assert moved.facts["other"] == "/node/tmp/migrator-src-1/x"
    assert moved.facts["source_url"] == "memory://bucket/legacy/team/model.h5"  # a URL stays
    assert node_convert.on_node(job.source, "", "/node") == job.source  # a local source stays


def test_objects_are_fetched_into_the_node_temp_folder_and_removed_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = b"\x89HDF\r\n\x1a\n" + b"weights" * 100
    store = fsspec.filesystem("memory")
    store.pipe_file("/nodebucket/legacy/team/model.h5", body)
    store.pipe_file("/nodebucket/legacy/team/arch.json", b"{}")
    node_tmp = tmp_path / "node-tmp"
    node_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(node_tmp))
    root = location("memory://nodebucket/legacy")
    files = ((root / "team/model.h5", "team/model.h5"), (root / "team/arch.json", "team/arch.json"))
    job = _job(tmp_path, files=files)
    with node_convert.fetched(job, Options()) as (source, sha):
        assert node_tmp in source.location.parents
        assert source.location.read_bytes() == body
        assert source.architecture.read_bytes() == b"{}"
        assert sha == hashlib.sha256(body).hexdigest()
    assert list(node_tmp.iterdir()) == []


def test_a_local_output_folder_the_node_does_not_see_is_one_line(tmp_path: Path) -> None:
    elsewhere = tmp_path / "driver-only" / "out"
    why = node_convert._outside(_job(tmp_path, out_root=elsewhere))
    assert why is not None and str(elsewhere) in why and "shared" in why and "s3://" in why
    elsewhere.mkdir(parents=True)
    (elsewhere / FILENAME).write_bytes(b"")  # the driver's ledger: the same folder here
    assert node_convert._outside(_job(tmp_path, out_root=elsewhere)) is None


def test_a_task_whose_node_does_not_see_out_is_lost_not_failed(tmp_path: Path) -> None:
    """Not the model's doing: the driver raises TaskLost from it, so the ledger leaves the
    source unfinished and the next run (on nodes that see OUT) converts it."""
    version, result = node_convert.convert_one(
        _job(tmp_path, out_root=tmp_path / "nowhere"), Options()
    )
    assert isinstance(result, node_convert.Lost), result
    assert "not on this Ray node" in result.problem
    assert not (tmp_path / "nowhere").exists()  # nothing converted into a folder of its own
