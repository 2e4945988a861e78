"""V1 checkpoints (tf.train.Saver before V2, and `write_version=V1`).

A V1 checkpoint is `<prefix>` or `<prefix>-NNNNN-of-NNNNN`, each an SSTable whose empty key holds
a SavedTensorSlices table of contents; only that table of contents is read, up to
`MAX_V1_TOC_BYTES`, never the tensor records after it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from google.protobuf.message import DecodeError

from migrator.formats import protos
from migrator.formats.checkpoint.found import Found, classify_keys, corrupt, describe_tensors
from migrator.formats.checkpoint.names import OBJECT_GRAPH_KEY, V1_SHARD
from migrator.formats.sstable import MAGIC, Table, TableError, TableLimit

MAX_V1_TOC_BYTES = 64 * 1024 * 1024


def read_v1(found: Found, folder: Path, prefix: str, files: list[str]) -> None:
    """Read the tables of contents of a V1 checkpoint into `found`."""
    d = found.details
    d["checkpoint_format"] = "V1"
    counts = {int(m["count"]) for f in files if (m := V1_SHARD.match(f))}
    if len(counts) > 1:
        found.errors.append(
            f"V1 shard files disagree on the shard count ({sorted(counts)}); "
            "keep only the files of one save"
        )
    if counts:
        n = max(counts)
        expected = [f"{prefix}-{i:05d}-of-{n:05d}" for i in range(n)]
    else:
        n, expected = 1, [prefix]
    d["num_shards"] = n
    d["data_shards_present"] = [f for f in expected if f in files]
    d["missing"] = [f for f in expected if f not in files]
    if d["missing"]:
        found.errors.append(
            f"missing V1 checkpoint shard(s) {', '.join(d['missing'])}; copy every "
            f"{prefix}-*-of-{n:05d} file saved together"
        )
    tensors: dict[str, tuple[int, Any, int]] = {}
    for name in d["data_shards_present"]:
        try:
            with (folder / name).open("rb") as fh:
                first = Table(fh).first_value(MAX_V1_TOC_BYTES)
            if first is None or first[0] != b"":
                raise TableError("no table of contents under the empty key")
            toc = protos.parse("SavedTensorSlices", first[1])
        except TableLimit as exc:
            d["tensors_skipped"] = f"{name}: table of contents not read ({exc})"
            return
        except TableError as exc:
            found.errors.append(corrupt(name, str(exc)))
            return
        except DecodeError:
            found.errors.append(corrupt(name, "the table of contents is not SavedTensorSlices"))
            return
        except OSError as exc:
            found.errors.append(f"cannot read {name} ({exc.strerror or exc}); check permissions")
            return
        for meta in toc.meta.tensor:
            if meta.name not in tensors:
                tensors[meta.name] = (meta.type, meta.shape, 0)
            dtype, shape, parts = tensors[meta.name]
            # A full extent is start 0 with no length; a partition slice sets one of them.
            partial = sum(1 for s in meta.slice if any(e.start or e.length for e in s.extent))
            tensors[meta.name] = (dtype, shape, parts + partial)
    found.evidence.append(
        f"SSTable magic 0x{MAGIC:x} and a SavedTensorSlices table of contents in "
        f"{d['data_shards_present'][0] if d['data_shards_present'] else prefix}"
    )
    describe_tensors(found, [(k, *v) for k, v in sorted(tensors.items())])
    d["kind"] = "object-based" if OBJECT_GRAPH_KEY in tensors else "name-based"
    classify_keys(found)
