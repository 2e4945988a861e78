"""Step: SessionBundle export (`export.meta` + `export` checkpoint) -> TF2 SavedModel.

SessionBundle, TF Serving's format before SavedModel, kept its interface in the MetaGraph's
`serving_signatures` collection (a `tensorflow.serving.Signatures`, read by the audit): a default
signature (regression: input -> output; classification: input -> classes, scores) and named
generic signatures (name -> tensor). They map onto SignatureDefs the way TF Serving's
`bundle_shim` upgraded bundles: the default becomes `serving_default` (`inputs` -> `outputs`, or
`classes`/`scores`); the named pair `inputs`/`outputs` becomes `predict`; any other named generic
signature keeps its name, its Placeholder tensors as inputs and the others as outputs.

The graph is imported with `tf.compat.v1.train.import_meta_graph`, the checkpoint restored in a
Session, and each signature exported as a concrete function over the graph with the variables
re-created as `tf.Variable`s (`graphdef_to_sm.graph_signatures_to_saved_model`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from migrator.convert.registry import conversion_step
from migrator.errors import ConversionError, first_line
from migrator.knowledge.graph_import import REF_VARIABLE_OPS, RESOURCE_VARIABLE_OPS

_PLACEHOLDERS = frozenset({"Placeholder", "PlaceholderWithDefault"})


def bundle_signatures(
    signatures: Mapping[str, Any], is_input: Any
) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """SignatureDef key -> ({input key: tensor}, {output key: tensor}) from the audit's reading
    of `serving_signatures`; `is_input(tensor name)` says whether a tensor is fed."""
    out: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    default = signatures.get("default") or {}
    if default.get("type") == "regression":
        out["serving_default"] = ({"inputs": default["input"]}, {"outputs": default["output"]})
    elif default.get("type") == "classification":
        outputs = {k: default[k] for k in ("classes", "scores") if default.get(k)}
        out["serving_default"] = ({"inputs": default["input"]}, outputs)
    named = dict(signatures.get("named") or {})
    pair = named.get("inputs"), named.get("outputs")
    if all(p and p.get("type") == "generic" for p in pair):
        out["predict"] = (dict(pair[0]["map"]), dict(pair[1]["map"]))
        named.pop("inputs")
        named.pop("outputs")
    for key, sig in sorted(named.items()):
        if sig.get("type") != "generic":
            continue
        tensors = dict(sig.get("map") or {})
        ins = {k: v for k, v in tensors.items() if is_input(v)}
        outs = {k: v for k, v in tensors.items() if not is_input(v)}
        if ins and outs:
            out[key] = (ins, outs)
    if "serving_default" not in out and out:
        out["serving_default"] = out["predict" if "predict" in out else sorted(out)[0]]
    return out


def _spec(tf: Any, tensor: Any) -> tuple[str, Any, Any]:
    shape = tensor.shape.as_list() if tensor.shape.rank is not None else None
    return tensor.name, shape, tensor.dtype


@conversion_step(
    "session-bundle-to-savedmodel",
    source="session-bundle",
    target="saved-model",
    validate_with=("newest",),
    summary="SessionBundle export (export.meta + checkpoint) -> TF2 SavedModel with its "
    "serving_signatures as SignatureDefs",
)
def run(
    src: str,
    out_dir: str,
    *,
    facts: Mapping[str, Any] | None = None,
    **_: Any,
) -> dict[str, Any]:
    import tensorflow as tf

    from migrator.convert.steps.graphdef_to_sm import graph_signatures_to_saved_model

    facts = facts or {}
    folder = Path(src)
    v1 = tf.compat.v1
    graph = tf.Graph()
    with v1.Session(graph=graph) as sess:
        try:
            saver = v1.train.import_meta_graph(str(folder / "export.meta"), clear_devices=True)
            if saver is not None:
                saver.restore(sess, str(folder / "export"))
        except Exception as exc:
            first = first_line(exc)
            raise ConversionError(
                src,
                f"TensorFlow cannot restore the bundle ({type(exc).__name__}: {first})",
                "check that the export checkpoint files beside export.meta are complete",
            ) from exc

        def is_input(name: str) -> bool:
            return graph.get_tensor_by_name(name).op.type in _PLACEHOLDERS

        mapped = bundle_signatures(facts.get("bundle_signatures") or {}, is_input)
        if not mapped:
            raise ConversionError(
                src,
                "serving_signatures holds no signature with both inputs and outputs",
                "re-export the model as a SavedModel from its training code",
            )
        signatures = {
            key: (
                {k: _spec(tf, graph.get_tensor_by_name(t)) for k, t in ins.items()},
                {k: t for k, t in outs.items()},
            )
            for key, (ins, outs) in mapped.items()
        }
        fetched = {t.split(":")[0] for _, outs in mapped.values() for t in outs.values()}
        sub = v1.graph_util.extract_sub_graph(graph.as_graph_def(), sorted(fetched))
        kept = {n.name for n in sub.node if n.op in REF_VARIABLE_OPS | RESOURCE_VARIABLE_OPS}
        variables = [v for v in v1.global_variables() if v.op.name in kept]
        values = dict(zip([v.op.name for v in variables], sess.run(variables), strict=False))
    target = Path(out_dir) / "saved_model"
    graph_signatures_to_saved_model(sub, signatures, target, variables=values)
    inputs, outputs = signatures["serving_default"]
    return {
        "path": str(target),
        "changes": [
            f"serving_signatures -> SignatureDefs {sorted(signatures)} "
            "(reference variables re-created as tf.Variable)"
        ],
        "notes": ["SessionBundle signatures mapped as TF Serving's bundle_shim did"],
        "signature": [
            {"name": k, "shape": inputs[k][1], "dtype": inputs[k][2].name} for k in sorted(inputs)
        ],
        "input_names": sorted(inputs),
        "input_tensors": [inputs[k][0] for k in sorted(inputs)],
        "output_tensors": [outputs[k] for k in sorted(outputs)],
    }
