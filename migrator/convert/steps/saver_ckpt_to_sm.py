"""Step: tf.train.Saver checkpoint with its `.meta` MetaGraph -> TF2 SavedModel.

TF 1.x training scripts saved `<prefix>.meta` (the graph) beside `<prefix>.index`/`.data-*` (the
values) and restored them with `import_meta_graph` + `Saver.restore`, the only loader of this
pair (`knowledge.graph_import.META_GRAPH_RESTORE`). The graph rarely names its interface, so the
signature is, in this order: the tensors the user named (`--input-tensors`/`--output-tensors`),
the MetaGraph's own SignatureDef (`--signature` or `serving_default`), or what the graph says
unambiguously (`graph_interface.infer_interface`: interface collections, an inference-only graph,
or a training graph's predictions). Otherwise the refusal lists what the graph offers and names
the options.

The subgraph the outputs need is exported behind a `serving_default` signature with every
variable re-created as a `tf.Variable` of its restored value (`graphdef_to_sm`), so training
leftovers (gradients, optimizer slots, savers) are not carried over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from migrator.convert.registry import conversion_step
from migrator.errors import ConversionError, NoFaithfulMapping


def checkpoint_files(src: str, facts: Mapping[str, Any]) -> tuple[str, str]:
    """(checkpoint prefix, .meta path) of the artifact at `src` (the prefix or its folder)."""
    path = Path(src)
    prefix = str(facts.get("prefix") or path.name)
    base = path if path.is_dir() else path.parent
    if path.name == prefix:
        base = path.parent
    return str(base / prefix), str(base / f"{prefix}.meta")


def _neutral_example(shape: Any, dtype: Any) -> Any:
    """A validation input: scalars (a `keep_prob`, an `is_training` switch) get the inference
    value (1, False) so dropout and training branches stay off; tensors get fixed values."""
    import numpy as np

    if shape is not None and len(shape) == 0 or shape is None:
        if dtype.is_bool:
            return np.asarray(False)
        return np.asarray(1, dtype=dtype.as_numpy_dtype)
    dims = [2 if d is None else d for d in shape]
    if dtype.is_bool:
        return np.zeros(dims, dtype=bool)
    if dtype.is_integer:
        return np.zeros(dims, dtype=dtype.as_numpy_dtype)
    return np.random.default_rng(0).uniform(-1, 1, dims).astype(dtype.as_numpy_dtype)


def _switch_predicates(graph: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """Inputs of unknown rank that a `Switch` reads as its predicate (a `tf.cond` on an
    `is_training` placeholder) are scalars: the op accepts nothing else."""
    out = dict(inputs)
    for key, (name, shape, dtype) in inputs.items():
        if shape is not None:
            continue
        frontier = [graph.get_tensor_by_name(name)]
        while frontier:
            tensor = frontier.pop()
            for op in tensor.consumers():
                if op.type == "Identity":
                    frontier.append(op.outputs[0])
                elif op.type in ("Switch", "RefSwitch") and op.inputs[1] is tensor:
                    out[key] = (name, [], dtype)
                    frontier = []
                    break
    return out


@conversion_step(
    "saver-checkpoint-to-savedmodel",
    source="tf1-checkpoint",
    target="saved-model",
    validate_with=("newest",),
    summary="tf.train.Saver checkpoint + .meta graph -> TF2 SavedModel (interface inferred "
    "from the graph or named with --input-tensors/--output-tensors)",
)
def run(
    src: str,
    out_dir: str,
    *,
    facts: Mapping[str, Any] | None = None,
    input_tensors: Sequence[str] = (),
    output_tensors: Sequence[str] = (),
    signature: str | None = None,
    **_: Any,
) -> dict[str, Any]:
    import tensorflow as tf

    from migrator.convert.graph_interface import Ambiguous, collections_of, infer_interface
    from migrator.convert.signature_io import example_components, output_tensor_names
    from migrator.convert.steps.graphdef_to_sm import (
        _clean,
        graph_signatures_to_saved_model,
        placeholder_specs,
    )
    from migrator.convert.steps.tf1_sm_to_tf2_sm import (
        choose_signature,
        exercise_signatures,
        refine_shapes,
        signature_io_of,
        variable_values,
    )
    from migrator.convert.tf1_examples import save_examples

    facts = facts or {}
    prefix, meta_path = checkpoint_files(src, facts)
    v1 = tf.compat.v1
    graph = tf.Graph()
    with v1.Session(graph=graph) as sess:
        try:
            saver = v1.train.import_meta_graph(meta_path, clear_devices=True)
            if saver is None:
                saver = v1.train.Saver()
            saver.restore(sess, prefix)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
            raise ConversionError(
                src,
                f"TensorFlow cannot restore the checkpoint with its graph "
                f"({type(exc).__name__}: {first})",
                "check that the .index/.data files beside the .meta are complete",
            ) from exc
        meta = v1.train.export_meta_graph(graph=graph)
        graph_def = graph.as_graph_def()
        nodes = {n.name: n for n in graph_def.node}
        composites: dict[str, Any] = {}
        if input_tensors or output_tensors:
            named_in = [t if ":" in t else f"{t}:0" for t in input_tensors]
            named_out = [t if ":" in t else f"{t}:0" for t in output_tensors]
            missing = [t for t in named_in + named_out if t.split(":")[0] not in nodes]
            if missing:
                raise ConversionError(
                    src,
                    f"no tensor {missing[0]!r} in the graph",
                    "check the names given to --input-tensors/--output-tensors (`migrator "
                    "inspect` lists the graph's ops)",
                )
            if not named_out:
                raise ConversionError(
                    src,
                    "--input-tensors given without --output-tensors",
                    "name the outputs too: --output-tensors NAME:0,...",
                )
            if not named_in:  # the placeholders the named outputs need
                needed = v1.graph_util.extract_sub_graph(
                    graph_def, [t.split(":")[0] for t in named_out]
                )
                named_in = [f"{n.name}:0" for n in needed.node if n.op == "Placeholder"]
            how = "tensors named with --input-tensors/--output-tensors"
        elif meta.signature_def:
            key = choose_signature(list(meta.signature_def), signature)
            inputs, outputs, found = signature_io_of(tf, meta.signature_def[key])
            named_in, named_out = [], []
            composites = {"serving_default": found}
            how = f"the MetaGraph's signature {key!r}"
        else:
            try:
                interface = infer_interface(graph_def.node, collections_of(meta))
            except Ambiguous as exc:
                raise NoFaithfulMapping(
                    src,
                    f"the .meta graph has no signature and {exc}",
                    "name the tensors to serve: migrator convert --input-tensors NAME:0,... "
                    "--output-tensors NAME:0,... (or export a SavedModel from the training "
                    "code, e.g. estimator.export_saved_model)",
                ) from None
            named_in, named_out = list(interface.inputs), list(interface.outputs)
            how = f"inferred from the graph ({interface.how})"
        if named_out:
            specs = placeholder_specs(
                tf,
                v1.graph_util.extract_sub_graph(
                    graph_def, sorted({t.split(":")[0] for t in named_out + named_in})
                ),
                sorted({t.split(":")[0] for t in named_in}),
            )
            inputs = {}
            for name in named_in:
                shape, dtype = specs[name.split(":")[0]]
                inputs[_clean(name)] = (name, shape, dtype)
            outputs = {_clean(n): n for n in named_out}
        inputs = _switch_predicates(graph, refine_shapes(graph, inputs))
        fetched = sorted(
            {n.split(":")[0] for o in outputs.values() for n in output_tensor_names(o)}
        )
        sub = v1.graph_util.extract_sub_graph(graph_def, fetched)
        values = variable_values(v1, sess, sub)
    target = Path(out_dir) / "saved_model"
    signatures = {"serving_default": (inputs, outputs)}
    try:
        graph_signatures_to_saved_model(
            sub, signatures, target, variables=values, composites=composites
        )
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        raise ConversionError(
            src,
            f"the graph cannot be exported ({type(exc).__name__}: {first})",
            "name other tensors with --input-tensors/--output-tensors",
        ) from exc
    examples = {k: _neutral_example(v[1], v[2]) for k, v in inputs.items()}
    if composites.get("serving_default"):
        examples.update(example_components(tf, composites["serving_default"]))
    exercise_signatures(
        tf, target, ["serving_default"], examples, {k: v[1] for k, v in inputs.items()}
    )
    training = [n.name for n in graph_def.node if n.name not in {m.name for m in sub.node}]
    return {
        "path": str(target),
        "changes": [
            f"serving_default: inputs {sorted(inputs)}, outputs {sorted(outputs)} ({how}); "
            f"{len(values)} variable(s) restored from {Path(prefix).name}"
        ],
        "notes": [
            f"{len(training)} graph node(s) the outputs do not need (training, saving) left out"
        ],
        "signature": [
            {"name": k, "shape": inputs[k][1], "dtype": inputs[k][2].name} for k in sorted(inputs)
        ],
        "input_names": sorted(inputs),
        "input_tensors": [inputs[k][0] for k in sorted(inputs)],
        "output_tensors": [n for k in sorted(outputs) for n in output_tensor_names(outputs[k])],
        "validation_inputs": save_examples(
            Path(out_dir) / "example_inputs.npz", sorted(inputs), examples
        ),
    }
