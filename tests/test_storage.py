"""The storage layer without a server: fsspec's in-memory filesystem is a real store driver, so
these run in the core suite. The same behaviour over S3's HTTP API: test_storage_s3.py."""

from __future__ import annotations

import hashlib
import json
import pickle
from functools import partial
from pathlib import Path
from typing import Any

import pytest

fsspec = pytest.importorskip("fsspec", reason="fsspec is installed by the test extra")
from fsspec.implementations.memory import MemoryFileSystem  # noqa: E402

from migrator.audit import audit  # noqa: E402
from migrator.cli import main  # noqa: E402
from migrator.storage import (  # noqa: E402
    StorePath,
    location,
    publish,  # noqa: E402
)
from migrator.storage.ranges import RangedFile, RangeView  # noqa: E402
from tests.big_artifacts import big_h5, big_keras, big_savedmodel  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "generated" / "tf215"


class CountingMemory(MemoryFileSystem):
    """The in-memory store, counting the bytes each object hands out (the store's side)."""

    protocol = "countmem"
    sent: dict[str, int] = {}

    def cat_file(self, path: str, start: int | None = None, end: int | None = None, **kw: Any):
        data = super().cat_file(path, start=start, end=end, **kw)
        key = self._strip_protocol(path)
        CountingMemory.sent[key] = CountingMemory.sent.get(key, 0) + len(data)
        return data


fsspec.register_implementation("countmem", CountingMemory, clobber=True)


def _upload(tree: Path, url: str) -> None:
    store = fsspec.filesystem(url.split("://")[0])
    base = url.split("://", 1)[1]
    for path in sorted(tree.rglob("*")):
        if path.is_file():
            store.pipe_file(f"{base}/{path.relative_to(tree).as_posix()}", path.read_bytes())


@pytest.fixture(scope="module")
def corpus_in_memory() -> str:
    url = "memory://corpus-bucket/tf215"
    _upload(CORPUS, url)
    return url


def test_urls_keep_their_protocol_and_local_text_stays_a_path() -> None:
    url = location("s3://bucket/models/a.h5")
    assert isinstance(url, StorePath) and str(url) == "s3://bucket/models/a.h5"
    assert (url.name, url.suffix, str(url.parent)) == ("a.h5", ".h5", "s3://bucket/models")
    assert str(url.parent / "b" / "c.keras") == "s3://bucket/models/b/c.keras"
    assert (url.parent / "x/y").relative_to(url.parent) == "x/y"
    assert [str(p) for p in url.parents] == ["s3://bucket/models", "s3://bucket"]
    assert location("file:///tmp/x.h5") == Path("/tmp/x.h5")
    assert location("models/x.h5") == Path("models/x.h5")
    again = pickle.loads(pickle.dumps(url))
    assert again == url and str(again) == str(url)


def test_store_paths_cannot_reach_os_calls() -> None:
    """No __fspath__: code that would hand a URL to open()/os fails instead of reading a
    local file of the same name."""
    with pytest.raises(TypeError):
        open(location("memory://bucket/x"), "rb")  # noqa: SIM115


def test_ranged_reads_return_the_object_bytes() -> None:
    data = bytes(range(256)) * 4096 + b"tail"  # 1 MiB + 4: blocks and a short last block
    fsspec.filesystem("memory").pipe_file("/ranges/blob", data)
    path = location("memory://ranges/blob")
    view = RangeView(path)
    assert len(view) == len(data)
    for a, b in ((0, 1), (65530, 65546), (len(data) - 10, len(data) + 5), (5, 5), (0, len(data))):
        assert view[a:b] == data[a:b]
    assert view[-1] == data[-1] and view[70000] == data[70000]
    fh = RangedFile(path, len(data))
    fh.seek(131070)
    assert fh.read(10) == data[131070:131080]
    fh.seek(-4, 2)
    assert fh.read() == b"tail"
    assert path.read_bytes() == data


def test_audit_of_a_store_equals_the_audit_of_the_disk(corpus_in_memory: str) -> None:
    from migrator import loadability

    local = audit([CORPUS], judges=[loadability.judge]).to_json()
    stored = audit([corpus_in_memory], judges=[loadability.judge]).to_json()
    assert stored["root"] == corpus_in_memory and local["root"] == CORPUS.as_posix()
    assert len(stored["artifacts"]) == len(local["artifacts"]) > 40
    local.pop("root"), stored.pop("root")
    assert stored == local


def test_cli_audit_of_a_url_reports_paths_relative_to_it(
    corpus_in_memory: str, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    url = f"{corpus_in_memory}/keras/lambda"
    assert main(["audit", url, "-o", str(out)]) == 1  # Lambda bytecode runs on load, as on disk
    report = json.loads(out.read_text())
    assert report["root"] == url and report["errors"] == []
    paths = [a["path"] for a in report["artifacts"]]
    assert "save-h5/model.h5" in paths and not any("://" in p for p in paths)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nosuch://bucket/models", "unknown storage protocol nosuch://"),
        ("memory://no-such-bucket/models", "no such bucket, object or prefix"),
    ],
)
def test_bad_urls_are_one_line_and_exit_2(
    url: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"migrator: {url}: ") and expected in err[0]


def test_a_missing_extra_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    if importlib.util.find_spec("adlfs") is not None:
        pytest.skip("adlfs is installed here: no missing extra to report")
    assert main(["inspect", "az://container/model.h5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "migrator: az://container/model.h5: reading az:// needs adlfs; install it with: "
        "pip install 'migrator[azure]'"
    ]


@pytest.mark.parametrize("build", [big_h5, big_keras, big_savedmodel])
def test_a_big_artifact_moves_under_one_percent_of_its_bytes(build: Any, tmp_path: Path) -> None:
    size = 32 << 20  # the S3 tests build 512 MiB ones
    name = {"big_h5": "model.h5", "big_keras": "model.keras"}.get(build.__name__, "saved_model")
    built = build(tmp_path / name, size)
    _upload(tmp_path, f"countmem://big-bucket/{tmp_path.name}")
    local = audit([built]).to_json()
    CountingMemory.sent.clear()
    stored = audit([f"countmem://big-bucket/{tmp_path.name}/{name}"]).to_json()
    total = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
    sent = sum(CountingMemory.sent.values())
    assert total >= size
    assert 0 < sent < total / 100, (sent, total)
    assert stored["artifacts"][0]["errors"] == local["artifacts"][0]["errors"] == []
    assert stored["artifacts"][0]["details"] == local["artifacts"][0]["details"]


def _version(tmp_path: Path, sha: str, payload: bytes) -> Path:
    folder = tmp_path / sha
    folder.mkdir()
    (folder / "model.keras").write_bytes(payload)
    meta = {"version": "v1", "source": {"sha256": sha, "path": "/local/stage"}, "files": []}
    (folder / "metadata.json").write_text(json.dumps(meta))
    return folder


def test_publishing_never_overwrites_and_never_publishes_twice(tmp_path: Path) -> None:
    store = fsspec.filesystem("memory")
    out = location("memory://pub-bucket/out")
    store.pipe_file("/pub-bucket/out/m/keras/v1/metadata.json", b'{"source": {"sha256": "x"}}')
    store.pipe_file("/pub-bucket/out/m/keras/v1/model.keras", b"someone else's")
    store.pipe_file("/pub-bucket/out/m/keras/v2/.migrator-claim", b"")  # a writer holds v2
    first = publish.publish_version(
        _version(tmp_path, "aaa", b"A"), out, "m", "keras", "s3://src/a.h5"
    )
    assert str(first) == "memory://pub-bucket/out/m/keras/v3"
    assert store.cat_file("/pub-bucket/out/m/keras/v1/model.keras") == b"someone else's"
    assert store.cat_file("/pub-bucket/out/m/keras/v3/model.keras") == b"A"
    meta = json.loads(store.cat_file("/pub-bucket/out/m/keras/v3/metadata.json"))
    assert meta["version"] == "v3" and meta["source"]["path"] == "s3://src/a.h5"
    (tmp_path / "again").mkdir()
    again_local = _version(tmp_path / "again", "aaa", b"A")
    again = publish.publish_version(again_local, out, "m", "keras", "s3://src/a.h5")
    assert again == first  # the same source bytes and path: found, not published twice
    other = publish.publish_version(
        _version(tmp_path, "bbb", b"B"), out, "m", "keras", "s3://src/b.h5"
    )
    assert str(other) == "memory://pub-bucket/out/m/keras/v4"
    leftovers = [p for p in store.find("/pub-bucket/out") if ".migrator-" in p]
    assert leftovers == ["/pub-bucket/out/m/keras/v2/.migrator-claim"]  # only the other writer's


def test_a_plan_of_a_url_is_the_plan_of_the_same_files_on_disk(
    corpus_in_memory: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plans = []
    for where in (CORPUS / "keras" / "sequential", f"{corpus_in_memory}/keras/sequential"):
        args = ["convert", str(where), "-o", str(tmp_path / "out"), "--plan", "--format", "json"]
        assert main(args) == 0
        plans.append(json.loads(capsys.readouterr().out))
    assert plans[1]["root"] == f"{corpus_in_memory}/keras/sequential"
    assert len(plans[0]["artifacts"]) > 5
    plans[0].pop("root"), plans[1].pop("root")
    assert plans[1] == plans[0]


def test_every_report_format_renders_a_store_audit(corpus_in_memory: str) -> None:
    from migrator import loadability
    from migrator.report import RENDERERS, renderer
    from migrator.rules import check_artifact
    from migrator.rules.config import Config

    url = f"{corpus_in_memory}/keras/lambda"
    report = audit([url], judges=[loadability.judge, partial(check_artifact, config=Config())])
    assert report.artifacts and not report.has_errors
    for fmt in RENDERERS:
        text = renderer(fmt)(report)
        assert text, fmt
        if fmt == "concise":  # findings point at the objects by URL
            assert f"{url}/save-h5/model.h5:1:1: MIG301" in text
        if fmt == "github":  # the same URL, ':' escaped as workflow command properties need
            assert f"file={url.replace(':', '%3A')}/save-h5/model.h5," in text
        if fmt == "sarif":
            assert f'"uri": "{url}/save-h5/model.h5"' in text
        if fmt == "cyclonedx":  # small objects are hashed in the store, as files on disk
            local = (CORPUS / "keras" / "lambda" / "save-h5" / "model.h5").read_bytes()
            assert hashlib.sha256(local).hexdigest() in text and "cannot stat" not in text


def test_a_report_can_be_written_to_a_store(corpus_in_memory: str) -> None:
    url = "memory://reports-bucket/audits/lambda.json"
    assert main(["audit", f"{corpus_in_memory}/keras/lambda", "-o", url]) == 1
    report = json.loads(fsspec.filesystem("memory").cat_file("/reports-bucket/audits/lambda.json"))
    assert report["root"] == f"{corpus_in_memory}/keras/lambda" and report["artifacts"]


def test_staging_keys_of_dead_uploads_are_removed_a_day_later(tmp_path: Path) -> None:
    import time

    store = fsspec.filesystem("memory")
    dead = f"{int(time.time()) - 2 * 86400}-{'a' * 32}"
    alive = f"{int(time.time()) - 60}-{'b' * 32}"
    for name in (dead, alive):
        store.pipe_file(f"/stale-bucket/out/.migrator-staging/{name}/model.keras", b"x")
    out = location("memory://stale-bucket/out")
    version = publish.publish_version(
        _version(tmp_path, "ccc", b"C"), out, "m", "keras", "s3://src/c.h5"
    )
    assert str(version) == "memory://stale-bucket/out/m/keras/v1"
    left = sorted(p.split("/")[4] for p in store.find("/stale-bucket/out/.migrator-staging"))
    assert left == [alive]  # another run may still be uploading that one
