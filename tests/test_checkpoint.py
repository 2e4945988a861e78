"""TensorFlow checkpoints and SessionBundle exports: real artifacts, and tables built byte by byte.

The writer below follows TensorFlow's table format (core/lib/io/table_builder.cc) independently of
the reader; it was checked once against `tf.train.list_variables` (TF 2.21), which reads its
bundles, so the malformed cases below start from files TensorFlow itself accepts.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import pytest

from migrator.audit import audit
from migrator.formats import checkpoint, protos, sstable
from tests.conftest import realworld_entry

MAGIC = 0xDB4775248B80FB57


# --- a minimal table / bundle writer (test side) ------------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _masked(data: bytes) -> int:
    crc = _crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def _block(items: list[tuple[bytes, bytes]]) -> bytes:
    """Entries with prefix sharing against the previous key, restart every 16 (as TF does)."""
    out = bytearray()
    restarts = []
    previous = b""
    for i, (key, value) in enumerate(items):
        if i % 16 == 0:
            restarts.append(len(out))
            shared = 0
        else:
            shared = 0
            while shared < min(len(key), len(previous)) and key[shared] == previous[shared]:
                shared += 1
        out += _varint(shared) + _varint(len(key) - shared) + _varint(len(value))
        out += key[shared:] + value
        previous = key
    if not restarts:
        restarts = [0]
    for r in restarts:
        out += struct.pack("<I", r)
    out += struct.pack("<I", len(restarts))
    return bytes(out)


def _emit(out: bytearray, contents: bytes, kind: int = 0) -> tuple[int, int]:
    offset = len(out)
    out += contents + bytes([kind]) + struct.pack("<I", _masked(contents + bytes([kind])))
    return offset, len(contents)


def write_table(path: Path, items: list[tuple[bytes, bytes]], per_block: int = 1000) -> None:
    out = bytearray()
    index_items = []
    for start in range(0, max(len(items), 1), per_block):
        chunk = items[start : start + per_block]
        if not chunk:
            break
        offset, size = _emit(out, _block(chunk))
        index_items.append((chunk[-1][0], _varint(offset) + _varint(size)))
    meta_offset, meta_size = _emit(out, _block([]))
    index_offset, index_size = _emit(out, _block(index_items))
    footer = _varint(meta_offset) + _varint(meta_size) + _varint(index_offset) + _varint(index_size)
    footer = footer.ljust(40, b"\0") + struct.pack("<II", MAGIC & 0xFFFFFFFF, MAGIC >> 32)
    path.write_bytes(bytes(out) + footer)


def _proto(message: str, **fields) -> object:
    return protos.message_class(message)(**fields)


def _shape(*dims: int) -> object:
    return _proto("TensorShapeProto", dim=[_proto("TensorShapeProto.Dim", size=d) for d in dims])


def write_bundle(
    folder: Path,
    prefix: str,
    tensors: dict[str, tuple[int, tuple[int, ...]]],
    *,
    num_shards: int = 1,
    extra: dict[str, bytes] | None = None,
    write_data: bool = True,
) -> dict[str, tuple[int, int]]:
    """A V2 bundle: float/int tensors get zero bytes, `extra` string tensors their content.

    Returns {name: (offset, size)} of every entry in shard 0.
    """
    folder.mkdir(parents=True, exist_ok=True)
    data = bytearray()
    entries = []
    placed = {}
    for name, (dtype, dims) in sorted(tensors.items()):
        count = 1
        for d in dims:
            count *= d
        size = count * (8 if dtype in (2, 9) else 4)
        entry = _proto(
            "BundleEntryProto",
            dtype=dtype,
            shape=_shape(*dims),
            shard_id=0,
            offset=len(data),
            size=size,
            crc32c=_masked(bytes(size)),
        )
        placed[name] = (len(data), size)
        data += bytes(size)
        entries.append((name.encode(), entry.SerializeToString()))
    for name, content in sorted((extra or {}).items()):
        # A scalar string tensor: varint length, masked CRC32C of the length (as uint32), bytes;
        # the entry's checksum covers the uint32 length, that masked CRC and the bytes.
        length_crc = struct.pack("<I", _masked(struct.pack("<I", len(content))))
        blob = _varint(len(content)) + length_crc + content
        entry = _proto(
            "BundleEntryProto",
            dtype=7,
            shape=_shape(),
            shard_id=0,
            offset=len(data),
            size=len(blob),
            crc32c=_masked(struct.pack("<I", len(content)) + length_crc + content),
        )
        placed[name] = (len(data), len(blob))
        data += blob
        entries.append((name.encode(), entry.SerializeToString()))
    header = _proto(
        "BundleHeaderProto", num_shards=num_shards, version=_proto("VersionDef", producer=1)
    )
    items = [(b"", header.SerializeToString()), *sorted(entries)]
    write_table(folder / f"{prefix}.index", items)
    if write_data:
        (folder / f"{prefix}.data-00000-of-{num_shards:05d}").write_bytes(bytes(data))
    return placed


def write_v1(path: Path, tensors: dict[str, tuple[int, tuple[int, ...]]]) -> None:
    """A V1 (SavedTensorSlices) checkpoint file: the table of contents plus one fake data record."""
    meta = _proto(
        "SavedTensorSliceMeta",
        tensor=[
            _proto(
                "SavedSliceMeta",
                name=n,
                shape=_shape(*dims),
                type=dtype,
                slice=[
                    _proto(
                        "TensorSliceProto", extent=[_proto("TensorSliceProto.Extent")] * len(dims)
                    )
                ],
            )
            for n, (dtype, dims) in sorted(tensors.items())
        ],
        versions=_proto("VersionDef", producer=1),
    )
    toc = _proto("SavedTensorSlices", meta=meta).SerializeToString()
    # The data records' keys start with \x00 (OrderedCode); their content is never read.
    items = [(b"", toc)] + [
        (b"\x00" + n.encode() + b"\x00\x01", b"\x12\x00") for n in sorted(tensors)
    ]
    write_table(path, items)


def meta_graph_bytes(tf_version: str = "1.15.0", collections: dict | None = None) -> bytes:
    nodes = [
        _proto("NodeDef", name=n, op=o)
        for n, o in [
            ("w", "VariableV2"),
            ("save/SaveV2", "SaveV2"),
            ("save/RestoreV2", "RestoreV2"),
        ]
    ]
    meta = _proto(
        "MetaGraphDef",
        meta_info_def=_proto(
            "MetaGraphDef.MetaInfoDef",
            tensorflow_version=tf_version,
            tensorflow_git_version="v" + tf_version,
        ),
        graph_def=_proto("GraphDef", node=nodes),
        saver_def=_proto("SaverDef", version=2),
    )
    for key, value in (collections or {}).items():
        meta.collection_def[key].CopyFrom(value)
    return meta.SerializeToString()


def _by_path(report) -> dict:
    return {a["path"]: a for a in report.to_json()["artifacts"]}


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _audit_one(folder: Path) -> dict:
    before = _digest(folder)
    report = audit([folder])
    assert _digest(folder) == before, "auditing must never modify the source"
    artifacts = report.to_json()["artifacts"]
    assert len(artifacts) == 1, artifacts
    return artifacts[0]


# --- real artifacts ------------------------------------------------------------------------------


def test_daviesx_tf15_saver_v2_with_meta_and_adam_slots() -> None:
    root = realworld_entry("daviesx_tf15_ckpt_v2")
    art = _audit_one(root)
    assert art["path"] == "fc2.ckpt"
    assert art["format"] == "tf-checkpoint"
    assert art["errors"] == []
    assert art["producer"] == {"tensorflow_version": "1.5.0"}
    d = art["details"]
    assert d["checkpoint_format"] == "V2"
    assert d["kind"] == "name-based"
    assert d["keras_save_weights"] is False
    assert d["optimizer_slots"] is True  # h1/w/Adam, h1/w/Adam_1 ...
    assert d["meta_graph"]["tensorflow_git_version"] == "v1.5.0-0-g37aa430d84"
    assert {"VariableV2", "ApplyAdam", "SaveV2", "RestoreV2"} <= set(d["meta_graph"]["ops"])
    assert d["meta_graph"]["saver_version"] == "V2"
    assert d["num_shards"] == 1 and d["missing"] == []
    assert d["data_shards_present"] == ["fc2.ckpt.data-00000-of-00001"]
    names = {t["name"] for t in d["tensors"]}
    assert {"h1/w", "h1/w/Adam", "h1/w/Adam_1", "global_step"} <= names
    # Every tensor here is 4 bytes per element (float32, and the int32 global_step), and the data
    # shard holds nothing else: its size says how many elements the index must describe.
    shard = root / "fc2.ckpt.data-00000-of-00001"
    assert d["parameter_count"] * 4 == shard.stat().st_size
    assert d["state"]["model_checkpoint_path"] == "fc2.ckpt"
    assert d["state"]["points_here"] is True and d["state"]["dangling"] == []
    assert sorted(Path(f).name for f in audit([root]).artifacts[0].files) == [
        "checkpoint",
        "fc2.ckpt.data-00000-of-00001",
        "fc2.ckpt.index",
        "fc2.ckpt.meta",
    ]


def test_tfx_estimator_dir_dangling_state_entries_are_details_not_errors() -> None:
    root = realworld_entry("tfx_estimator_model_dir_ckpt")
    art = _audit_one(root)
    assert art["path"] == "model.ckpt-1000" and art["format"] == "tf-checkpoint"
    assert art["errors"] == []
    assert art["producer"]["tensorflow_version"].startswith("2.9.0-dev")
    state = art["details"]["state"]
    assert state["model_checkpoint_path"] == "model.ckpt-1000"
    assert state["all_model_checkpoint_paths"] == [
        "model.ckpt-0",
        "model.ckpt-999",
        "model.ckpt-1000",
    ]
    assert state["dangling"] == ["model.ckpt-0", "model.ckpt-999"]
    assert state["absolute_paths"] is False and state["points_here"] is True
    assert art["details"]["optimizer_slots"] is True  # Adagrad accumulators, Ftrl linear slots


def test_dl4j_absolute_state_path_from_another_machine() -> None:
    root = realworld_entry("dl4j_tf_ckpt_abs_path_simple_graph")
    arts = _by_path(audit([root]))
    art = arts["simple_graph/data-all-1000"]
    assert art["format"] == "tf-checkpoint" and art["errors"] == []
    meta = (root / "simple_graph" / "data-all-1000.meta").read_bytes()
    assert art["producer"]["tensorflow_version"].encode() in meta
    state = art["details"]["state"]
    path = "/home/agibsonccc/pbdirs/simple_graph/data-all-1000"
    assert state["model_checkpoint_path"] == path
    assert state["absolute_paths"] is True
    assert state["points_here"] is False and state["points_here_by_name"] is True
    assert state["dangling"] == [path]
    # One float32 tensor; the 16-byte shard holds 4 elements.
    assert art["details"]["tensors"] == [{"name": "Variable", "dtype": "DT_FLOAT", "shape": [4]}]
    assert (root / "simple_graph" / "data-all-1000.data-00000-of-00001").stat().st_size == 16


def test_zhou_keras_save_weights_tf_format() -> None:
    root = realworld_entry("zhou_tfkeras_tf110_save_weights_tf_format")
    art = _audit_one(root)
    assert art["path"] == "checkpoints/my_checkpoint" and art["format"] == "tf-checkpoint"
    assert art["errors"] == [] and art["producer"] == {}
    d = art["details"]
    assert d["kind"] == "object-based" and d["keras_save_weights"] is True
    names = {t["name"] for t in d["tensors"]}
    index = (root / "checkpoints" / "my_checkpoint.index").read_bytes()
    # MANIFEST evidence: these strings are in the index bytes (keys are prefix-compressed, so
    # only fragments appear verbatim); the reader must rebuild full keys that end with them.
    for fragment in (
        "_CHECKPOINTABLE_OBJECT_GRAPH",
        ".ATTRIBUTES/OBJECT_CONFIG_JSON",
        "kernel/.ATTRIBUTES/VARIABLE_VALUE",
    ):
        assert fragment.encode() in index
        assert any(name.endswith(fragment) for name in names)
    assert "_CHECKPOINTABLE_OBJECT_GRAPH" in names
    assert "layer-0/.ATTRIBUTES/OBJECT_CONFIG_JSON" in names
    kernel = next(
        t for t in d["tensors"] if t["name"].endswith("kernel/.ATTRIBUTES/VARIABLE_VALUE")
    )
    assert kernel["shape"] == [784, 512] and kernel["dtype"] == "DT_FLOAT"
    assert d["parameter_count"] == 784 * 512 + 512 + 512 * 10 + 10
    assert d["object_graph"]["root_children"][:2] == ["layer-0", "layer-1"]
    assert d["root_kind"] == "save_weights"
    assert d["state"]["model_checkpoint_path"] == "my_checkpoint"


def test_hng_subclassed_save_weights_matches_the_h5_of_the_same_network() -> None:
    h5py = pytest.importorskip("h5py")
    root = realworld_entry("hng_tfk270_subclassed_weights_h5_and_tfckpt")
    arts = _by_path(audit([root]))
    art = arts["actor_150"]
    assert art["format"] == "tf-checkpoint" and art["errors"] == []
    d = art["details"]
    assert d["kind"] == "object-based" and d["keras_save_weights"] is True
    assert d["object_graph"]["root_children"] == ["linear_1", "linear_2", "linear_3"]
    assert d["root_kind"] == "save_weights"
    kernels = [
        t["shape"] for t in d["tensors"] if t["name"].endswith("kernel/.ATTRIBUTES/VARIABLE_VALUE")
    ]
    with h5py.File(root / "h5" / "actor_75.h5", "r") as h5:  # dataset shapes only
        h5_kernels = []
        h5.visititems(
            lambda name, obj: (
                h5_kernels.append(list(obj.shape))
                if isinstance(obj, h5py.Dataset) and "kernel" in name
                else None
            )
        )
    assert sorted(kernels) == sorted(h5_kernels)
    assert d["state"]["model_checkpoint_path"] == "actor_150"
    assert arts["h5/actor_75.h5"]["format"] != "tf-checkpoint"


def test_serving_bad_sessionbundle_without_signatures() -> None:
    root = realworld_entry("serving_bad_hp2_sessionbundle")
    art = _audit_one(root)
    assert art["path"] == "bad_half_plus_two/00000123"
    assert art["format"] == "session-bundle"
    assert len(art["errors"]) == 1 and "serving_signatures" in art["errors"][0]
    d = art["details"]
    assert d["checkpoint_format"] == "V1" and d["prefix"] == "export"
    assert [t["name"] for t in d["tensors"]] == ["Variable", "Variable_1"]
    assert d["signatures"] is None
    assert d["meta_graph"]["tensorflow_version"] == ""  # 2016: not recorded yet
    assert "Variable" in d["meta_graph"]["ops"]
    assert d["state"]["dangling"] == ["/tmp/bad_half_plus_two/00000123/export"]
    assert d["layout"]["version_folder"] == "00000123"


# --- generated bundles ---------------------------------------------------------------------------


def test_generated_bundle_round_trip(tmp_path: Path) -> None:
    write_bundle(tmp_path, "model.ckpt-5", {"dense/kernel": (1, (3, 4)), "step": (9, ())})
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-5"\n')
    art = _audit_one(tmp_path)
    assert art["path"] == "model.ckpt-5" and art["errors"] == []
    d = art["details"]
    assert d["tensors"] == [
        {"name": "dense/kernel", "dtype": "DT_FLOAT", "shape": [3, 4]},
        {"name": "step", "dtype": "DT_INT64", "shape": []},
    ]
    assert d["parameter_count"] == 13 and d["tensor_count"] == 2
    assert d["optimizer_slots"] is False and d["kind"] == "name-based"
    assert d["root_kind"] is None


def test_object_graph_is_read_and_capped(tmp_path: Path, monkeypatch) -> None:
    graph = protos.message_class("TrackableObjectGraph")()
    root = graph.nodes.add()
    for i, name in enumerate(["model", "save_counter"]):
        root.children.add(node_id=i + 1, local_name=name)
        graph.nodes.add()
    graph.nodes[1].slot_variables.add(
        original_variable_node_id=1, slot_name="m", slot_variable_node_id=2
    )
    write_bundle(
        tmp_path / "a",
        "ckpt-1",
        {"model/w/.ATTRIBUTES/VARIABLE_VALUE": (1, (2,))},
        extra={"_CHECKPOINTABLE_OBJECT_GRAPH": graph.SerializeToString()},
    )
    d = _audit_one(tmp_path / "a")["details"]
    assert d["kind"] == "object-based"
    assert d["object_graph"] == {
        "nodes": 3,
        "root_children": ["model", "save_counter"],
        "slot_variables": 1,
        "registered_savers": [],
    }
    assert d["keras_save_weights"] is False  # tf.train.Checkpoint: save_counter at the root
    assert d["root_kind"] == "tf.train.Checkpoint"
    assert d["optimizer_slots"] is True
    monkeypatch.setattr(checkpoint.v2, "MAX_OBJECT_GRAPH_BYTES", 8)
    d = _audit_one(tmp_path / "a")["details"]
    assert "limit" in d["object_graph"]["skipped"]


def _object_graph(root_children: list[str]) -> bytes:
    graph = protos.message_class("TrackableObjectGraph")()
    root = graph.nodes.add()
    for i, name in enumerate(root_children):
        root.children.add(node_id=i + 1, local_name=name)
        graph.nodes.add()
    return graph.SerializeToString()


def test_checkpoint_of_a_keras_model_is_told_from_save_weights(tmp_path: Path) -> None:
    """tf.train.Checkpoint(model=keras_model) has Keras keys too, but its root is the Checkpoint."""
    keras_keys = {
        "model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE": (1, (3, 2)),
        "model/layer-0/.ATTRIBUTES/OBJECT_CONFIG_JSON": (7, ()),
    }
    write_bundle(
        tmp_path / "ckpt",
        "ckpt-1",
        {**keras_keys, "save_counter/.ATTRIBUTES/VARIABLE_VALUE": (9, ())},
        extra={"_CHECKPOINTABLE_OBJECT_GRAPH": _object_graph(["model", "save_counter"])},
    )
    write_bundle(
        tmp_path / "weights",
        "weights",
        {k.removeprefix("model/"): v for k, v in keras_keys.items()},
        extra={"_CHECKPOINTABLE_OBJECT_GRAPH": _object_graph(["layer-0", "layer_with_weights-0"])},
    )
    ckpt = _audit_one(tmp_path / "ckpt")["details"]
    weights = _audit_one(tmp_path / "weights")["details"]
    assert ckpt["kind"] == weights["kind"] == "object-based"
    assert ckpt["keras_save_weights"] is weights["keras_save_weights"] is True  # unchanged key
    assert ckpt["root_kind"] == "tf.train.Checkpoint"
    assert weights["root_kind"] == "save_weights"


def test_tensor_list_is_capped(tmp_path: Path) -> None:
    tensors = {f"v{i:05d}": (1, (1,)) for i in range(checkpoint.MAX_TENSORS_LISTED + 5)}
    write_bundle(tmp_path, "big", tensors)
    d = _audit_one(tmp_path)["details"]
    assert d["tensor_count"] == checkpoint.MAX_TENSORS_LISTED + 5
    assert len(d["tensors"]) == checkpoint.MAX_TENSORS_LISTED
    assert "first 2000" in d["tensors_capped"]


def test_v1_checkpoint_single_file_and_missing_shard(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    write_v1(tmp_path / "one" / "model.ckpt", {"a": (1, (2, 3)), "b": (3, ())})
    (tmp_path / "one" / "model.ckpt.meta").write_bytes(meta_graph_bytes("0.12.1"))
    art = _audit_one(tmp_path / "one")
    assert art["path"] == "model.ckpt" and art["errors"] == []
    d = art["details"]
    assert d["checkpoint_format"] == "V1"
    assert [(t["name"], t["dtype"], t["shape"]) for t in d["tensors"]] == [
        ("a", "DT_FLOAT", [2, 3]),
        ("b", "DT_INT32", []),
    ]
    assert art["producer"] == {"tensorflow_version": "0.12.1"}

    (tmp_path / "two").mkdir()
    write_v1(tmp_path / "two" / "model.ckpt-00000-of-00002", {"a": (1, (2,))})
    art = _audit_one(tmp_path / "two")
    assert art["path"] == "model.ckpt" and art["format"] == "tf-checkpoint"
    assert len(art["errors"]) == 1 and "model.ckpt-00001-of-00002" in art["errors"][0]


def test_sharded_file_that_is_not_a_table_is_not_claimed(tmp_path: Path) -> None:
    (tmp_path / "train.tfrecord-00000-of-00004").write_bytes(b"\x00" * 100)
    report = audit([tmp_path])
    assert [a.format for a in report.artifacts] == []


def test_snappy_block_and_decoder(tmp_path: Path) -> None:
    # literal "abcd", then a 1-byte-offset copy of length 8 at offset 4 (overlapping)
    encoded = _varint(12) + bytes([3 << 2]) + b"abcd" + bytes([((8 - 4) << 2) | 1, 4])
    assert sstable.snappy_decompress(encoded) == b"abcdabcdabcd"
    with pytest.raises(sstable.TableError):
        sstable.snappy_decompress(_varint(12) + bytes([((8 - 4) << 2) | 1, 9]))  # no history
    with pytest.raises(sstable.TableError):
        sstable.snappy_decompress(_varint(50) + bytes([3 << 2]) + b"abcd")  # shorter than declared
    # A table whose data block is snappy-compressed (as V1 checkpoints may be).
    header = _proto("BundleHeaderProto", num_shards=1).SerializeToString()
    entry = _proto("BundleEntryProto", dtype=1, shape=_shape(2), size=8).SerializeToString()
    block = _block([(b"", header), (b"w", entry)])
    compressed = _varint(len(block))
    for start in range(0, len(block), 60):
        chunk = block[start : start + 60]
        compressed += bytes([(len(chunk) - 1) << 2]) + chunk
    out = bytearray()
    offset, size = _emit(out, compressed, kind=1)
    meta_offset, meta_size = _emit(out, _block([]))
    index_offset, index_size = _emit(out, _block([(b"w", _varint(offset) + _varint(size))]))
    footer = (
        _varint(meta_offset) + _varint(meta_size) + _varint(index_offset) + _varint(index_size)
    ).ljust(40, b"\0") + struct.pack("<II", MAGIC & 0xFFFFFFFF, MAGIC >> 32)
    (tmp_path / "s.index").write_bytes(bytes(out) + footer)
    (tmp_path / "s.data-00000-of-00001").write_bytes(bytes(8))
    art = _audit_one(tmp_path)
    assert art["errors"] == []
    assert art["details"]["tensors"] == [{"name": "w", "dtype": "DT_FLOAT", "shape": [2]}]


def test_session_bundle_with_signatures(tmp_path: Path) -> None:
    sigs = _proto(
        "ServingSignatures",
        default_signature=_proto(
            "ServingSignature",
            regression_signature=_proto(
                "ServingRegressionSignature",
                input=_proto("ServingTensorBinding", tensor_name="x:0"),
                output=_proto("ServingTensorBinding", tensor_name="y:0"),
            ),
        ),
    )
    sigs.named_signatures["inputs"].generic_signature.map["x"].tensor_name = "x:0"
    collection = _proto("CollectionDef")
    collection.any_list.value.add(
        type_url="type.googleapis.com/tensorflow.serving.Signatures", value=sigs.SerializeToString()
    )
    export = tmp_path / "00000007"
    write_bundle(export, "export", {"w": (1, (2,))})
    (export / "export.meta").write_bytes(
        meta_graph_bytes("1.2.0", {"serving_signatures": collection})
    )
    art = _audit_one(tmp_path)
    assert art["path"] == "00000007" and art["format"] == "session-bundle"
    assert art["errors"] == []
    assert art["producer"] == {"tensorflow_version": "1.2.0"}
    d = art["details"]
    assert d["checkpoint_format"] == "V2"
    assert d["signatures"] == {
        "default": {"type": "regression", "input": "x:0", "output": "y:0"},
        "named": {"inputs": {"type": "generic", "map": {"x": "x:0"}}},
    }


def test_session_bundle_without_variables(tmp_path: Path) -> None:
    (tmp_path / "export.meta").write_bytes(meta_graph_bytes())
    art = _audit_one(tmp_path)
    assert art["format"] == "session-bundle"
    assert any("variables checkpoint" in e for e in art["errors"])


# --- malformed inputs: one clear error each, never a crash --------------------------------------


def _single_error(folder: Path, *needles: str) -> dict:
    art = _audit_one(folder)
    assert art["format"] == "tf-checkpoint", art
    assert len(art["errors"]) == 1, art["errors"]
    message = art["errors"][0]
    assert "internal error" not in message
    for needle in needles:
        assert needle in message, message
    return art


def test_truncated_index(tmp_path: Path) -> None:
    write_bundle(tmp_path, "m", {"w": (1, (4,))})
    index = tmp_path / "m.index"
    index.write_bytes(index.read_bytes()[:30])
    _single_error(tmp_path, "m.index", "shorter than the 48-byte table footer")


def test_index_with_bad_magic(tmp_path: Path) -> None:
    write_bundle(tmp_path, "m", {"w": (1, (4,))})
    index = tmp_path / "m.index"
    data = bytearray(index.read_bytes())
    data[-1] ^= 0xFF
    index.write_bytes(bytes(data))
    _single_error(tmp_path, "m.index", "bad magic number")


def test_index_with_bad_block_handle(tmp_path: Path) -> None:
    write_bundle(tmp_path, "m", {"w": (1, (4,))})
    index = tmp_path / "m.index"
    data = index.read_bytes()
    footer = (_varint(0) + _varint(0) + _varint(10_000) + _varint(50)).ljust(40, b"\0") + data[-8:]
    index.write_bytes(data[:-48] + footer)
    _single_error(tmp_path, "m.index", "bad block handle")


def test_index_with_flipped_byte_fails_its_checksum(tmp_path: Path) -> None:
    write_bundle(tmp_path, "m", {"w": (1, (4,))})
    index = tmp_path / "m.index"
    data = bytearray(index.read_bytes())
    data[3] ^= 0x01
    index.write_bytes(bytes(data))
    _single_error(tmp_path, "m.index", "checksum mismatch")


def test_missing_data_shard(tmp_path: Path) -> None:
    write_bundle(tmp_path, "m", {"w": (1, (4,))}, num_shards=2)
    art = _single_error(tmp_path, "m.data-00001-of-00002")
    assert art["details"]["missing"] == ["m.data-00001-of-00002"]


def test_truncated_data_shard(tmp_path: Path) -> None:
    write_bundle(tmp_path, "m", {"a": (1, (4,)), "b": (1, (8,))})
    shard = tmp_path / "m.data-00000-of-00001"
    shard.write_bytes(shard.read_bytes()[:20])
    _single_error(tmp_path, "truncated", "m.data-00000-of-00001")


def test_data_without_index(tmp_path: Path) -> None:
    write_bundle(tmp_path, "m", {"w": (1, (4,))})
    (tmp_path / "m.index").unlink()
    art = _single_error(tmp_path, "m.index is missing")
    assert art["path"] == "m"


def test_lone_meta_graph(tmp_path: Path) -> None:
    (tmp_path / "model.ckpt-9.meta").write_bytes(meta_graph_bytes("1.8.0"))
    art = _single_error(tmp_path, "without its checkpoint", "model.ckpt-9.index")
    assert art["path"] == "model.ckpt-9.meta"
    assert art["producer"] == {"tensorflow_version": "1.8.0"}
    assert "SaveV2" in art["details"]["meta_graph"]["ops"]


def test_text_meta_file_is_not_a_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "Player.prefab.meta").write_text("fileFormatVersion: 2\nguid: 0123\n")
    assert all(a.format != "tf-checkpoint" for a in audit([tmp_path]).artifacts)


def test_lone_state_file(tmp_path: Path) -> None:
    (tmp_path / "checkpoint").write_text(
        'model_checkpoint_path: "model.ckpt-3"\nall_model_checkpoint_paths: "model.ckpt-3"\n'
    )
    art = _single_error(tmp_path, "no checkpoint beside it", "model.ckpt-3")
    assert art["path"] == "checkpoint"
    assert art["details"]["state"]["dangling"] == ["model.ckpt-3"]


def test_garbage_state_file_beside_a_checkpoint(tmp_path: Path) -> None:
    write_bundle(tmp_path, "m", {"w": (1, (4,))})
    (tmp_path / "checkpoint").write_bytes(b"\x00\xffnot a proto{{{")
    art = _audit_one(tmp_path)
    assert art["errors"] == []
    assert "CheckpointState" in art["details"]["state"]["error"]


def test_index_of_random_bytes(tmp_path: Path) -> None:
    (tmp_path / "m.index").write_bytes(bytes(range(256)) * 3)
    (tmp_path / "m.data-00000-of-00001").write_bytes(b"\0" * 10)
    _single_error(tmp_path, "m.index", "bad magic")


def test_entry_that_is_not_a_bundle_entry(tmp_path: Path) -> None:
    header = _proto("BundleHeaderProto", num_shards=1).SerializeToString()
    write_table(tmp_path / "m.index", [(b"", header), (b"w", b"\xff\xff\xff")])
    (tmp_path / "m.data-00000-of-00001").write_bytes(b"")
    _single_error(tmp_path, "not a BundleEntryProto")


def test_report_json_round_trips_every_detail_in_order(tmp_path: Path) -> None:
    write_bundle(tmp_path, "m", {"w": (1, (4,))})
    report = json.loads(json.dumps(audit([tmp_path]).to_json()))
    (art,) = report["artifacts"]
    assert (art["path"], art["format"], art["errors"]) == ("m", "tf-checkpoint", [])
    assert list(art["details"].items()) == [
        ("checkpoint_format", "V2"),
        ("prefix", "m"),
        ("kind", "name-based"),
        ("keras_save_weights", False),
        ("tensor_count", 1),
        ("parameter_count", 4),
        ("tensors", [{"name": "w", "dtype": "DT_FLOAT", "shape": [4]}]),
        ("optimizer_slots", False),
        ("num_shards", 1),
        ("data_shards_present", ["m.data-00000-of-00001"]),
        ("missing", []),
        ("object_graph", None),
        ("meta_graph", None),
        ("state", None),
        ("root_kind", None),
    ]


def test_v1_table_of_contents_is_read_without_the_tensor_data(tmp_path: Path, monkeypatch) -> None:
    """The TOC and a 1 MB data record share the first block: only the TOC counts against the limit."""
    write_v1(tmp_path / "model.ckpt", {"big": (1, (512, 512))})
    data = (tmp_path / "model.ckpt").read_bytes()
    toc_size = len(data)  # the whole file is far below 4 KB without tensor bytes
    meta = protos.message_class("SavedTensorSlices")()
    meta.ParseFromString(_first_value(data))
    items = [(b"", meta.SerializeToString()), (b"\x00big\x00\x01", bytes(1 << 20))]
    write_table(tmp_path / "model.ckpt", items)
    (tmp_path / "model.ckpt.meta").write_bytes(meta_graph_bytes())
    monkeypatch.setattr(checkpoint.v1, "MAX_V1_TOC_BYTES", toc_size)
    art = _audit_one(tmp_path)
    assert art["errors"] == []
    assert art["details"]["tensors"] == [{"name": "big", "dtype": "DT_FLOAT", "shape": [512, 512]}]


def test_v1_compressed_first_block_over_the_limit_is_skipped_not_an_error(
    tmp_path: Path, monkeypatch
) -> None:
    write_v1(tmp_path / "model.ckpt", {"a": (1, (2,))})
    toc = _first_value((tmp_path / "model.ckpt").read_bytes())
    block = _block([(b"", toc), (b"\x00a\x00\x01", bytes(4000))])
    compressed = _varint(len(block))
    for start in range(0, len(block), 60):
        chunk = block[start : start + 60]
        compressed += bytes([(len(chunk) - 1) << 2]) + chunk
    out = bytearray()
    offset, size = _emit(out, compressed, kind=1)
    meta_offset, meta_size = _emit(out, _block([]))
    index_offset, index_size = _emit(out, _block([(b"\x01", _varint(offset) + _varint(size))]))
    footer = (
        _varint(meta_offset) + _varint(meta_size) + _varint(index_offset) + _varint(index_size)
    ).ljust(40, b"\0") + struct.pack("<II", MAGIC & 0xFFFFFFFF, MAGIC >> 32)
    (tmp_path / "model.ckpt").write_bytes(bytes(out) + footer)
    (tmp_path / "model.ckpt.meta").write_bytes(meta_graph_bytes())
    art = _audit_one(tmp_path)
    assert art["errors"] == [] and art["details"]["tensors"][0]["name"] == "a"
    monkeypatch.setattr(checkpoint.v1, "MAX_V1_TOC_BYTES", 1000)
    art = _audit_one(tmp_path)
    assert art["errors"] == []
    assert "not read" in art["details"]["tensors_skipped"]


def _first_value(table_bytes: bytes) -> bytes:
    import io

    first = sstable.Table(io.BytesIO(table_bytes)).first_value(1 << 20)
    assert first is not None and first[0] == b""
    return first[1]
