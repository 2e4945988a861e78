"""Step: tf.train.Saver checkpoint with its `.meta` MetaGraph -> TF2 SavedModel.

TF 1.x training scripts saved `<prefix>.meta` (the graph) beside `<prefix>.index`/`.data-*` (the
values) and restored them with `import_meta_graph` + `Saver.restore`, the only loader of this
pair (`knowledge.graph_import.META_GRAPH_RESTORE`). The graph rarely names its interface, so the
signature is, in this order: the tensors the user named (`--input-tensors`/`--output-tensors`),
the MetaGraph's own SignatureDef (`--signature` or `serving_default`), or what the graph says
unambiguously (`graph_interface.infer_interface`: interface collections, an inference-only graph,
or a training graph's predictions). Otherwise the refusal lists what the graph offers and names
the options.

Only the subgraph the outputs need is imported, each variable's value read from the checkpoint
under its op name (`knowledge.graph_import.SAVER_KEYS_ARE_VARIABLE_OP_NAMES`): importing the
whole MetaGraph would fail on training ops current TensorFlow no longer has (tf.contrib input
pipelines), and gradients, optimizer slots and savers are not part of the model. The subgraph is
exported behind a `serving_default` signature with every variable re-created as a `tf.Variable`
(`graphdef_to_sm`). Outputs over variables the Saver never wrote are left out (said in the
notes); validation runs the source as TF 1.x did, `import_meta_graph` + `Saver.restore`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from migrator.convert.registry import conversion_step
from migrator.errors import ConversionError, NoFaithfulMapping, first_line
from migrator.knowledge.graph_import import REF_VARIABLE_OPS, RESOURCE_VARIABLE_OPS

VARIABLE_OPS = REF_VARIABLE_OPS | RESOURCE_VARIABLE_OPS
# The remedy when the graph does not say its interface (here, and in `classify`'s plan).
NAME_THE_TENSORS = (
    "name the tensors to serve: migrator convert --input-tensors NAME:0,... --output-tensors "
    "NAME:0,... (or export a SavedModel from the training code, e.g. "
    "estimator.export_saved_model)"
)


def _op(tensor: str) -> str:
    return tensor.lstrip("^").split(":")[0]


def _tf_error(src: str, problem: str, exc: BaseException, remedy: str) -> ConversionError:
    """`problem (TensorFlow's exception: its first line)`, one line, with the remedy."""
    return ConversionError(src, f"{problem} ({type(exc).__name__}: {first_line(exc)})", remedy)


def _saved_outputs(
    v1: Any, graph_def: Any, outputs: Sequence[str], saved: set[str]
) -> tuple[list[str], list[str]]:
    """(outputs whose variables the checkpoint holds, the others): a script that rebuilt its
    graph several times and saved one copy leaves outputs over variables never written."""
    kept, dropped = [], []
    for tensor in outputs:
        sub = v1.graph_util.extract_sub_graph(graph_def, [_op(tensor)])
        needs = {n.name for n in sub.node if n.op in VARIABLE_OPS}
        (kept if needs <= saved else dropped).append(tensor)
    return kept, dropped


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
    )
    from migrator.convert.tf1_examples import save_examples

    facts = facts or {}
    prefix, meta_path = checkpoint_files(src, facts)
    v1 = tf.compat.v1
    meta = v1.MetaGraphDef()
    try:
        meta.ParseFromString(Path(meta_path).read_bytes())
        reader = tf.train.load_checkpoint(prefix)
        saved = set(reader.get_variable_to_shape_map())
    except Exception as exc:
        raise _tf_error(
            src,
            "TensorFlow cannot read the checkpoint or its .meta graph",
            exc,
            "check that the .index/.data files beside the .meta are complete",
        ) from exc
    graph_def = meta.graph_def
    for node in graph_def.node:  # the GPU of the training machine is not needed to serve
        node.device = ""
        # Shapes TF 1.x recorded at save time; fed inputs get new ones, which these would
        # contradict ("has an _output_shapes attribute inconsistent"); inference redoes them.
        if "_output_shapes" in node.attr:
            del node.attr["_output_shapes"]
    nodes = {n.name: n for n in graph_def.node}
    composites: dict[str, Any] = {}
    inputs: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    dropped: list[str] = []
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
            needed = v1.graph_util.extract_sub_graph(graph_def, [_op(t) for t in named_out])
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
                NAME_THE_TENSORS,
            ) from None
        named_out, dropped = _saved_outputs(v1, graph_def, interface.outputs, saved)
        if not named_out:
            raise NoFaithfulMapping(
                src,
                f"the outputs the graph computes ({', '.join(interface.outputs)}) need "
                "variables the checkpoint does not hold (the Saver saved another part of the "
                "graph)",
                "convert the checkpoint saved with those variables, or name other tensors "
                "with --output-tensors",
            )
        needed = v1.graph_util.extract_sub_graph(graph_def, [_op(t) for t in named_out])
        named_in = [t for t in interface.inputs if _op(t) in {n.name for n in needed.node}]
        how = f"inferred from the graph ({interface.how})"
    fetched = {_op(n) for t in [*named_out, *outputs.values()] for n in output_tensor_names(t)}
    fed = {_op(t) for t in named_in} | {_op(v[0]) for v in inputs.values()}
    sub = v1.graph_util.extract_sub_graph(graph_def, sorted(fetched | fed))
    variables = [n.name for n in sub.node if n.op in VARIABLE_OPS]
    unsaved = [v for v in variables if v not in saved]
    if unsaved:
        raise NoFaithfulMapping(
            src,
            f"the served outputs need variable(s) {unsaved[:5]} that the checkpoint does not "
            "hold",
            "convert the checkpoint saved with them, or name other tensors with "
            "--output-tensors",
        )
    values = {v: reader.get_tensor(v) for v in variables}
    graph = tf.Graph()
    try:
        with graph.as_default():
            tf.graph_util.import_graph_def(sub, name="")
    except Exception as exc:
        raise _tf_error(
            src,
            "the graph the outputs need does not import in this TensorFlow",
            exc,
            "name other tensors with --input-tensors/--output-tensors, or convert the "
            "checkpoint in the TensorFlow that wrote it",
        ) from exc
    if named_out:
        specs = placeholder_specs(tf, sub, sorted({_op(t) for t in named_in}))
        for name in named_in:
            shape, dtype = specs[_op(name)]
            inputs[_clean(name)] = (name, shape, dtype)
        outputs = {_clean(n): n for n in named_out}
    inputs = _switch_predicates(graph, refine_shapes(graph, inputs))
    target = Path(out_dir) / "saved_model"
    signatures = {"serving_default": (inputs, outputs)}
    try:
        graph_signatures_to_saved_model(
            sub, signatures, target, variables=values, composites=composites
        )
    except Exception as exc:
        raise _tf_error(
            src,
            "the graph cannot be exported",
            exc,
            "name other tensors with --input-tensors/--output-tensors",
        ) from exc
    examples = {k: _neutral_example(v[1], v[2]) for k, v in inputs.items()}
    if composites.get("serving_default"):
        examples.update(example_components(tf, composites["serving_default"]))
    exercise_signatures(
        tf, target, ["serving_default"], examples, {k: v[1] for k, v in inputs.items()}
    )
    training = [n.name for n in graph_def.node if n.name not in {m.name for m in sub.node}]
    notes = [f"{len(training)} graph node(s) the outputs do not need (training, saving) left out"]
    if dropped:
        notes.append(
            f"outputs {dropped} not served: they need variables the checkpoint does not hold"
        )
    return {
        "path": str(target),
        "changes": [
            f"serving_default: inputs {sorted(inputs)}, outputs {sorted(outputs)} ({how}); "
            f"{len(values)} variable(s) read from {Path(prefix).name}"
        ],
        "notes": notes,
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
