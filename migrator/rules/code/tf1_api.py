"""Code rules for APIs that are gone or TF1-only (MIG208-MIG209, MIG211-MIG215): one row of
`TF1_API_ROWS` per rule, registered as rules that flag calls to the row's APIs, with a milder
severity when they are reached through `tf.compat.v1`.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from dataclasses import dataclass

from migrator.rules import Hit, Rule, register
from migrator.rules._python import CodeContext, tf_api

# --- APIs that are gone or TF1-only: one table row per rule ---------------------------------


@dataclass(frozen=True)
class ApiRow:
    """A rule that flags calls to one family of removed or TF1-only APIs."""

    id: str
    name: str
    title: str
    severity: str  # reached as written (e.g. `tf.train.Saver` in TF 2: gone)
    compat_severity: str  # reached through `tf.compat.v1` (still runs)
    apis: tuple[str, ...]  # canonical names; `tensorflow.X` also matches `tensorflow.compat.v1.X`
    problem: str  # "{call}" is replaced by the call's source
    remedy: str
    doc: str
    deprecated_in: str = ""
    breaks_in: str = ""
    convert: str = ""


TF1_API_ROWS: tuple[ApiRow, ...] = (
    ApiRow(
        id="MIG208",
        name="tf-contrib-keras-savedmodel",
        title="`tf.contrib.saved_model.save_keras_model` / `load_keras_model`",
        severity="high",
        compat_severity="high",
        apis=(
            "tensorflow.contrib.saved_model.save_keras_model",
            "tensorflow.contrib.saved_model.load_keras_model",
        ),
        problem="`{call}` uses `tf.contrib`, which TensorFlow 2.0 removed; its timestamped train/eval/serve "
        "SavedModels load as Keras models only under TF 1.x",
        remedy="save with `model.save('model.keras')` (or `model.export(dir)` for serving) and load with "
        "`keras.models.load_model`; convert existing exports with `migrator convert`",
        doc="""TF 1.x's `tf.contrib.saved_model.save_keras_model(model, path)` wrote a timestamped
        folder holding a TF1 SavedModel with separate train/eval/serve MetaGraphs plus the model's
        JSON config in `assets/saved_model.json`; `load_keras_model` read it back. `tf.contrib`
        is gone since TF 2.0 (AttributeError), and no current loader rebuilds a Keras model from
        those exports.

        Fix: save whole models with `model.save("model.keras")`, export serving SavedModels with
        `model.export(dir)` or `tf.saved_model.save`, and convert existing exports with
        `migrator convert` (to a TF2 SavedModel, and to `.keras` where the config is present).

        Fixes (`migrator fix`): unsafe: `model.export(path)` for the save and
        `tf.keras.layers.TFSMLayer(path, call_endpoint="serving_default")` for the load.""",
        deprecated_in="TF 1.15 (marked deprecated in favour of `tf.keras` saving)",
        breaks_in="TF 2.0: `tf.contrib` removed (AttributeError)",
        convert="tf1-savedmodel-to-tf2",
    ),
    ApiRow(
        id="MIG209",
        name="keras-experimental-savedmodel",
        title="`tf.keras.experimental.export_saved_model` / `load_from_saved_model`",
        severity="high",
        compat_severity="high",
        apis=("keras.experimental.export_saved_model", "keras.experimental.load_from_saved_model"),
        problem="`{call}` is the experimental TF 1.x Keras SavedModel API, gone from TensorFlow 2",
        remedy="save with `model.save('model.keras')` (or `model.export(dir)` for serving) and load with "
        "`keras.models.load_model`",
        doc="""`tf.keras.experimental.export_saved_model` / `load_from_saved_model` (the successors of
        the `tf.contrib.saved_model` functions) wrote TF1-style multi-MetaGraph SavedModels with
        `assets/saved_model.json`. They were deprecated in TF 1.15/2.0, left the TF2 `tf.keras`
        namespace in TF 2.1 (only `tf.compat.v1.keras.experimental` kept them), and are absent
        from every TF 2.12+ and from Keras 3 (AttributeError).

        Fix: `model.save("model.keras")` / `keras.models.load_model("model.keras")`, or
        `model.export(dir)` for serving; convert existing exports with `migrator convert`.

        Fixes (`migrator fix`): unsafe: `model.export(path)` for the export and
        `tf.keras.layers.TFSMLayer(path, call_endpoint="serving_default")` for the load.""",
        deprecated_in='TF 1.15 / 2.0 (warning: use `model.save(..., save_format="tf")`)',
        breaks_in="TF 2.1: removed from the TF2 `tf.keras` API; absent from `tf.compat.v1` too "
        "in TF 2.12+ (AttributeError)",
        convert="tf1-savedmodel-to-tf2",
    ),
    ApiRow(
        id="MIG211",
        name="tf1-simple-save",
        title="`tf.saved_model.simple_save` (TF1 graph + session)",
        severity="high",
        compat_severity="medium",
        apis=("tensorflow.saved_model.simple_save",),
        problem="`{call}` writes a TF1 graph-mode SavedModel from a `Session`",
        remedy="build a `tf.Module`/Keras model and save it with `tf.saved_model.save(obj, export_dir, "
        "signatures=...)` (or `model.export(export_dir)`)",
        doc="""`simple_save(session, export_dir, inputs, outputs)` freezes a TF1 graph and session into
        a SavedModel. It is deprecated (TF 1.15: "only available through the v1 compatibility
        library"), `tf.saved_model.simple_save` does not exist in TF 2 (AttributeError), and the
        `tf.compat.v1` spelling still runs but keeps the code on graph mode and sessions;
        the result has no object graph and no Keras model.

        Fix: express the model as a `tf.Module` or Keras model and export it with
        `tf.saved_model.save(obj, dir, signatures=...)` or `model.export(dir)`.""",
        deprecated_in="TF 1.15 (v1 compatibility library only)",
        breaks_in="TF 2.0: `tf.saved_model.simple_save` gone (AttributeError); "
        "`tf.compat.v1.saved_model.simple_save` still present in TF 2.21",
        convert="tf1-savedmodel-to-tf2",
    ),
    ApiRow(
        id="MIG212",
        name="tf1-savedmodel-builder",
        title="`SavedModelBuilder` (TF1 SavedModel builder)",
        severity="high",
        compat_severity="medium",
        apis=(
            "tensorflow.saved_model.Builder",
            "tensorflow.saved_model.builder.SavedModelBuilder",
        ),
        problem="`{call}` builds a TF1 graph-mode SavedModel (MetaGraphs from a `Session`)",
        remedy="export with `tf.saved_model.save(obj, export_dir, signatures=...)` or "
        "`model.export(export_dir)`",
        doc="""`tf.saved_model.Builder` / `tf.saved_model.builder.SavedModelBuilder` assemble SavedModels
        from TF1 sessions (`add_meta_graph_and_variables`). Both names are gone from the TF 2
        namespace (AttributeError); `tf.compat.v1.saved_model.Builder` still runs but only in graph
        mode, and its output is what estimators and TF Serving of the TF1 era consumed.

        Fix: export TF2 SavedModels with `tf.saved_model.save(obj, dir, signatures=...)` or
        `model.export(dir)`; convert existing exports with `migrator convert`.""",
        deprecated_in="TF 2.0 (moved to `tf.compat.v1`)",
        breaks_in="TF 2.0: `tf.saved_model.Builder` / `tf.saved_model.builder` gone "
        "(AttributeError); `tf.compat.v1` spelling still present in TF 2.21",
        convert="tf1-savedmodel-to-tf2",
    ),
    ApiRow(
        id="MIG213",
        name="tf1-train-saver",
        title="`tf.train.Saver` (TF1 name-based checkpoints)",
        severity="high",
        compat_severity="medium",
        apis=("tensorflow.train.Saver",),
        problem="`{call}` writes TF1 name-based checkpoints from a `Session`",
        remedy="use `tf.train.Checkpoint(model=model).save(prefix)` (object-based) or "
        "`model.save_weights('x.weights.h5')`",
        doc="""`tf.train.Saver` saves and restores variables by graph name through a `Session`. TF 2
        removed it from `tf.train` (AttributeError; `tf.compat.v1.train.Saver` still runs in graph
        mode), and its checkpoints are keyed by TF1 variable names that Keras 3 models do not use.

        Fix: `tf.train.Checkpoint(model=model, optimizer=opt)` with `.save()`/`.restore()` (or a
        `tf.train.CheckpointManager`), or Keras' `save_weights("x.weights.h5")`.""",
        deprecated_in="TF 2.0 (moved to `tf.compat.v1`)",
        breaks_in="TF 2.0: `tf.train.Saver` gone (AttributeError); `tf.compat.v1.train.Saver` "
        "still present in TF 2.21",
        convert="weights-to-keras",
    ),
    ApiRow(
        id="MIG214",
        name="tf1-import-meta-graph",
        title="`tf.train.import_meta_graph` (TF1 `.meta` graphs)",
        severity="high",
        compat_severity="medium",
        apis=("tensorflow.train.import_meta_graph",),
        problem="`{call}` rebuilds a TF1 graph from a `.meta` file into the default graph",
        remedy="load a SavedModel with `tf.saved_model.load(path)` (or `.keras` with "
        "`keras.models.load_model`); convert the checkpoint with `migrator convert`",
        doc="""`import_meta_graph` restores a TF1 `MetaGraphDef` (`model.ckpt.meta`) so a `Saver` can
        fill its variables in a `Session`. TF 2 removed it from `tf.train` (AttributeError;
        `tf.compat.v1.train.import_meta_graph` still runs in graph mode only).

        Fix: load TF2 SavedModels with `tf.saved_model.load` or `.keras` models with
        `keras.models.load_model`; convert `.meta` + checkpoint pairs with `migrator convert`.""",
        deprecated_in="TF 2.0 (moved to `tf.compat.v1`)",
        breaks_in="TF 2.0: `tf.train.import_meta_graph` gone (AttributeError); `tf.compat.v1` "
        "spelling still present in TF 2.21",
        convert="tf1-savedmodel-to-tf2",
    ),
    ApiRow(
        id="MIG215",
        name="tf1-freeze-graph",
        title="`freeze_graph` / `convert_variables_to_constants` (frozen GraphDefs)",
        severity="high",
        compat_severity="medium",
        apis=(
            "tensorflow.python.tools.freeze_graph.freeze_graph",
            "tensorflow.python.tools.freeze_graph.freeze_graph_with_def_protos",
            "tensorflow.graph_util.convert_variables_to_constants",
        ),
        problem="`{call}` freezes a TF1 graph into a GraphDef `.pb`, a format no current loader rebuilds a "
        "model from",
        remedy="export a SavedModel (`tf.saved_model.save` / `model.export`) and convert it with "
        "`tf.lite.TFLiteConverter.from_saved_model` where a frozen graph was wanted for TFLite",
        doc="""Freezing (`tensorflow.python.tools.freeze_graph`, `tf.compat.v1.graph_util.
        convert_variables_to_constants`) bakes variables into constants of a TF1 `GraphDef`.
        Both are TF1 tools kept for compatibility (medium); `tf.graph_util.
        convert_variables_to_constants` no longer exists in TF 2 (high). The resulting `.pb` has
        no signatures and no Keras model.

        Fix: export a SavedModel (`tf.saved_model.save`, `model.export`); TFLite and TF.js
        converters take SavedModels directly. Existing frozen graphs convert with
        `migrator convert`.""",
        deprecated_in="TF 1.14 (`tf.graph_util.convert_variables_to_constants` deprecated in "
        "favour of `tf.compat.v1.graph_util`)",
        breaks_in="TF 2.0: `tf.graph_util.convert_variables_to_constants` gone (AttributeError); "
        "`tensorflow.python.tools.freeze_graph` still importable in TF 2.21",
        convert="graphdef-to-savedmodel",
    ),
)


def _api_check(row: ApiRow) -> Callable[[ast.Call, CodeContext], Hit | None]:
    wanted = frozenset(row.apis)

    def check(node: ast.Call, ctx: CodeContext) -> Hit | None:
        stripped, how = tf_api(ctx.qualname(node.func))
        if stripped not in wanted:
            return None
        # `tf.compat.v1.X` and `tensorflow.python.*` internals still exist; `tf.X` may not.
        lenient = bool(how) or stripped.startswith("tensorflow.python.")
        severity = row.compat_severity if lenient else row.severity
        problem = row.problem.format(call=ctx.code(node))
        if row.severity != row.compat_severity:
            if how == "compat.v1":
                problem += " (it still runs through `tf.compat.v1`, in graph mode only)"
            elif how == "internal":
                problem += (
                    " (imported from TensorFlow's implementation modules, which still run it in "
                    "graph mode only; the public TF1 name is gone)"
                )
            elif not lenient:
                problem += "; this name no longer exists in TensorFlow 2 (AttributeError)"
        return Hit(problem, row.remedy, severity=None if severity == row.severity else severity)

    return check


for _row in TF1_API_ROWS:
    register(
        Rule(
            id=_row.id,
            name=_row.name,
            title=_row.title,
            severity=_row.severity,
            family="code",
            target="code",
            doc=inspect.cleandoc(_row.doc),
            deprecated_in=_row.deprecated_in,
            breaks_in=_row.breaks_in,
            convert=_row.convert,
            nodes=(ast.Call,),
            check=_api_check(_row),
        )
    )
