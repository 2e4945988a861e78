"""Keras HDF5 files, read from attributes and group structure only: never a weight value.

A file is claimed when it starts with the HDF5 signature ``\\x89HDF\\r\\n\\x1a\\n``, whatever its
name. The HDF5 format also allows a user block before the superblock, which then starts at byte
512, 1024, 2048, ... (a power of two); those offsets are probed only for names ending in .h5,
.hdf5, .hdf, .he5 or .keras, so discovery does not seek through every file of a big tree.

What is inside decides the format:

- ``keras-h5``: a full model (``model.save``): root attribute ``model_config``. Keras 1.x, 2.x,
  tf.keras (``2.2.4-tf`` style versions too) and Keras 3's legacy ``.h5`` all write this layout.
- ``keras-h5-weights``: legacy weights only (``save_weights``): root attribute ``layer_names`` and
  no ``model_config``. Keras 1 wrote only ``layer_names``; Keras 2 adds ``keras_version`` and
  ``backend``.
- ``keras-v3-weights``: Keras 3 ``.weights.h5`` (``H5IOStore``): groups ``<path>/vars`` holding
  datasets ``0``, ``1``, ... (``layers/<name>/vars``, ``optimizer/vars``, root ``vars``); no
  ``layer_names`` attribute. tf.keras 2.13 used ``_layer_checkpoint_dependencies`` for ``layers``.
  Sharded weights (``save_weights("m.weights.json", max_shard_size=...)``) are one artifact:
  ``claim_group`` takes the ``<name>.weights.json`` sharding config (``metadata``,
  ``weight_map``) with its ``<name>_00000.weights.h5``, ... shards.
- anything else in an HDF5 file is an error: it holds no Keras model or weights layout.

Keras splits a string-list attribute larger than HDF5's 64 KB object header limit
(``HDF5_OBJECT_HEADER_LIMIT = 64512``) into ``<name>0``, ``<name>1``, ...; every attribute read
here (``layer_names``, ``weight_names``, even ``model_config``) is joined back from its chunks.

Safety: files are opened read-only; dataset contents are never read (shapes and dtypes come from
dataset metadata); links are inspected with ``getlink=True`` and only hard links are followed,
so an external link to another file is reported, never opened; Lambda code is never decoded.

``producer``: the ``keras_version`` and ``backend`` attributes, verbatim (root first, then the
``model_weights`` group); absent keys are left out (Keras 1 wrote no ``backend``).

``details`` for ``keras-h5`` (everything ``keras_config.summarize`` gives, plus):
    keras_major: 1/2/3 from ``keras_version``; without it, inferred from ``config_style`` (the
        evidence says so); None when neither tells.
    tf_keras: ``keras_version`` has the ``-tf`` suffix of the Keras bundled in TensorFlow 1.x/2.0.
    config_style: "keras1" | "keras2" | "keras3" | None (see ``keras_config.config_style``).
    training_config: a ``training_config`` attribute is present (the model was compiled).
    optimizer: optimizer class name as recorded (tf.keras 2.11+ writes e.g. ``Custom>Adam``).
    loss: the loss as recorded: a name, {output: name}, or a list of names; None if not compiled.
    optimizer_weights: an ``optimizer_weights`` group is present.
    optimizer_weight_count: entries in its ``weight_names`` (0 when absent).
    weights_layer_count: entries in ``model_weights``' ``layer_names``.
    weight_count, weight_bytes: weight datasets listed by the layers, and their size from
        shape x dtype (metadata only).
    top_level_model_weights: a ``top_level_model_weights`` group is present (tf.keras 2.x
        subclassed models keep weights owned by the model itself there).
    layer_names_chunked: ``layer_names`` was split into ``layer_names0..N``.
    chunked_attributes: {"<group path>/<attribute>": number of chunks} for every split attribute.
    uses_lambda: the config has Lambda layers or other marshalled Python code.
    lambda_layers: [{path, class_name, function_type, module, marshalled, marshalled_fields,
        code_encoding}] (see ``keras_config.lambda_layers``; the code is never decoded).
    external_links: [{path, file, target}] HDF5 external links (never followed).
    extension, extension_matches: the file's suffix and whether Keras 3 would open this content
        under that name (``.h5``/``.hdf5``; an HDF5 file named ``.keras`` is mislabeled).
``details`` for ``keras-h5-weights``:
    layer_names, layer_count, weighted_layer_count (layers with at least one weight),
    weight_count, weight_bytes,
    weights: [{layer, weights: [{name, shape, dtype}]}] in ``layer_names`` order,
    top_level_model_weights, top_level_weight_count,
    keras_major, tf_keras: as above; without ``keras_version``, Keras 1 is inferred (Keras 2+
        always wrote it, and Keras's own loader treats its absence as Keras 1) unless the weight
        names contradict it,
    weight_naming: "keras1" (``<layer>_W``, ``<layer>_b``, ``param_0``) | "keras2"
        (``<layer>/kernel:0``) | None,
    layer_names_chunked, chunked_attributes, external_links, extension, extension_matches
    (``.h5``/``.hdf5`` but not ``.weights.h5``, which Keras 3 reads as the new layout).
``details`` for ``keras-v3-weights``:
    layers: [{path, variables, name (when the vars group records one)}] for each ``vars``
        group under ``layers/`` (or tf.keras 2.13's ``_layer_checkpoint_dependencies/``),
    layer_count,
    other_variable_groups: [{path, variables}] for the rest (root ``.``, metrics, ...) except
        the optimizer,
    variable_count, weight_bytes, dtypes (sorted; Keras 3 marks bfloat16 with a ``dtype`` attr),
    optimizer: an ``optimizer`` group holds variables; optimizer_variable_count,
    legacy_layer_key: tf.keras 2.13's ``_layer_checkpoint_dependencies`` is used,
    named_weights_h5: the name ends with ``.weights.h5`` (Keras 3 ``load_weights`` requires it),
    sharded_part: the name looks like a shard (``<name>_00000.weights.h5``) of sharded weights,
    sharded: read through a ``.weights.json`` sharding config; then also shards (file names
        present), missing_shards (named in ``weight_map`` but absent), total_size (as recorded),
    external_links, extension, extension_matches (= named_weights_h5; true for a sharding config).

``raw``: ``model_config`` and ``training_config`` (parsed JSON dicts, keras-h5), ``weights``
and ``layer_names`` (per-layer weight metadata, keras-h5 and keras-h5-weights), ``variables``
({owner path, "." for the root: [{name, shape, dtype}]}, keras-v3-weights) and ``weight_map``
(sharded weights).

Known limit: damaged metadata becomes one "truncated or corrupt" error, except that libhdf5
(2.0, as bundled with h5py 3.16) can loop forever inside ``H5Aread`` on some damaged global heap
collections (where variable-length string attributes live); C code cannot be interrupted from
Python, so only running readers in a watched worker process would bound that case.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.errors import ArtifactError
from migrator.formats import LazyModule, keras_config, register
from migrator.knowledge import versions
from migrator.model import Candidate, Reading

register(__name__, formats=("keras-h5", "keras-h5-weights", "keras-v3-weights"), order=50)

h5py = LazyModule("h5py")
np = LazyModule("numpy")

SIGNATURE = b"\x89HDF\r\n\x1a\n"
# Names for which a user block (superblock at 512, 1024, 2048, ...) is worth probing.
_USERBLOCK_SUFFIXES = (".h5", ".hdf5", ".hdf", ".he5", ".keras")
_LEGACY_SUFFIXES = (".h5", ".hdf5")
_V3_WEIGHTS_SUFFIX = ".weights.h5"
_SHARD_NAME = re.compile(r"_\d{5}\.weights\.h5$")
# Keras 1 weight names: <layer>_W, <layer>_b, <layer>_W_i (LSTM gates), <layer>_gamma,
# <layer>_running_std, ... with an optional _<n> uniquifier and TensorFlow's :0 suffix.
_KERAS1_WEIGHT = re.compile(
    r"^(?:param_\d+|.+_(?:W|U|V|b|W_[a-z]|U_[a-z]|b_[a-z]|gamma|beta|running_mean|running_std)"
    r"(?:_\d+)?)(?::\d+)?$"
)
_RECOPY = "copy the file again from its source or re-export the model"


def signature_offset(path: Path, head: bytes) -> int | None:
    """Where the HDF5 superblock signature is (0, or a user-block size), or None if nowhere."""
    if head.startswith(SIGNATURE):
        return 0
    if not path.name.lower().endswith(_USERBLOCK_SUFFIXES):
        return None
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            offset = 512
            while offset + len(SIGNATURE) <= size:
                fh.seek(offset)
                if fh.read(len(SIGNATURE)) == SIGNATURE:
                    return offset
                offset *= 2
    except OSError:
        return None
    return None


def claim_file(path: Path, head: bytes) -> bool:
    return signature_offset(path, head) is not None


def read(candidate: Candidate) -> Reading:
    path = candidate.location
    if path.name.endswith(_SHARDS_SUFFIX):
        return _read_sharded(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SIGNATURE))
    except OSError as exc:
        raise ArtifactError(
            path, f"cannot read file ({exc.strerror or exc})", "check permissions"
        ) from None
    offset = signature_offset(path, head)
    if offset is None:
        raise ArtifactError(
            path,
            "not an HDF5 file (no HDF5 signature at offset 0 or at a user-block offset)",
            _RECOPY,
        )
    h5 = _open(path)
    try:
        with h5:
            return _read_open(h5, path, offset)
    except (OSError, RuntimeError, KeyError, ValueError, TypeError) as exc:
        # h5py raises these when HDF5 cannot decode an object header, a link name, an attribute
        # or a datatype (ValueError includes undecodable names, TypeError unknown encodings)
        raise _corrupt(path, exc) from None


def _open(path: Path) -> h5py.File:
    """Open read-only, without file locking (read-only mounts) where the HDF5 build allows it."""
    try:
        try:
            return h5py.File(path, "r", locking=False)
        except (TypeError, ValueError):  # h5py < 3.5 or an HDF5 without locking control
            return h5py.File(path, "r")
    except OSError as exc:
        raise _corrupt(path, exc) from None


def _corrupt(path: Path, exc: BaseException) -> ArtifactError:
    reason = " ".join(str(exc).split())
    if len(reason) > 200:
        reason = reason[:197] + "..."
    return ArtifactError(path, f"HDF5 file is truncated or corrupt ({reason})", _RECOPY)


def _error(path: Path, fmt: str, problem: str, remedy: str) -> ArtifactError:
    exc = ArtifactError(path, problem, remedy)
    exc.format = fmt  # type: ignore[attr-defined]
    return exc


# --- reading attributes ---------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A string attribute value as text: h5py gives str (variable-length) or bytes (fixed)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "OSU":
        return _text(value.reshape(-1)[0])
    if isinstance(value, np.generic) and value.dtype.kind in "OSU":
        return _text(value.item())
    return None


def _strings(value: Any) -> list[str]:
    """A string-list attribute as texts. h5py 2 wrote an empty list as an empty float64 array."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        text = _text(arr.item())
        return [text] if text is not None else []
    return [t for t in (_text(v) for v in arr.reshape(-1)) if t is not None]


def _has_attr(obj: h5py.HLObject, name: str) -> bool:
    return name in obj.attrs or f"{name}0" in obj.attrs


def _list_attr(obj: h5py.HLObject, name: str) -> tuple[list[str], int]:
    """Keras' string-list attribute, joined from ``name0..N`` when split; (values, chunks or 0)."""
    if name in obj.attrs:
        return _strings(obj.attrs[name]), 0
    out: list[str] = []
    chunks = 0
    while f"{name}{chunks}" in obj.attrs:
        out.extend(_strings(obj.attrs[f"{name}{chunks}"]))
        chunks += 1
    return out, chunks


def _text_attr(obj: h5py.HLObject, name: str) -> tuple[str | None, int]:
    """A string attribute, joined from ``name0..N`` when split; (text or None, chunks or 0)."""
    if name in obj.attrs:
        return _text(obj.attrs[name]), 0
    parts: list[str] = []
    while f"{name}{len(parts)}" in obj.attrs:
        parts.append(_text(obj.attrs[f"{name}{len(parts)}"]) or "")
    return ("".join(parts) if parts else None), len(parts)


# --- walking the structure (hard links only) --------------------------------------------------


@dataclass
class _Tree:
    """Every object reachable through hard links, and every link that was not followed."""

    groups: list[str] = field(default_factory=list)
    datasets: dict[str, tuple[list[int], str]] = field(default_factory=dict)
    external_links: list[dict[str, str]] = field(default_factory=list)
    soft_links: list[dict[str, str]] = field(default_factory=list)
    # Keras 3.x (recent) records the owner's name as a `name` attribute on each `vars` group.
    vars_names: dict[str, str] = field(default_factory=dict)


def _walk(root: h5py.Group) -> _Tree:
    tree = _Tree()
    seen = {root.id}
    stack: list[tuple[str, h5py.Group]] = [("", root)]
    while stack:
        prefix, group = stack.pop()
        for name in group:
            path = f"{prefix}/{name}" if prefix else name
            link = group.get(name, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                tree.external_links.append(
                    {"path": path, "file": str(link.filename), "target": str(link.path)}
                )
                continue
            if isinstance(link, h5py.SoftLink):
                tree.soft_links.append({"path": path, "target": str(link.path)})
                continue
            if not isinstance(link, h5py.HardLink):
                continue
            obj = group[name]
            if isinstance(obj, h5py.Group):
                if obj.id in seen:
                    continue
                seen.add(obj.id)
                tree.groups.append(path)
                stack.append((path, obj))
                if name == "vars" and "name" in obj.attrs:
                    owner_name = _text(obj.attrs["name"])
                    if owner_name is not None:
                        tree.vars_names[path] = owner_name
            elif isinstance(obj, h5py.Dataset):
                tree.datasets[path] = (list(obj.shape or ()), _dtype_name(obj))
    tree.groups.sort()
    tree.external_links.sort(key=lambda item: item["path"])
    tree.soft_links.sort(key=lambda item: item["path"])
    return tree


def _resolve(group: h5py.Group, relpath: str) -> Any:
    """The object at `relpath` below `group`, following hard links only; a link object where a
    soft or external link stops the walk; None where nothing is."""
    obj: Any = group
    for part in (p for p in relpath.split("/") if p):
        if not isinstance(obj, h5py.Group):
            return None
        link = obj.get(part, getlink=True)
        if link is None:
            return None
        if not isinstance(link, h5py.HardLink):
            return link
        obj = obj[part]
    return obj


def _dtype_name(ds: h5py.Dataset) -> str:
    """The dataset's dtype from its metadata; Keras 3 stores bfloat16 as raw bits + a dtype attr."""
    if "dtype" in ds.attrs and _text(ds.attrs["dtype"]) == "bfloat16":
        return "bfloat16"
    try:
        return ds.dtype.name
    except (TypeError, ValueError):  # a datatype numpy cannot represent
        return "unsupported"


def _nbytes(shape: list[int], dtype: str) -> int:
    if dtype == "bfloat16":
        itemsize = 2
    else:
        try:
            itemsize = np.dtype(dtype).itemsize
        except TypeError:
            itemsize = 0
    return math.prod(shape) * itemsize


# --- shared pieces of the legacy layouts ------------------------------------------------------


def _layer_weights(
    group: h5py.Group,
    layer_names: list[str],
    where: str,
    errors: list[str],
    chunked: dict[str, int],
) -> list[dict[str, Any]]:
    """[{layer, weights: [{name, shape, dtype}]}] from each layer group's ``weight_names``."""
    out: list[dict[str, Any]] = []
    missing_layers: list[str] = []
    missing_weights: list[str] = []
    for name in layer_names:
        layer = _resolve(group, name)
        if not isinstance(layer, h5py.Group):
            missing_layers.append(name)
            continue
        names, chunks = _list_attr(layer, "weight_names")
        if chunks:
            chunked[_join(where, name, "weight_names")] = chunks
        items = []
        for weight in names:
            ds = _resolve(layer, weight)
            if isinstance(ds, h5py.Dataset):
                items.append(
                    {"name": weight, "shape": list(ds.shape or ()), "dtype": _dtype_name(ds)}
                )
            else:
                missing_weights.append(f"{name}/{weight}")
        out.append({"layer": name, "weights": items})
    if missing_layers:
        errors.append(
            f"{len(missing_layers)} layer(s) listed in {_join(where, 'layer_names')} have no "
            f"group (first: {missing_layers[0]!r}); the weights are incomplete, {_RECOPY}"
        )
    if missing_weights:
        errors.append(
            f"{len(missing_weights)} weight(s) listed in weight_names are not datasets in the "
            f"file (first: {missing_weights[0]!r}); the weights are incomplete, {_RECOPY}"
        )
    return out


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def _weight_totals(weights: list[dict[str, Any]]) -> tuple[int, int]:
    count = sum(len(layer["weights"]) for layer in weights)
    size = sum(_nbytes(w["shape"], w["dtype"]) for layer in weights for w in layer["weights"])
    return count, size


def _producer(h5: h5py.File, evidence: list[str]) -> dict[str, str]:
    producer: dict[str, str] = {}
    weights_group = _resolve(h5, "model_weights")
    for key in ("keras_version", "backend"):
        for obj, where in ((h5, "root"), (weights_group, "model_weights group")):
            if isinstance(obj, h5py.Group) and key in obj.attrs:
                value = _text(obj.attrs[key])
                if value is not None:
                    producer[key] = value
                    evidence.append(f"{where} attribute {key}={value!r}")
                    break
    return producer


def _extension(name: str) -> str:
    lower = name.lower()
    if lower.endswith(_V3_WEIGHTS_SUFFIX):
        return _V3_WEIGHTS_SUFFIX
    return Path(lower).suffix


def _legacy_extension_evidence(name: str, extension: str, weights_only: bool) -> str | None:
    """Why this legacy HDF5 content is under a name Keras 3 will not open as legacy HDF5."""
    if extension == ".keras":
        return (
            "named .keras but the bytes are HDF5, not a zip: tf.keras before the .keras zip "
            "format saved '.keras' paths as HDF5; Keras 3 expects a zip under that name and "
            "cannot load it; rename the file to .h5"
        )
    if weights_only and extension == _V3_WEIGHTS_SUFFIX:
        return (
            "named .weights.h5 but holds legacy layer_names weights: Keras 3 reads .weights.h5 "
            "as its new layout and fails; rename the file to .h5"
        )
    if extension not in _LEGACY_SUFFIXES:
        return (
            f"named {name!r}: Keras 3 opens legacy HDF5 only under a .h5 or .hdf5 name; "
            "rename the file"
        )
    return None


def _tf_keras(version: str | None) -> bool:
    return bool(version) and str(version).endswith("-tf")


# --- the three layouts ----------------------------------------------------------------------------


def _read_open(h5: h5py.File, path: Path, offset: int) -> Reading:
    evidence = [f"HDF5 signature at offset {offset}" + (" (after a user block)" if offset else "")]
    if _has_attr(h5, "model_config"):
        return _read_full_model(h5, path, evidence)
    if _has_attr(h5, "layer_names"):
        return _read_weights(h5, path, evidence)
    tree = _walk(h5)
    vars_groups = [g for g in tree.groups if g == "vars" or g.endswith("/vars")]
    top_level_datasets = [p for p in tree.datasets if "/" not in p]
    if vars_groups and not top_level_datasets:
        return _read_v3_weights(path, tree, vars_groups, evidence)
    weights_group = _resolve(h5, "model_weights")
    if isinstance(weights_group, h5py.Group) and _has_attr(weights_group, "layer_names"):
        raise _error(
            path,
            "keras-h5",
            "HDF5 file has a model_weights group but no model_config attribute, so the "
            "architecture is missing",
            "rebuild the model in code and load the weights with model.load_weights()",
        )
    keys = sorted(h5.keys())
    attrs = sorted(h5.attrs.keys())
    listing = ", ".join(keys[:8]) + (f", ... ({len(keys)} in all)" if len(keys) > 8 else "")
    raise ArtifactError(
        path,
        "file is HDF5 but holds no Keras model or weights layout (top-level keys: "
        f"{listing or 'none'}; root attributes: {', '.join(attrs[:8]) or 'none'})",
        "it is HDF5 data of another kind, not a Keras artifact; nothing to migrate",
    )


def _read_full_model(h5: h5py.File, path: Path, evidence: list[str]) -> Reading:
    errors: list[str] = []
    chunked: dict[str, int] = {}
    config_text, chunks = _text_attr(h5, "model_config")
    if chunks:
        chunked["model_config"] = chunks
    if config_text is None:
        raise _error(
            path,
            "keras-h5",
            "root attribute model_config is not a string",
            "the file was written by a broken exporter; re-save the model",
        )
    try:
        model_config = json.loads(config_text)
    except ValueError as exc:
        raise _error(
            path,
            "keras-h5",
            f"root attribute model_config is not valid JSON ({exc})",
            "the file is damaged or was written by a broken exporter; re-save the model",
        ) from None
    if not keras_config.is_layer_entry(model_config):
        raise _error(
            path,
            "keras-h5",
            "root attribute model_config is JSON but not a Keras model config (no class_name)",
            "re-save the model with model.save()",
        )
    evidence.append(
        f"root attribute model_config (JSON, model class {model_config['class_name']!r})"
        + (f", split into {chunks} chunks" if chunks else "")
    )
    producer = _producer(h5, evidence)
    version = producer.get("keras_version")
    style, markers = keras_config.config_style(model_config)
    major = versions.major(version)
    if version is None:
        major = {"keras1": 1, "keras2": 2, "keras3": 3}.get(style or "")
        evidence.append(
            "no keras_version attribute; "
            + (
                f"keras_major {major} inferred from the {style} config style"
                + (f" ({', '.join(markers[:4])})" if markers else "")
                if major
                else "the config style does not tell the Keras version"
            )
        )
    elif markers:
        evidence.append(f"{style} config style: {', '.join(markers[:4])}")

    training_config: dict[str, Any] | None = None
    training_text, tc_chunks = _text_attr(h5, "training_config")
    if tc_chunks:
        chunked["training_config"] = tc_chunks
    if training_text is not None:
        try:
            parsed = json.loads(training_text)
        except ValueError as exc:
            errors.append(
                f"root attribute training_config is not valid JSON ({exc}); load the model "
                "with compile=False and compile it again"
            )
        else:
            if isinstance(parsed, dict):
                training_config = parsed
    optimizer_config = (training_config or {}).get("optimizer_config")
    optimizer = (
        optimizer_config.get("class_name") if isinstance(optimizer_config, Mapping) else None
    )

    weights: list[dict[str, Any]] = []
    layer_names: list[str] = []
    top_level = False
    weights_group = _resolve(h5, "model_weights")
    if isinstance(weights_group, h5py.Group):
        layer_names, ln_chunks = _list_attr(weights_group, "layer_names")
        if ln_chunks:
            chunked["model_weights/layer_names"] = ln_chunks
            evidence.append(
                f"model_weights/layer_names split into {ln_chunks} chunks "
                f"(layer_names0..layer_names{ln_chunks - 1})"
            )
        weights = _layer_weights(weights_group, layer_names, "model_weights", errors, chunked)
        top_level = isinstance(_resolve(weights_group, "top_level_model_weights"), h5py.Group)
    else:
        errors.append(
            "full-model HDF5 without a model_weights group: the architecture is there but the "
            "weights are not; re-save the model with model.save()"
        )
    weight_count, weight_bytes = _weight_totals(weights)

    optimizer_group = _resolve(h5, "optimizer_weights")
    optimizer_weight_count = 0
    if isinstance(optimizer_group, h5py.Group):
        names, ow_chunks = _list_attr(optimizer_group, "weight_names")
        optimizer_weight_count = len(names)
        if ow_chunks:
            chunked["optimizer_weights/weight_names"] = ow_chunks

    tree = _walk(h5)
    lambdas = keras_config.lambda_layers(model_config)
    extension = _extension(path.name)
    ext_note = _legacy_extension_evidence(path.name, extension, weights_only=False)
    if ext_note:
        evidence.append(ext_note)
    if tree.external_links:
        evidence.append(
            f"{len(tree.external_links)} HDF5 external link(s) to other files (not followed)"
        )

    details: dict[str, Any] = dict(keras_config.summarize(model_config))
    details.update(
        {
            "keras_major": major,
            "tf_keras": _tf_keras(version),
            "config_style": style,
            "training_config": training_text is not None,
            "optimizer": optimizer if isinstance(optimizer, str) else None,
            "loss": _loss_summary((training_config or {}).get("loss")),
            "optimizer_weights": isinstance(optimizer_group, h5py.Group),
            "optimizer_weight_count": optimizer_weight_count,
            "weights_layer_count": len(layer_names),
            "weight_count": weight_count,
            "weight_bytes": weight_bytes,
            "top_level_model_weights": top_level,
            "layer_names_chunked": "model_weights/layer_names" in chunked,
            "chunked_attributes": dict(sorted(chunked.items())),
            "uses_lambda": bool(lambdas),
            "lambda_layers": lambdas,
            "external_links": tree.external_links,
            "extension": extension,
            "extension_matches": ext_note is None,
        }
    )
    return Reading(
        "keras-h5",
        producer=producer,
        details=details,
        evidence=tuple(evidence),
        errors=tuple(errors),
        raw={
            "model_config": model_config,
            "training_config": training_config,
            "weights": weights,
            "layer_names": layer_names,
        },
    )


def _read_weights(h5: h5py.File, path: Path, evidence: list[str]) -> Reading:
    errors: list[str] = []
    chunked: dict[str, int] = {}
    layer_names, chunks = _list_attr(h5, "layer_names")
    evidence.append(
        f"root attribute layer_names ({len(layer_names)} layers) and no model_config"
        + (f", split into {chunks} chunks (layer_names0..{chunks - 1})" if chunks else "")
    )
    if chunks:
        chunked["layer_names"] = chunks
    producer = _producer(h5, evidence)
    version = producer.get("keras_version")
    weights = _layer_weights(h5, layer_names, "", errors, chunked)
    all_names = [w["name"] for layer in weights for w in layer["weights"]]
    naming = _weight_naming(all_names)
    major = versions.major(version)
    if version is None:
        if naming == "keras2":
            major = None
            evidence.append(
                "no keras_version attribute, but weight names use the Keras 2 <layer>/<weight> "
                "style: the Keras version cannot be told"
            )
        else:
            major = 1
            evidence.append(
                "no keras_version attribute (Keras 2+ always writes one; Keras's own loader "
                "treats such files as Keras 1)"
                + (
                    "; weight names use the Keras 1 <layer>_W/<layer>_b style"
                    if naming == "keras1"
                    else ""
                )
            )
    top = _resolve(h5, "top_level_model_weights")
    top_count = 0
    if isinstance(top, h5py.Group):
        top_names, _ = _list_attr(top, "weight_names")
        top_count = len(top_names)
    weight_count, weight_bytes = _weight_totals(weights)
    tree = _walk(h5)
    extension = _extension(path.name)
    ext_note = _legacy_extension_evidence(path.name, extension, weights_only=True)
    if ext_note:
        evidence.append(ext_note)
    if tree.external_links:
        evidence.append(
            f"{len(tree.external_links)} HDF5 external link(s) to other files (not followed)"
        )
    details = {
        "layer_names": layer_names,
        "layer_count": len(layer_names),
        "weighted_layer_count": sum(1 for layer in weights if layer["weights"]),
        "weight_count": weight_count,
        "weight_bytes": weight_bytes,
        "weights": weights,
        "top_level_model_weights": isinstance(top, h5py.Group),
        "top_level_weight_count": top_count,
        "keras_major": major,
        "tf_keras": _tf_keras(version),
        "weight_naming": naming,
        "layer_names_chunked": "layer_names" in chunked,
        "chunked_attributes": dict(sorted(chunked.items())),
        "external_links": tree.external_links,
        "extension": extension,
        "extension_matches": ext_note is None,
    }
    return Reading(
        "keras-h5-weights",
        producer=producer,
        details=details,
        evidence=tuple(evidence),
        errors=tuple(errors),
        raw={"weights": weights, "layer_names": layer_names},
    )


def _weight_naming(names: Iterable[str]) -> str | None:
    names = list(names)
    if not names:
        return None
    if any("/" in n for n in names):
        return "keras2"
    if any(_KERAS1_WEIGHT.match(n) for n in names):
        return "keras1"
    return None


def _v3_variables(tree: _Tree) -> dict[str, list[dict[str, Any]]]:
    """{owner path ("." for the root): [{name, shape, dtype}]} for every ``vars`` group."""
    variables: dict[str, list[dict[str, Any]]] = {}
    for vars_path in tree.groups:
        if vars_path != "vars" and not vars_path.endswith("/vars"):
            continue
        owner = vars_path[: -len("/vars")] if vars_path != "vars" else "."
        prefix = vars_path + "/"
        items = [
            {"name": p[len(prefix) :], "shape": shape, "dtype": dtype}
            for p, (shape, dtype) in tree.datasets.items()
            if p.startswith(prefix) and "/" not in p[len(prefix) :]
        ]
        items.sort(key=lambda item: (len(item["name"]), item["name"]))
        variables.setdefault(owner, []).extend(items)
    return variables


def _v3_summary(
    variables: dict[str, list[dict[str, Any]]], names: dict[str, str]
) -> dict[str, Any]:
    """Counts over {owner: variables}; `names` maps a vars group path to its recorded name."""
    layer_roots = ("layers/", "_layer_checkpoint_dependencies/")

    def is_optimizer(owner: str) -> bool:
        return owner == "optimizer" or owner.startswith("optimizer/")

    layers = [
        {"path": owner, "variables": len(items)}
        | ({"name": names[f"{owner}/vars"]} if f"{owner}/vars" in names else {})
        for owner, items in sorted(variables.items())
        if owner.startswith(layer_roots)
    ]
    others = [
        {"path": owner, "variables": len(items)}
        for owner, items in sorted(variables.items())
        if not owner.startswith(layer_roots) and not is_optimizer(owner)
    ]
    optimizer_count = sum(len(items) for o, items in variables.items() if is_optimizer(o))
    all_vars = [v for items in variables.values() for v in items]
    return {
        "layers": layers,
        "layer_count": len(layers),
        "other_variable_groups": others,
        "variable_count": len(all_vars),
        "weight_bytes": sum(_nbytes(v["shape"], v["dtype"]) for v in all_vars),
        "dtypes": sorted({v["dtype"] for v in all_vars}),
        "optimizer": optimizer_count > 0,
        "optimizer_variable_count": optimizer_count,
        "legacy_layer_key": any(o.startswith("_layer_checkpoint_dependencies/") for o in variables),
    }


def _read_v3_weights(
    path: Path, tree: _Tree, vars_groups: list[str], evidence: list[str]
) -> Reading:
    variables = _v3_variables(tree)
    summary = _v3_summary(variables, tree.vars_names)
    named = path.name.lower().endswith(_V3_WEIGHTS_SUFFIX)
    evidence.append(
        f"Keras 3 weights layout: {len(vars_groups)} '<path>/vars' group(s), no layer_names "
        "or model_config attribute"
    )
    if summary["legacy_layer_key"]:
        evidence.append("uses tf.keras 2.13's '_layer_checkpoint_dependencies' instead of 'layers'")
    if not named:
        evidence.append(
            f"named {path.name!r}: Keras 3 save_weights/load_weights require a name ending in "
            ".weights.h5; rename the file"
        )
    if tree.external_links:
        evidence.append(
            f"{len(tree.external_links)} HDF5 external link(s) to other files (not followed)"
        )
    details = {
        **summary,
        "named_weights_h5": named,
        "sharded": False,
        "sharded_part": bool(_SHARD_NAME.search(path.name.lower())),
        "external_links": tree.external_links,
        "extension": _extension(path.name),
        "extension_matches": named,
    }
    return Reading(
        "keras-v3-weights",
        producer={},
        details=details,
        evidence=tuple(evidence),
        raw={"variables": variables},
    )


# --- Keras 3 sharded weights: <name>.weights.json + <name>_00000.weights.h5, ... -----------------

_SHARDS_SUFFIX = ".weights.json"
_MAX_SHARD_MAP_BYTES = 16 * 1024 * 1024


def _shard_map(path: Path) -> tuple[dict[str, list[str]], Any] | None:
    """(weight_map, metadata.total_size) of a Keras sharding config, or None if it is not one.

    ``weight_map`` maps an HDF5 group (``/layers/dense/vars``) to its shard file; newer Keras 3
    writes a list of shard files, since one group's variables may span several shards.
    """
    try:
        if path.stat().st_size > _MAX_SHARD_MAP_BYTES:
            return None
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    weight_map, metadata = data.get("weight_map"), data.get("metadata")
    if not isinstance(weight_map, dict) or not isinstance(metadata, dict):
        return None
    normalized: dict[str, list[str]] = {}
    for key, value in weight_map.items():
        shards = [value] if isinstance(value, str) else value
        if not isinstance(shards, list) or not all(isinstance(v, str) for v in shards):
            return None
        normalized[str(key)] = shards
    return normalized, metadata.get("total_size")


def _shard_pattern(config_name: str) -> re.Pattern[str]:
    base = config_name[: -len(_SHARDS_SUFFIX)]
    return re.compile(re.escape(base) + r"_\d{5}\.weights\.h5$")


def claim_group(path: Path, names: frozenset[str]) -> list[tuple[str, tuple[str, ...]]]:
    """A Keras 3 sharding config (``save_weights(..., max_shard_size=...)``) and its shards."""
    out = []
    for name in sorted(names):
        if not name.endswith(_SHARDS_SUFFIX):
            continue
        parsed = _shard_map(path / name)
        if parsed is None:
            continue
        pattern = _shard_pattern(name)
        members = {name, *(n for n in names if pattern.match(n))}
        members |= {s for shards in parsed[0].values() for s in shards if s in names}
        out.append((name, tuple(sorted(members))))
    return out


def _read_sharded(path: Path) -> Reading:
    parsed = _shard_map(path)
    if parsed is None:
        raise _error(
            path,
            "keras-v3-weights",
            "sharded weights config is not a JSON object with 'metadata' and 'weight_map'",
            "re-save the weights with model.save_weights(..., max_shard_size=...)",
        )
    weight_map, total_size = parsed
    referenced = sorted({s for shards in weight_map.values() for s in shards})
    pattern = _shard_pattern(path.name)
    on_disk = sorted(
        {p.name for p in path.parent.iterdir() if pattern.match(p.name)}
        | {s for s in referenced if (path.parent / s).is_file()}
    )
    errors: list[str] = []
    missing = [s for s in referenced if s not in on_disk]
    if missing:
        errors.append(
            f"{len(missing)} shard file(s) named in weight_map are missing (first: "
            f"{missing[0]!r}); the weights are incomplete, {_RECOPY}"
        )
    variables: dict[str, list[dict[str, Any]]] = {}
    external: list[dict[str, str]] = []
    groups_by_shard: dict[str, set[str]] = {}
    vars_names: dict[str, str] = {}
    for shard in on_disk:
        shard_path = path.parent / shard
        try:
            with open(shard_path, "rb") as fh:
                if fh.read(len(SIGNATURE)) != SIGNATURE:
                    raise OSError("no HDF5 signature")
            with _open(shard_path) as h5:
                tree = _walk(h5)
        except ArtifactError as exc:
            errors.append(f"shard {shard}: {exc.problem}; {_RECOPY}")
            continue
        except (OSError, RuntimeError, KeyError, ValueError, TypeError) as exc:
            errors.append(f"shard {shard}: {_corrupt(shard_path, exc).problem}; {_RECOPY}")
            continue
        groups_by_shard[shard] = set(tree.groups)
        vars_names.update(tree.vars_names)
        external += [{**link, "path": f"{shard}:{link['path']}"} for link in tree.external_links]
        for owner, items in _v3_variables(tree).items():
            variables.setdefault(owner, []).extend(items)
    unresolved = [
        f"{key} in {shard}"
        for key, shards in weight_map.items()
        for shard in shards
        if shard in groups_by_shard and key.strip("/") not in groups_by_shard[shard]
    ]
    for items in variables.values():
        items.sort(key=lambda item: (len(item["name"]), item["name"]))
    if unresolved:
        errors.append(
            f"{len(unresolved)} weight_map entr(ies) point to groups absent from their shard "
            f"(first: {unresolved[0]!r}); the weights are incomplete, {_RECOPY}"
        )
    evidence = [
        f"Keras 3 sharded weights: {path.name} maps {len(weight_map)} variable group(s) to "
        f"{len(referenced)} shard file(s)"
    ]
    details = {
        **_v3_summary(variables, vars_names),
        "named_weights_h5": False,
        "sharded": True,
        "sharded_part": False,
        "shards": on_disk,
        "missing_shards": missing,
        "total_size": total_size,
        "external_links": external,
        "extension": _SHARDS_SUFFIX,
        "extension_matches": True,
    }
    return Reading(
        "keras-v3-weights",
        producer={},
        details=details,
        evidence=tuple(evidence),
        errors=tuple(errors),
        raw={"variables": variables, "weight_map": weight_map},
    )


def _loss_summary(loss: Any) -> Any:
    """The loss as recorded: a name, a serialized loss object's class, per-output dict or list."""
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, Mapping):
        if isinstance(loss.get("class_name"), str):
            if loss["class_name"] == "function" and isinstance(loss.get("config"), str):
                return loss["config"]
            return loss["class_name"]
        return {str(k): _loss_summary(v) for k, v in loss.items()}
    if isinstance(loss, list | tuple):
        return [_loss_summary(v) for v in loss]
    return str(loss)
