"""Run a SavedModel, a TF1 graph, a frozen GraphDef or a SessionBundle on fixed inputs.

The non-Keras model runs of validation, in a worker of any TensorFlow line (TensorFlow imported
inside each function). Each returns the run's description (signature, output names, weight names
and digests, runtime versions) and writes its outputs with `run_results`; weights stay held in
the worker (see `run_results`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from migrator.convert.run_results import (
    load_inputs,
    plain_array,
    record_outputs,
    record_weights,
    versions,
)


def _signature_tensors(signature: Any) -> tuple[list[dict[str, Any]], list[str]]:
    inputs = []
    spec = signature.structured_input_signature[1]
    for name in sorted(spec):
        s = spec[name]
        inputs.append(
            {
                "name": name,
                "shape": s.shape.as_list() if s.shape.rank is not None else None,
                "dtype": s.dtype.name,
            }
        )
    outputs = sorted(signature.structured_outputs)
    return inputs, outputs


def run_saved_model(
    path: str,
    inputs: str | None,
    out: str,
    *,
    signature: str = "serving_default",
    input_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """tf.saved_model.load and call one signature with inputs by name (sorted)."""
    import tensorflow as tf

    loaded = tf.saved_model.load(path)
    if signature not in loaded.signatures:
        from migrator.errors import ValidationFailed

        raise ValidationFailed(
            path,
            f"the SavedModel has no {signature!r} signature "
            f"(has: {', '.join(sorted(loaded.signatures)) or 'none'})",
        )
    fn = loaded.signatures[signature]
    sig_inputs, sig_outputs = _signature_tensors(fn)
    info: dict[str, Any] = {"signature": sig_inputs, "outputs": sig_outputs}
    seen: dict[str, Any] = {}
    for var in list(getattr(loaded, "variables", None) or []) + list(fn.variables):
        seen.setdefault(var.name.split(":")[0], var)
    variables = sorted(((name, var.numpy()) for name, var in seen.items()), key=lambda p: p[0])
    record_weights(info, out, [n for n, _ in variables], [v for _, v in variables])
    del variables
    if inputs is not None:
        x = load_inputs(inputs)
        names = list(input_names or [s["name"] for s in sig_inputs])
        feed = {n: tf.constant(a) for n, a in zip(names, x, strict=False)}
        result = fn(**feed)
        # A sparse/ragged output is compared component by component (signature_io).
        outputs = [
            plain_array(part.numpy())
            for k in sig_outputs
            for part in tf.nest.flatten(result[k], expand_composites=True)
        ]
        record_outputs(info, out, outputs)
    info["runtime"] = versions()
    return info


def run_tf1_saved_model(
    path: str,
    inputs: str | None,
    out: str,
    *,
    tags: Sequence[str],
    signature: str,
) -> dict[str, Any]:
    """Load a graph-mode SavedModel in a tf.compat.v1 Session and run one signature."""
    import tensorflow as tf

    from migrator.convert.signature_io import (
        flat_inputs,
        flat_outputs,
        output_labels,
        output_tensor_names,
    )

    v1 = tf.compat.v1
    graph = tf.Graph()
    with v1.Session(graph=graph) as sess:
        meta = v1.saved_model.loader.load(sess, list(tags), path)
        # An export without an init op (tf.Transform's transform_fn) leaves its lookup tables
        # to the caller; initialising a table again with the same data is a no-op.
        tables = graph.get_collection("table_initializer")
        if tables:  # vocabulary files are fed by path, as the loader feeds its init op
            from tensorflow.python.saved_model import loader_impl

            sess.run(tables, feed_dict=loader_impl.get_asset_tensors(path, meta))
        sig = meta.signature_def[signature]
        # Sparse/ragged inputs and outputs as their components, as the converted signature has.
        flat_in, _ = flat_inputs(tf, sig)
        flat_out = flat_outputs(tf, sig)
        in_keys = sorted(flat_in)
        out_keys = sorted(flat_out)
        info: dict[str, Any] = {
            "signature": [
                {"name": k, "dtype": flat_in[k][2].name, "shape": flat_in[k][1]} for k in in_keys
            ],
            "outputs": [label for k in out_keys for label in output_labels(k, flat_out[k])],
        }
        variables = sorted(v1.global_variables(), key=lambda v: v.name)
        values = sess.run(variables) if variables else []
        record_weights(info, out, [v.name.split(":")[0] for v in variables], values)
        del values
        if inputs is not None:
            x = load_inputs(inputs)
            feed = {flat_in[k][0]: a for k, a in zip(in_keys, x, strict=False)}
            fetch = [n for k in out_keys for n in output_tensor_names(flat_out[k])]
            record_outputs(info, out, sess.run(fetch, feed_dict=feed))
    info["runtime"] = versions()
    return info


def run_graph_def(
    path: str,
    inputs: str | None,
    out: str,
    *,
    input_tensors: Sequence[str],
    output_tensors: Sequence[str],
) -> dict[str, Any]:
    """Import a frozen GraphDef (binary or text) and run it in a tf.compat.v1 Session."""
    import tensorflow as tf

    from migrator.convert.steps.graphdef_to_sm import prune_to_outputs, read_graph_def

    v1 = tf.compat.v1
    graph_def = prune_to_outputs(read_graph_def(Path(path)), output_tensors, input_tensors)
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    info: dict[str, Any] = {"outputs": list(output_tensors)}
    record_weights(info, out, [], [])
    with v1.Session(graph=graph) as sess:
        if inputs is not None:
            x = load_inputs(inputs)
            feed = {graph.get_tensor_by_name(n): a for n, a in zip(input_tensors, x, strict=False)}
            fetch = [graph.get_tensor_by_name(n) for n in output_tensors]
            record_outputs(info, out, sess.run(fetch, feed))
    info["runtime"] = versions()
    return info


def run_session_bundle(
    path: str,
    inputs: str | None,
    out: str,
    *,
    input_tensors: Sequence[str],
    output_tensors: Sequence[str],
    meta: str = "export.meta",
    prefix: str = "export",
) -> dict[str, Any]:
    """Import a MetaGraph (a SessionBundle's export.meta; a Saver checkpoint's `<prefix>.meta`
    with `meta`/`prefix` given, relative to `path` or absolute), restore its checkpoint and run
    tensors in a Session."""
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    info: dict[str, Any] = {"outputs": list(output_tensors)}
    with v1.Session(graph=graph) as sess:
        saver = v1.train.import_meta_graph(str(Path(path) / meta), clear_devices=True)
        if saver is not None:
            saver.restore(sess, str(Path(path) / prefix))
        # The weights the served outputs compute with (a training graph's other variables,
        # optimizer slots and leftovers are not part of the model).
        needed = v1.graph_util.extract_sub_graph(
            graph.as_graph_def(), sorted({n.split(":")[0] for n in output_tensors})
        )
        kept = {n.name for n in needed.node}
        variables = sorted(
            (v for v in v1.global_variables() if v.op.name in kept), key=lambda v: v.name
        )
        values = sess.run(variables) if variables else []
        record_weights(info, out, [v.name.split(":")[0] for v in variables], values)
        del values
        if inputs is not None:
            x = load_inputs(inputs)
            feed = {graph.get_tensor_by_name(n): a for n, a in zip(input_tensors, x, strict=False)}
            fetch = [graph.get_tensor_by_name(n) for n in output_tensors]
            record_outputs(info, out, sess.run(fetch, feed))
    info["runtime"] = versions()
    return info
