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

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from migrator.convert.registry import conversion_step
from migrator.errors import ConversionError, first_line
from migrator.knowledge.graph_import import (
    GRAPH_EXPORT_LOADERS,
    LEGACY_ASSETS_COLLECTION,
    LOADED_SPARSE_SIGNATURES_RESAVE_DIRECTLY,
    REF_VARIABLE_OPS,
    RESOURCE_VARIABLE_OPS,
    TABLE_INITIALIZERS_COLLECTION,
)


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


def choose_signature(
    keys: Sequence[str], wanted: str | None, methods: Mapping[str, str] | None = None
) -> str:
    """The signature serving gets by default: `--signature`, else `serving_default`, else the
    only one, else the first (sorted) whose method is predict, else the first sorted key."""
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
    if not keys:
        raise ConversionError(
            "SavedModel", "the MetaGraph has no signature to serve", "re-export it with one"
        )
    methods = methods or {}
    predict = [k for k in sorted(keys) if methods.get(k, "").endswith("/predict")]
    return (predict or sorted(keys))[0]


def signature_io_of(
    tf: Any, sig: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, tuple[Any, list[str]]]]:
    """(flat inputs, outputs, composite inputs) of one SignatureDef (`signature_io`); a
    composite whose TypeSpec this TensorFlow cannot decode is a ConversionError naming it."""
    from migrator.convert.signature_io import flat_inputs, flat_outputs

    try:
        inputs, composites = flat_inputs(tf, sig)
        outputs = flat_outputs(tf, sig)
    except Exception as exc:
        names = sorted(k for k, v in [*sig.inputs.items(), *sig.outputs.items()] if not v.name)
        raise ConversionError(
            "SavedModel",
            f"the composite tensor(s) {names} have a TypeSpec this TensorFlow cannot rebuild "
            f"({type(exc).__name__})",
            "serve a signature with dense or sparse tensors with --signature",
        ) from exc
    return inputs, outputs, composites


def refine_shapes(graph: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """Signature inputs with their unknown dimensions filled in from the ops consuming them
    (through Identity/Cast): a Conv2D fixes the channels, a MatMul the features, so derived
    test inputs fit the graph. Unknown batch dimensions stay unknown."""
    from migrator.convert.steps.graphdef_to_sm import _consumed_shape

    out = dict(inputs)
    for key, (name, shape, dtype) in inputs.items():
        if shape is None or all(d is not None for d in shape[1:]):
            continue
        frontier, implied = [graph.get_tensor_by_name(name)], None
        while frontier and implied is None:
            tensor = frontier.pop()
            for op in tensor.consumers():
                if op.type in ("Identity", "Cast") and op.outputs:
                    frontier.append(op.outputs[0])
                    continue
                index = [i for i, x in enumerate(op.inputs) if x is tensor]
                found = _consumed_shape(op, index[0]) if index else None
                if found is not None and len(found) == len(shape):
                    implied = found
                    break
        if implied is not None:
            merged = [d if d is not None else i for d, i in zip(shape, implied, strict=True)]
            out[key] = (name, [None, *merged[1:]] if shape[0] is None else merged, dtype)
    return out


def exercise_signatures(
    tf: Any,
    target: Path,
    keys: Sequence[str],
    examples: Mapping[str, Any],
    shapes: Mapping[str, Any] = {},
) -> list[str]:
    """Call every exported signature once (derived inputs) so none is published untried."""
    import numpy as np

    loaded = tf.saved_model.load(str(target))
    ran = []
    for key in keys:
        fn = loaded.signatures[key]
        feed = {}
        for name, spec in sorted(fn.structured_input_signature[1].items()):
            # tf.Example protos, sparse/ragged components: derived for one signature, they
            # fit another's input of the same name only if the dtype agrees.
            example = examples.get(name)
            if example is not None and tf.constant(example).dtype == spec.dtype:
                feed[name] = tf.constant(example)
                continue
            if spec.dtype == tf.string:
                if name not in examples:
                    break
                feed[name] = tf.constant(examples[name])
                continue
            if spec.shape.rank is None:
                dims = [2]
            else:
                known = shapes.get(name) or spec.shape.as_list()
                if len(known) != spec.shape.rank:
                    known = spec.shape.as_list()
                dims = [2 if d is None else d for d in known]
            value = np.ones(dims, dtype=spec.dtype.as_numpy_dtype)
            feed[name] = tf.constant(value)
        else:
            try:
                fn(**feed)
            except Exception as exc:
                raise ConversionError(
                    str(target),
                    f"the converted signature {key!r} does not run ({type(exc).__name__}: "
                    f"{first_line(exc, 200)})",
                    "convert only the signature you serve with --signature",
                ) from exc
            ran.append(key)
    return ran


@conversion_step(
    "tf1-savedmodel-to-tf2",
    source="tf1-saved-model",
    target="saved-model",
    validate_with=("newest",),
    summary="TF1 / estimator / tf.contrib SavedModel -> TF2 SavedModel "
    "with every signature and `serving_default`",
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
    facts = facts or {}
    chosen = choose_tags(facts.get("meta_graphs") or [], tags)
    return convert_meta_graph(src, out_dir, chosen, signature)


def convert_meta_graph(
    src: str, out_dir: str, chosen_tags: list[str], signature: str | None
) -> dict[str, Any]:
    """The MetaGraph tagged exactly `chosen_tags` (which may be empty: a TF1 Hub module's
    inference variant) as a TF2 SavedModel whose serving_default is `signature` (or the one
    `choose_signature` picks), every other signature with outputs kept by name."""
    import tensorflow as tf
    from tensorflow.core.protobuf import meta_graph_pb2

    from migrator.convert.signature_io import example_components, output_tensor_names
    from migrator.convert.steps.graphdef_to_sm import graph_signatures_to_saved_model
    from migrator.convert.tf1_examples import example_inputs, save_examples

    v1 = tf.compat.v1
    graph = tf.Graph()
    target = Path(out_dir) / "saved_model"
    with v1.Session(graph=graph) as sess:
        try:
            meta = v1.saved_model.loader.load(sess, chosen_tags, src)
        except Exception as exc:
            first = first_line(exc)
            raise ConversionError(
                src,
                f"TensorFlow cannot load the MetaGraph {chosen_tags} "
                f"({type(exc).__name__}: {first})",
                "check that variables/ is complete and the ops exist in this TensorFlow",
            ) from exc
        methods = {k: v.method_name for k, v in meta.signature_def.items()}
        usable: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        composites: dict[str, dict[str, tuple[Any, list[str]]]] = {}
        for k in sorted(meta.signature_def):
            inputs, outputs, composite = signature_io_of(tf, meta.signature_def[k])
            if outputs:
                usable[k] = (inputs, outputs)
                composites[k] = composite
        key = choose_signature(list(meta.signature_def), signature, methods)
        if key not in usable:
            raise ConversionError(
                src,
                f"signature {key!r} has no outputs to serve",
                f"serve one of {sorted(usable)} with --signature"
                if usable
                else "re-export the model with a signature that has outputs",
            )
        inputs, outputs = usable[key]
        strings = example_inputs(sess, graph, {k: v[0] for k, v in inputs.items()}) or {}
        inputs = refine_shapes(graph, inputs)
        graph_def = graph.as_graph_def()
        uses_ref = any(n.op in REF_VARIABLE_OPS for n in graph_def.node)
        fetched = {
            n.split(":")[0]
            for _, outs in usable.values()
            for spec in outs.values()
            for n in output_tensor_names(spec)
        }
        table_inits = sorted(
            {
                n.split(":")[0].lstrip("^")
                for n in meta.collection_def[TABLE_INITIALIZERS_COLLECTION].node_list.value
            }
            if TABLE_INITIALIZERS_COLLECTION in meta.collection_def
            else set()
        )
        # Asset files (vocabularies) the loader fed by path: they travel with the export
        # (MetaGraphDef.asset_file_def, or packed AssetFileDefs in a collection before TF 1.9).
        asset_defs = list(meta.asset_file_def)
        if LEGACY_ASSETS_COLLECTION in meta.collection_def:
            for packed in meta.collection_def[LEGACY_ASSETS_COLLECTION].any_list.value:
                asset_def = meta_graph_pb2.AssetFileDef()
                packed.Unpack(asset_def)
                asset_defs.append(asset_def)
        assets = {
            a.tensor_info.name: str(Path(src) / "assets" / a.filename)
            for a in asset_defs
            if (Path(src) / "assets" / a.filename).is_file()
        }
        # Every signature input is kept, even one its outputs do not read (a sparse input's
        # dense_shape often is not), since each signature's function feeds all of them.
        fed = {t.split(":")[0] for ins, _ in usable.values() for t, _, _ in ins.values()}
        sub = v1.graph_util.extract_sub_graph(graph_def, sorted(fetched | fed | set(table_inits)))
        # A Session ran the table initializers once (legacy_init_op); inside a function
        # every lookup must come after them, so they become the lookups' control inputs.
        kept_nodes = {node.name for node in sub.node}
        for node in sub.node:
            if node.op.startswith(("LookupTableFind", "LookupTableSize")):
                node.input.extend(f"^{name}" for name in table_inits)
        values = variable_values(v1, sess, sub)
    # Valid sparse/ragged components (built eagerly, outside the Session's graph) for the
    # served signature first, then for every other exported signature's composites.
    examples = {**strings}
    for name in [key, *sorted(usable)]:
        for k, v in example_components(tf, composites[name]).items():
            examples.setdefault(k, v)
    exported = dict(usable)
    exported["serving_default"] = usable[key]
    exported_composites = {k: composites[k] for k in usable}
    exported_composites["serving_default"] = composites[key]
    routes = {
        "saved_model_load": "loaded with tf.saved_model.load(dir, tags), as current TensorFlow "
        "loads it",
        "graph_import": "graph imported per signature, variables -> tf.Variable",
    }
    failure: ConversionError | None = None
    for route in GRAPH_EXPORT_LOADERS["reference" if uses_ref else "resource"]:
        how = routes[route]
        shutil.rmtree(target, ignore_errors=True)
        try:
            if route == "saved_model_load":
                _resave_loaded(tf, src, chosen_tags, target, exported, key, exported_composites)
            else:
                graph_signatures_to_saved_model(
                    sub,
                    exported,
                    target,
                    variables=values,
                    init_ops=table_inits,
                    assets={t: a for t, a in assets.items() if t.split(":")[0] in kept_nodes},
                    composites=exported_composites,
                )
            ran = exercise_signatures(
                tf, target, sorted(exported), examples, {k: v[1] for k, v in inputs.items()}
            )
            break
        except ConversionError as exc:
            failure = exc
        except Exception as exc:
            first = first_line(exc)
            failure = ConversionError(
                src,
                f"the graph cannot be re-exported ({how}: {type(exc).__name__}: {first})",
                "check that variables/ is complete and the ops exist in this TensorFlow",
            )
    else:
        assert failure is not None
        raise failure
    notes = []
    if key != "serving_default":
        notes.append(
            f"the source has no serving_default signature: all of {sorted(usable)} are kept and "
            f"serving_default is {key!r}"
        )
    with_composites = sorted(k for k, v in exported_composites.items() if v)
    if with_composites:
        notes.append(
            f"signatures {with_composites} take sparse/ragged inputs: as TF2 signatures they "
            "take each one's components (<key>_indices/_values/_dense_shape, "
            "<key>_component_<i>), as tf.saved_model.load names them; "
            "loaded.composite.<signature>(...) takes the tf.SparseTensor/tf.RaggedTensor itself"
        )
    untried = sorted(set(exported) - set(ran))
    if untried:
        notes.append(f"signatures not exercised (string inputs with no parser): {untried}")
    result: dict[str, Any] = {
        "path": str(target),
        "changes": [
            f"MetaGraph {chosen_tags}: signatures {sorted(usable)} kept, serving_default = "
            f"{key!r} ({how})"
        ],
        "notes": notes,
        "signature": [
            {"name": k, "shape": inputs[k][1], "dtype": inputs[k][2].name} for k in sorted(inputs)
        ],
        "input_names": sorted(inputs),
        "input_tensors": [inputs[k][0] for k in sorted(inputs)],
        "tags": chosen_tags,
        "signature_key": key,
    }
    wanted = {k: v for k, v in examples.items() if k in inputs}
    if wanted:
        for k in sorted(set(inputs) - set(wanted)):  # dense inputs beside them: fixed values
            wanted[k] = _dense_example(inputs[k][1], inputs[k][2])
        result["validation_inputs"] = save_examples(
            Path(out_dir) / "example_inputs.npz", sorted(inputs), wanted
        )
        result["notes"].append(
            "validation inputs: "
            + ", ".join(
                part
                for part, present in (
                    ("tf.Example protos built from the graph's parse ops", strings),
                    ("complete sparse/ragged components", composites[key]),
                )
                if present
            )
        )
    return result


def _dense_example(shape: Any, dtype: Any) -> Any:
    import numpy as np

    dims = [2] if shape is None else [2 if d is None else d for d in shape]
    if dtype.is_bool:
        return np.zeros(dims, dtype=bool)
    if dtype.is_integer:
        return np.ones(dims, dtype=dtype.as_numpy_dtype)
    return np.random.default_rng(0).uniform(-1, 1, dims).astype(dtype.as_numpy_dtype)


def variable_values(v1: Any, sess: Any, sub: Any) -> dict[str, Any]:
    """Variable op name -> restored value, for the variables the subgraph holds (reference
    variables read directly, resource variables through the graph's global variables)."""
    names = [n.name for n in sub.node if n.op in REF_VARIABLE_OPS]
    values = dict(zip(names, sess.run([f"{n}:0" for n in names]), strict=False)) if names else {}
    handles = {n.name for n in sub.node if n.op in RESOURCE_VARIABLE_OPS}
    resource = [v for v in v1.global_variables() if v.op.name in handles]
    values.update(zip([v.op.name for v in resource], sess.run(resource), strict=False))
    return values


def _resave_loaded(
    tf: Any,
    src: str,
    tags: Sequence[str],
    target: Path,
    exported: Mapping[str, Any],
    key: str,
    composites: Mapping[str, Mapping[str, tuple[Any, list[str]]]],
) -> None:
    """`tf.saved_model.load(src, tags)` and save its signatures again. Signatures with sparse or
    ragged inputs are wrapped in functions of explicit arguments first (TensorFlow cannot write
    them again as loaded: `LOADED_SPARSE_SIGNATURES_RESAVE_DIRECTLY`)."""
    from migrator.convert.signature_io import attach_composite_functions

    loaded = tf.saved_model.load(src, tags=list(tags))
    functions: dict[str, Any] = {}
    with_composites: dict[str, Any] = {}
    for name in exported:
        fn = loaded.signatures[key if name == "serving_default" else name]
        if composites.get(name) and not LOADED_SPARSE_SIGNATURES_RESAVE_DIRECTLY:
            specs = fn.structured_input_signature[1]
            keys = sorted(specs)
            flat = [tf.TensorSpec(specs[k].shape, specs[k].dtype, name=k) for k in keys]
            fn = tf.function(
                lambda *a, _fn=fn, _keys=tuple(keys): _fn(**dict(zip(_keys, a, strict=True))),
                input_signature=flat,
            )
            with_composites[name] = (fn, keys, composites[name])
        functions[name] = fn
    attach_composite_functions(tf, loaded, with_composites)
    tf.saved_model.save(loaded, str(target), signatures=functions)
