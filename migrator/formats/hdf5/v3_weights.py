"""Keras 3 weights (`keras-v3-weights`): ``.weights.h5`` files and sharded ``.weights.json`` sets.

Keras 3's ``H5IOStore`` writes groups ``<path>/vars`` holding datasets ``0``, ``1``, ...
(``layers/<name>/vars``, ``optimizer/vars``, root ``vars``) and no ``layer_names`` attribute;
tf.keras 2.13 used ``_layer_checkpoint_dependencies`` for ``layers``. Sharded weights
(``save_weights("m.weights.json", max_shard_size=...)``) are one artifact: `claim_group` takes
the ``<name>.weights.json`` sharding config (``metadata``, ``weight_map``) with its
``<name>_00000.weights.h5``, ... shards.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from migrator.errors import ArtifactError
from migrator.formats.hdf5.details import KerasV3WeightsDetails
from migrator.formats.hdf5.files import (
    RECOPY,
    SIGNATURE,
    V3_WEIGHTS_SUFFIX,
    corrupt,
    error,
    extension_of,
    open_file,
)
from migrator.formats.hdf5.tree import Tree, nbytes, walk
from migrator.model import Reading

SHARD_NAME = re.compile(r"_\d{5}\.weights\.h5$")
SHARDS_SUFFIX = ".weights.json"
_MAX_SHARD_MAP_BYTES = 16 * 1024 * 1024


def _v3_variables(tree: Tree) -> dict[str, list[dict[str, Any]]]:
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
        "weight_bytes": sum(nbytes(v["shape"], v["dtype"]) for v in all_vars),
        "dtypes": sorted({v["dtype"] for v in all_vars}),
        "optimizer": optimizer_count > 0,
        "optimizer_variable_count": optimizer_count,
        "legacy_layer_key": any(o.startswith("_layer_checkpoint_dependencies/") for o in variables),
    }


def read_v3_weights(path: Path, tree: Tree, vars_groups: list[str], evidence: list[str]) -> Reading:
    variables = _v3_variables(tree)
    summary = _v3_summary(variables, tree.vars_names)
    named = path.name.lower().endswith(V3_WEIGHTS_SUFFIX)
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
    details = KerasV3WeightsDetails(
        **summary,
        named_weights_h5=named,
        sharded=False,
        sharded_part=bool(SHARD_NAME.search(path.name.lower())),
        external_links=tree.external_links,
        extension=extension_of(path.name),
    )
    return Reading(
        "keras-v3-weights",
        producer={},
        details=details,
        evidence=tuple(evidence),
        raw={"variables": variables},
    )


# --- Keras 3 sharded weights: <name>.weights.json + <name>_00000.weights.h5, ... -----------------


def _shard_map(path: Path) -> tuple[dict[str, list[str]], Any, bool] | None:
    """(weight_map, metadata.total_size, whether the map names lists) of a Keras sharding config,
    or None if it is not one.

    ``weight_map`` maps an HDF5 group (``/layers/dense/vars``) to its shard file (Keras 3.10);
    Keras 3.11+ writes a list of shard files, since one group's variables may span several
    shards. Both come back as lists; the third value says which form the file used, which
    decides whether Keras 3.10 reads it (loadability `sharded_weights_shard_lists`).
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
    listed = any(isinstance(value, list) for value in weight_map.values())
    return normalized, metadata.get("total_size"), listed


def _shard_pattern(config_name: str) -> re.Pattern[str]:
    base = config_name[: -len(SHARDS_SUFFIX)]
    return re.compile(re.escape(base) + r"_\d{5}\.weights\.h5$")


def claim_group(path: Path, names: frozenset[str]) -> list[tuple[str, tuple[str, ...]]]:
    """A Keras 3 sharding config (``save_weights(..., max_shard_size=...)``) and its shards."""
    out = []
    for name in sorted(names):
        if not name.endswith(SHARDS_SUFFIX):
            continue
        parsed = _shard_map(path / name)
        if parsed is None:
            continue
        pattern = _shard_pattern(name)
        members = {name, *(n for n in names if pattern.match(n))}
        members |= {s for shards in parsed[0].values() for s in shards if s in names}
        out.append((name, tuple(sorted(members))))
    return out


def read_sharded(path: Path) -> Reading:
    parsed = _shard_map(path)
    if parsed is None:
        raise error(
            path,
            "keras-v3-weights",
            "sharded weights config is not a JSON object with 'metadata' and 'weight_map'",
            "re-save the weights with model.save_weights(..., max_shard_size=...)",
        )
    weight_map, total_size, listed = parsed
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
            f"{missing[0]!r}); the weights are incomplete, {RECOPY}"
        )
    variables: dict[str, list[dict[str, Any]]] = {}
    external: list[dict[str, str]] = []
    groups_by_shard: dict[str, set[str]] = {}
    vars_names: dict[str, str] = {}
    for shard in on_disk:
        shard_path = path.parent / shard
        try:
            with shard_path.open("rb") as fh:
                if fh.read(len(SIGNATURE)) != SIGNATURE:
                    raise OSError("no HDF5 signature")
            with open_file(shard_path) as h5:
                tree = walk(h5)
        except ArtifactError as exc:
            errors.append(f"shard {shard}: {exc.problem}; {RECOPY}")
            continue
        except (OSError, RuntimeError, KeyError, ValueError, TypeError) as exc:
            errors.append(f"shard {shard}: {corrupt(shard_path, exc).problem}; {RECOPY}")
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
            f"(first: {unresolved[0]!r}); the weights are incomplete, {RECOPY}"
        )
    evidence = [
        f"Keras 3 sharded weights: {path.name} maps {len(weight_map)} variable group(s) to "
        f"{len(referenced)} shard file(s)"
    ]
    details = KerasV3WeightsDetails(
        **_v3_summary(variables, vars_names),
        named_weights_h5=False,
        sharded=True,
        sharded_part=False,
        shards=on_disk,
        missing_shards=missing,
        total_size=total_size,
        external_links=external,
        extension=SHARDS_SUFFIX,
    )
    return Reading(
        "keras-v3-weights",
        producer={},
        details=details,
        evidence=tuple(evidence),
        errors=tuple(errors),
        raw={"variables": variables, "weight_map": weight_map, "shard_lists": listed},
    )
