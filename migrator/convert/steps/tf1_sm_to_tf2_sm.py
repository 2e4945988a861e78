"""Step: TF1 / estimator / tf.contrib SavedModel -> TF2 SavedModel with `serving_default`.

Graph-mode SavedModels have no object graph; TF2 loads them through `tf.compat.v1` machinery.
Two ways out, chosen by the graph:

- resource variables only: `tf.saved_model.load(dir, tags)` wraps each signature in a pruned
  function with its variables, tables and assets, and `tf.saved_model.save` writes it again
  with the chosen signature as `serving_default` (plus the others that are callable);
- reference variables (`VariableV2`, everything TF 1.x wrote): those cannot leave the TF1 graph,
  so the graph is loaded in a `tf.compat.v1.Session`, the signature's subgraph extracted, and each
  variable re-created as a `tf.Variable` with its restored value (`graphdef_to_sm`).

The MetaGraph is the one tagged `serve` (or `--tags`), the signature `serving_default` (or
`--signature`, or the only one there is).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from migrator.convert.registry import conversion_step
from migrator.errors import ConversionError

REF_VARIABLE_OPS = frozenset({"VariableV2", "Variable", "TemporaryVariable"})


def choose_tags(meta_graphs: Sequence[Mapping[str, Any]], wanted: Sequence[str]) -> list[str]:
    tag_sets = [list(m.get("tags") or []) for m in meta_graphs]
    if wanted:
        if tag_sets and not any(set(t) == set(wanted) for t in tag_sets):
            raise ConversionError(
                "SavedModel",
                f"no MetaGraph is tagged {sorted(wanted)}",
                f"choose one of the tag sets {tag_sets} with --tags",
            )
        return list(wanted)
    for tags in tag_sets:
        if set(tags) == {"serve"}:
            return tags
    if len(tag_sets) == 1:
        return tag_sets[0]
    serve = [t for t in tag_sets if "serve" in t]
    if len(serve) == 1:
        return serve[0]
    raise ConversionError(
        "SavedModel",
        f"several MetaGraphs ({tag_sets}) and none tagged just 'serve'",
        "choose one with --tags",
    )


def choose_signature(keys: Sequence[str], wanted: str | None) -> str:
    if wanted:
        if wanted not in keys:
            raise ConversionError(
                "SavedModel",
                f"no signature {wanted!r}",
                f"choose one of {sorted(keys)} with --signature",
            )
        return wanted
    if "serving_default" in keys:
        return "serving_default"
    if len(keys) == 1:
        return keys[0]
    raise ConversionError(
        "SavedModel",
        f"no serving_default signature and several others ({sorted(keys)})",
        "choose the one to serve with --signature",
    )


def _shape(proto: Any) -> list[int | None] | None:
    if proto.unknown_rank:
        return None
    return [d.size if d.size >= 0 else None for d in proto.dim]


@conversion_step(
    "tf1-savedmodel-to-tf2",
    source="tf1-saved-model",
    target="saved-model",
    validate_with=("newest",),
    summary="TF1 / estimator / tf.contrib SavedModel -> TF2 SavedModel "
    "with a `serving_default` signature",
)
def run(
    src: str,
    out_dir: str,
    *,
    facts: Mapping[str, Any] | None = None,
    tags: Sequence[str] = (),
    signature: str | None = None,
    **_: Any,
) -> dict[str, Any]:
    import tensorflow as tf

    from migrator.convert.steps.graphdef_to_sm import graph_to_saved_model

    facts = facts or {}
    chosen_tags = choose_tags(facts.get("meta_graphs") or [], tags)
    v1 = tf.compat.v1
    graph = tf.Graph()
    with v1.Session(graph=graph) as sess:
        try:
            meta = v1.saved_model.loader.load(sess, chosen_tags, src)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
            raise ConversionError(
                src,
                f"TensorFlow cannot load the MetaGraph {chosen_tags} "
                f"({type(exc).__name__}: {first})",
                "check that variables/ is complete and the ops exist in this TensorFlow",
            ) from exc
        key = choose_signature(list(meta.signature_def), signature)
        sig = meta.signature_def[key]
        uses_ref = any(n.op in REF_VARIABLE_OPS for n in graph.as_graph_def().node)
        inputs = {
            k: (v.name, _shape(v.tensor_shape), tf.dtypes.as_dtype(v.dtype))
            for k, v in sig.inputs.items()
        }
        outputs = {k: v.name for k, v in sig.outputs.items()}
        if any(not v.name for v in list(sig.inputs.values()) + list(sig.outputs.values())):
            raise ConversionError(
                src,
                f"signature {key!r} uses sparse or composite tensors",
                "export a signature with dense tensors",
            )
        target = Path(out_dir) / "saved_model"
        if uses_ref:
            sub = v1.graph_util.extract_sub_graph(
                graph.as_graph_def(), sorted({n.split(":")[0] for n in outputs.values()})
            )
            names = [n.name for n in sub.node if n.op in REF_VARIABLE_OPS]
            values = (
                dict(zip(names, sess.run([f"{n}:0" for n in names]), strict=False)) if names else {}
            )
    if uses_ref:
        info = graph_to_saved_model(sub, inputs, outputs, target, variables=values)
        how = "reference variables re-created as tf.Variable"
    else:
        loaded = tf.saved_model.load(src, tags=chosen_tags)
        tf.saved_model.save(
            loaded, str(target), signatures={"serving_default": loaded.signatures[key]}
        )
        info = {
            "signature": [
                {"name": k, "shape": inputs[k][1], "dtype": inputs[k][2].name}
                for k in sorted(inputs)
            ],
            "input_names": sorted(inputs),
        }
        how = "re-saved through tf.saved_model.load"
    return {
        "path": str(target),
        "changes": [f"MetaGraph {chosen_tags}, signature {key!r} -> serving_default ({how})"],
        "notes": [],
        "signature": info["signature"],
        "input_names": info["input_names"],
        "tags": chosen_tags,
        "signature_key": key,
    }
