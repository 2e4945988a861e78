"""One MetaGraph's part of the report: tags, versions, signatures, ops, saver, assets.

Signatures are rendered as `saved_model_cli show` prints them (dtype names like "DT_FLOAT",
shapes with -1 for unknown sizes), so a user can compare the two.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.message import DecodeError

from migrator.formats import graphdef, protos
from migrator.formats.graphdef import GraphFacts


def meta_graph_details(meta: Any, facts: GraphFacts) -> dict[str, Any]:
    """The `meta_graphs` entry of one MetaGraphDef (see `SavedModelDetails.meta_graphs`)."""
    info = meta.meta_info_def
    saver = None
    if meta.HasField("saver_def"):
        saver = {
            "version": protos.enum_name("SaverDef.CheckpointFormatVersion", meta.saver_def.version),
            "sharded": bool(meta.saver_def.sharded),
        }
    return {
        "tags": list(info.tags),
        "tensorflow_version": info.tensorflow_version or None,
        "tensorflow_git_version": info.tensorflow_git_version or None,
        "signatures": {key: _signature(sig) for key, sig in sorted(meta.signature_def.items())},
        "op_types": facts.op_types,
        "node_count": facts.node_count,
        "function_count": facts.function_count,
        "function_node_count": facts.function_node_count,
        "variable_nodes": facts.variable_nodes,
        "object_graph": meta.HasField("object_graph_def"),
        "saver": saver,
        "collections": sorted(meta.collection_def),
        "asset_files": _asset_files(meta),
    }


def _signature(sig: Any) -> dict[str, Any]:
    return {
        "method_name": sig.method_name,
        "inputs": {key: _tensor_info(info) for key, info in sorted(sig.inputs.items())},
        "outputs": {key: _tensor_info(info) for key, info in sorted(sig.outputs.items())},
    }


def _tensor_info(info: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": info.name or None,
        "dtype": protos.dtype_name(info.dtype),
        "shape": graphdef.shape_list(info.tensor_shape),
    }
    if info.HasField("coo_sparse"):
        coo = info.coo_sparse
        out["name"] = coo.values_tensor_name or None
        out["sparse"] = {
            "values": coo.values_tensor_name,
            "indices": coo.indices_tensor_name,
            "dense_shape": coo.dense_shape_tensor_name,
        }
    elif info.HasField("composite_tensor"):
        out["composite_components"] = [c.name for c in info.composite_tensor.components]
    return out


def _asset_files(meta: Any) -> list[str]:
    names = {a.filename for a in meta.asset_file_def if a.filename}
    collection = meta.collection_def.get("saved_model_assets")
    if collection is not None:
        for item in collection.any_list.value:
            if item.type_url.endswith("AssetFileDef"):
                try:
                    asset = protos.parse("AssetFileDef", item.value)
                except DecodeError:
                    continue
                if asset.filename:
                    names.add(asset.filename)
    return sorted(names)
