"""Code rules (MIG2xx): save/load/export patterns in Python and notebooks that current TF/Keras break.

Each rule is one decorated function, or one row of `TF1_API_ROWS` (APIs that are simply gone or
only reachable through `tf.compat.v1`). Checks run on the AST, so comments, strings and
docstrings that contain code are never flagged. Receivers are decided with care: `x.save(...)`
is Keras' only when `x` is a Keras model (built, loaded, or a subclass in the file), or, in a
file that imports TensorFlow/Keras, when its origin is unknown and its name reads as a model;
`tf.train.Checkpoint(...).save`, `np.save`, `torch.save`, `f.save` are never Keras'.

Versions quoted below were checked by running the calls under TF 2.12.1 / 2.15.1 (tf.keras 2.x)
and TF 2.16.2 (Keras 3.3.3) / 2.21.0 (Keras 3.15.1), and against keras-team/keras
`keras/src/saving/saving_api.py` and TensorFlow's API docs and release notes.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from migrator.knowledge.keras3 import KERAS3
from migrator.rules import Hit, Rule, code_rule, register
from migrator.rules._python import CodeContext, PathValue, looks_like_dir_name, tf_api

_MODEL_EXTS = (".keras", ".h5", ".hdf5")
_MISSING = object()


# --- small AST helpers ------------------------------------------------------------------------


def _arg(call: ast.Call, index: int, name: str) -> ast.expr | None:
    """Argument `name` of a call, given by keyword or at position `index` (None if absent)."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if index < len(call.args) and not any(
        isinstance(a, ast.Starred) for a in call.args[: index + 1]
    ):
        return call.args[index]
    return None


def _kw(call: ast.Call, name: str) -> ast.keyword | None:
    return next((kw for kw in call.keywords if kw.arg == name), None)


def _const(expr: ast.AST | None) -> object:
    return expr.value if isinstance(expr, ast.Constant) else _MISSING


def _kwconst(call: ast.Call, name: str) -> object:
    """The literal value of keyword `name`, `_MISSING` if absent or not a literal."""
    kw = _kw(call, name)
    return _const(kw.value) if kw is not None else _MISSING


def _method(call: ast.Call, *names: str) -> ast.expr | None:
    """The receiver of `receiver.<name>(...)` for one of `names` (None for other calls)."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in names:
        return func.value
    return None


def _keras_receiver(call: ast.Call, ctx: CodeContext, *names: str, strict: bool) -> ast.expr | None:
    """Receiver of a Keras-model method call. `strict`: for generic names like `save`."""
    receiver = _method(call, *names)
    if receiver is None or ctx.is_module_ref(receiver):
        return None
    if strict:
        return receiver if ctx.is_keras_model(receiver) else None
    kind = ctx.receiver_kind(receiver)
    if kind == "keras" or (kind == "unknown" and ctx.uses_keras):
        return receiver
    return None


def _model_save(call: ast.Call, ctx: CodeContext) -> tuple[ast.expr, ast.expr | None] | None:
    """(model, path) of `model.save(path)` or `keras.models.save_model(model, path)`."""
    q = ctx.qualname(call.func)
    if q in ("keras.models.save_model", "keras.saving.save_model"):
        model = _arg(call, 0, "model")
        return (model, _arg(call, 1, "filepath")) if model is not None else None
    receiver = _keras_receiver(call, ctx, "save", strict=True)
    if receiver is None:
        return None
    return receiver, _arg(call, 0, "filepath")


def _src(ctx: CodeContext, node: ast.AST | None, limit: int = 40) -> str:
    return ctx.code(node, limit) if node is not None else ""


def _literal(expr: ast.AST | None) -> str | None:
    value = _const(expr)
    return value if isinstance(value, str) else None


def _in_folder(ctx: CodeContext, path: ast.expr, pv: PathValue, filename: str) -> str:
    """Code for a file called `filename` inside the folder `path` names (or next to it)."""
    literal = _literal(path)
    if literal is not None:
        if "/" in literal.rstrip("/") or literal.endswith("/"):
            return repr(literal.rstrip("/") + "/" + filename)
        return repr(literal + PurePosixPath(filename).suffix) if literal else repr(filename)
    src = _src(ctx, path)
    if pv.pathlib:
        return f"{src} / {filename!r}"
    return f"os.path.join({src}, {filename!r})"


def _with_suffix(
    ctx: CodeContext, path: ast.expr, pv: PathValue, old: tuple[str, ...], new: str
) -> str:
    """Code for `path` with its suffix `old` (if any) replaced by `new`."""
    literal = _literal(path)
    if literal is not None:
        for suffix in old:
            if literal.endswith(suffix):
                return repr(literal[: -len(suffix)] + new)
        return repr(literal + new)
    src = _src(ctx, path)
    if pv.pathlib:
        return f"{src}.with_suffix({new!r})"
    return f"a path ending in `{new}` instead of `{src}`"


def _code(text: str) -> str:
    """Wrap code in backticks unless it is already prose."""
    return text if text.startswith("a path ") else f"`{text}`"


def _is_folder_target(pv: PathValue, exts: tuple[str, ...] = _MODEL_EXTS) -> str:
    """Is `pv` a folder rather than a model file: "known", "guessed" (from a name such as
    `export_dir`), or "" (no, or cannot tell)."""
    if pv.complete and pv.tail.startswith("hf://"):
        return ""
    if pv.is_folder or (pv.known and not pv.may_end_with(*exts)):
        return "known"
    if not pv.known and looks_like_dir_name(pv.hint):
        return "guessed"
    return ""


# --- Keras saving and loading -----------------------------------------------------------------


@code_rule(
    "MIG201",
    "keras-save-savedmodel-dir",
    title="`model.save()` to a folder writes a legacy Keras SavedModel",
    severity="high",
    deprecated_in="TF 2.13 (`.keras` became the format `model.save` recommends; the SavedModel "
    "route is legacy)",
    breaks_in=f'{KERAS3}: ValueError "Invalid filepath extension for saving. Please add either a '
    '`.keras` extension ... or a `.h5` extension"',
    convert="savedmodel-to-keras",
)
def save_to_folder(node: ast.Call, ctx: CodeContext) -> Hit | None:
    """`model.save(path)` (or `save_model(model, path)`) where the path has no `.keras`/`.h5`.

    Keras 2 (tf.keras <= 2.15) wrote a TensorFlow SavedModel folder with Keras metadata for such
    paths. Keras 3 refuses to write one (ValueError: Invalid filepath extension for saving) and
    `keras.models.load_model` cannot read the folders already written, so the code breaks on
    upgrade and its artifacts need conversion. The path is read statically: literals,
    f-strings, `os.path.join`, `pathlib` objects and variables assigned in the same scope; a path
    whose value is unknown is flagged only when its name says it is a folder (`export_dir`).
    `save_format="h5"` and Keras 3's `zipped=False` (an unzipped `.keras` folder) are not flagged
    here.

    Fix: save the whole model to a `.keras` file (`model.save(export_dir / "model.keras")`); for
    TF Serving / TFLite export a serving SavedModel with `model.export(export_dir)` (Keras 3,
    tf.keras >= 2.13) or `tf.saved_model.save(model, export_dir)`. Convert existing folders with
    `migrator convert`.
    """
    found = _model_save(node, ctx)
    if found is None or found[1] is None:
        return None
    model, path = found
    if _kwconst(node, "zipped") is False:
        return None
    if _kwconst(node, "save_format") in ("h5", "keras", "keras_v3"):
        return None
    pv = ctx.path(path)
    how = _is_folder_target(pv)
    if not how:
        return None
    call = ctx.code(node)
    if how == "guessed":
        problem = (
            f"`{call}` saves to `{_src(ctx, path)}`, which reads as a folder: Keras 2 writes a "
            "legacy SavedModel there and Keras 3 refuses (ValueError: Invalid filepath "
            "extension for saving)"
        )
    else:
        problem = (
            f"`{call}` writes a legacy Keras SavedModel folder, which Keras 3 cannot write or "
            "load (ValueError: Invalid filepath extension for saving)"
        )
    target = _in_folder(ctx, path, pv, "model.keras")
    remedy = (
        f"save to `{target}` or call `{_src(ctx, model)}.export({_src(ctx, path)})` for serving"
    )
    return Hit(problem, remedy)


@code_rule(
    "MIG202",
    "keras-save-format-argument",
    title="`save_format=` was removed from Keras 3 saving",
    severity="high",
    deprecated_in="TF 2.13 (the format follows the extension: `.keras`, `.h5`)",
    breaks_in=f'{KERAS3}: ValueError "The `save_format` argument is deprecated in Keras 3" '
    "(`model.save`), TypeError (`save_weights`); only a warning when the path already ends in "
    "`.keras`/`.h5`",
)
def save_format_argument(node: ast.Call, ctx: CodeContext) -> Hit | None:
    """`save_format=` passed to `model.save`, `save_model` or `save_weights`.

    Keras 3 chooses the format from the file extension alone. `model.save(..., save_format=...)`
    raises ValueError unless the path already ends in `.keras`/`.h5` (then it only logs a
    warning: severity low); `model.save_weights(..., save_format=...)` raises TypeError.
    `save_format="tf"` asked for a SavedModel, which Keras 3 no longer writes through `save`.

    Fix: remove `save_format=` and name the file `*.keras` (whole model) or `*.weights.h5`
    (weights); for a serving SavedModel call `model.export(path)`.
    """
    kw = _kw(node, "save_format")
    if kw is None:
        return None
    value = _const(kw.value)
    shown = repr(value) if value is not _MISSING else _src(ctx, kw.value)
    weights = _keras_receiver(node, ctx, "save_weights", strict=False)
    if weights is not None:
        return Hit(
            f"`save_weights(..., save_format={shown})`: Keras 3's `save_weights` has no "
            "`save_format` argument (TypeError)",
            "remove it and save to a path ending in `.weights.h5`",
            node=kw,
        )
    found = _model_save(node, ctx)
    if found is None:
        return None
    model, path = found
    pv = ctx.path(path)
    if pv.ends_with(".keras", ".h5", ".hdf5"):
        return Hit(
            f"`save_format={shown}` is redundant with the file extension and deprecated; "
            "Keras 3 ignores it with a warning",
            "remove the argument",
            node=kw,
            severity="low",
        )
    if value == "tf":
        remedy = (
            f"remove it and save to a `.keras` file, or call `{_src(ctx, model)}.export(...)` "
            "for a serving SavedModel"
        )
    else:
        remedy = "remove it and give the path a `.keras` extension (or `.h5` for legacy HDF5)"
    return Hit(
        f"`save_format={shown}` makes Keras 3 raise ValueError (The `save_format` argument is "
        "deprecated in Keras 3)",
        remedy,
        node=kw,
    )


@code_rule(
    "MIG203",
    "keras-save-h5",
    title="`model.save()` to `.h5` writes the legacy HDF5 format",
    severity="low",
    deprecated_in='TF 2.13 (UserWarning "You are saving your model as an HDF5 file via '
    '`model.save()`. This file format is considered legacy."; Keras 3 keeps the warning)',
    convert="h5-to-keras",
)
def save_h5(node: ast.Call, ctx: CodeContext) -> Hit | None:
    """`model.save("*.h5")` / `save_model(model, "*.hdf5")`: the legacy HDF5 whole-model format.

    Still written and read by Keras 3, but through its legacy code path with a warning: HDF5 keeps
    no Keras 3 metadata, stores custom objects by name only, and Keras 1/2-era HDF5 configs are
    what later Keras versions most often fail to rebuild.

    Fix: save to `.keras` (same call, new extension); convert existing `.h5` models with
    `migrator convert`.
    """
    found = _model_save(node, ctx)
    if found is None or found[1] is None:
        return None
    _, path = found
    pv = ctx.path(path)
    if not pv.ends_with(".h5", ".hdf5"):
        return None
    new = _with_suffix(ctx, path, pv, (".h5", ".hdf5"), ".keras")
    return Hit(
        f"`{ctx.code(node)}` writes legacy HDF5, which Keras 3 keeps only for compatibility "
        '("This file format is considered legacy")',
        f"save to {_code(new)}",
    )


@code_rule(
    "MIG204",
    "keras-save-weights-name",
    title="`save_weights()` to a path not ending in `.weights.h5`",
    severity="high",
    breaks_in=f'{KERAS3}: ValueError "The filename must end in `.weights.h5`"',
    convert="weights-to-keras",
)
def save_weights_name(node: ast.Call, ctx: CodeContext) -> Hit | None:
    """`model.save_weights(path)` where the path does not end in `.weights.h5`.

    In Keras 2 a path without `.h5` wrote a TensorFlow checkpoint (`ckpt.index` +
    `ckpt.data-00000-of-00001`) and `x.h5` wrote legacy HDF5 weights. Keras 3 accepts only
    `*.weights.h5` (or `*.weights.json` with `max_shard_size`) and raises ValueError otherwise.

    Fix: save to a path ending in `.weights.h5` (`weights_path.with_suffix(".weights.h5")`);
    convert existing TF checkpoints with `migrator convert` and the model's architecture.
    """
    receiver = _keras_receiver(node, ctx, "save_weights", strict=False)
    if receiver is None:
        return None
    path = _arg(node, 0, "filepath")
    if path is None:
        return None
    pv = ctx.path(path)
    allowed = (".weights.h5", ".weights.json") if _kw(node, "max_shard_size") else (".weights.h5",)
    if not pv.known or pv.may_end_with(*allowed):
        return None
    h5 = _kwconst(node, "save_format") == "h5"
    new = _with_suffix(ctx, path, pv, (".h5", ".hdf5"), ".weights.h5")
    if h5 or pv.may_end_with(".h5", ".hdf5"):
        what = "legacy HDF5 weights"
    else:
        what = "a TensorFlow-format checkpoint (`.index` + `.data-*` files)"
    return Hit(
        f"`{ctx.code(node)}` writes {what}; Keras 3 raises ValueError (The filename must end "
        "in `.weights.h5`)",
        f"save to {_code(new)}",
    )


@code_rule(
    "MIG205",
    "keras-load-weights-checkpoint",
    title="`load_weights()` from a TensorFlow checkpoint",
    severity="high",
    breaks_in=f'{KERAS3}: ValueError "File format not supported: filepath=... Keras 3 only '
    'supports V3 `.keras` files, `.weights.h5` files, legacy H5 format files"',
    convert="weights-to-keras",
)
def load_weights_checkpoint(node: ast.Call, ctx: CodeContext) -> Hit | None:
    """`model.load_weights(path)` where the path is a TF checkpoint prefix, not a Keras file.

    Keras 3 loads weights from `.weights.h5`, `.keras` and legacy `.h5`/`.hdf5` files only; a
    checkpoint prefix such as `ckpt` or `tf.train.latest_checkpoint(dir)` (what Keras 2's
    `save_weights("ckpt")` and `ModelCheckpoint(save_weights_only=True)` wrote) raises ValueError.

    Fix: convert the checkpoint once to `.weights.h5` (`migrator convert` with the model's
    architecture, or load it under tf.keras 2.15 / tf_keras and `save_weights("x.weights.h5")`),
    then load that file.
    """
    receiver = _keras_receiver(node, ctx, "load_weights", strict=False)
    if receiver is None:
        return None
    path = _arg(node, 0, "filepath")
    if path is None:
        return None
    pv = ctx.path(path)
    if pv.kind != "checkpoint" and (
        not pv.known or pv.may_end_with(".weights.h5", ".weights.json", ".keras", ".h5", ".hdf5")
    ):
        return None
    if ctx.uses_orbax and pv.kind != "checkpoint" and "ckpt" not in pv.tail.lower():
        return None  # may be an Orbax checkpoint folder, which Keras 3.12+ loads
    suffix = PurePosixPath(pv.tail).suffix.lower() if pv.tail else ""
    if pv.kind == "checkpoint" or not suffix or "ckpt" in pv.tail.lower() or suffix[1:].isdigit():
        what = "reads a TensorFlow-format checkpoint, which Keras 3 cannot load"
    else:  # `weights.pkl`, `model.pt`: not a TF checkpoint either, and not a Keras weights file
        what = f"reads a `{suffix}` file, which is no weights format Keras 3 loads"
    return Hit(
        f"`{ctx.code(node)}` {what} (ValueError: File format not supported)",
        "convert it once to `.weights.h5` (`migrator convert`) and load that file",
    )


@code_rule(
    "MIG206",
    "keras-model-checkpoint-path",
    title="`ModelCheckpoint` file name Keras 3 rejects",
    severity="high",
    breaks_in=f'{KERAS3}: ValueError "When using `save_weights_only=True` in `ModelCheckpoint`, '
    'the filepath provided must end in `.weights.h5`" / "The filepath provided must end in '
    '`.keras`" (`.h5` accepted again from Keras 3.8, keras-team/keras#20561)',
    convert="weights-to-keras",
)
def model_checkpoint_path(node: ast.Call, ctx: CodeContext) -> Hit | None:
    """`keras.callbacks.ModelCheckpoint(filepath, ...)` with a name Keras 3 refuses at construction.

    With `save_weights_only=True` Keras 3 requires `*.weights.h5`; the Keras 2 idioms
    `"cp-{epoch:04d}.ckpt"` (TF checkpoint) and `"weights.{epoch:02d}.hdf5"` raise ValueError.
    Saving whole models it requires `*.keras` (Keras 3.0-3.7; 3.8+ also takes `.h5`, as legacy
    HDF5: reported as medium). Format placeholders such as `{epoch:02d}` are fine.

    Fix: name the file `...{epoch:02d}.weights.h5` (weights) or `...{epoch:02d}.keras` (model).
    """
    if ctx.qualname(node.func) != "keras.callbacks.ModelCheckpoint":
        return None
    path = _arg(node, 0, "filepath")
    if path is None:
        return None
    pv = ctx.path(path)
    if not pv.known:
        return None
    weights_only = _const(_arg(node, 4, "save_weights_only"))
    call = ctx.code(node)
    if weights_only is True:
        if pv.may_end_with(".weights.h5"):
            return None
        new = _with_suffix(ctx, path, pv, (".h5", ".hdf5", ".ckpt"), ".weights.h5")
        return Hit(
            f"`{call}` saves weights to a name Keras 3 rejects (ValueError: ... the filepath "
            "provided must end in `.weights.h5`)",
            f"use {_code(new)}",
        )
    if weights_only is not False and weights_only is not _MISSING:
        return None
    if pv.may_end_with(".keras"):
        return None
    new = _with_suffix(ctx, path, pv, (".h5", ".hdf5", ".ckpt"), ".keras")
    if pv.ends_with(".h5"):
        return Hit(
            f"`{call}` saves whole models as legacy HDF5; Keras 3.0-3.7 raise ValueError (The "
            "filepath provided must end in `.keras`)",
            f"use {_code(new)}",
            severity="medium",
        )
    return Hit(
        f"`{call}` saves whole models to a name Keras 3 rejects (ValueError: The filepath "
        "provided must end in `.keras`)",
        f"use {_code(new)}",
    )


@code_rule(
    "MIG207",
    "keras-load-model-savedmodel",
    title="`load_model()` on a SavedModel folder",
    severity="high",
    breaks_in=f'{KERAS3}: ValueError "File format not supported ... Note that the legacy '
    'SavedModel format is not supported by `load_model()` in Keras 3"',
    convert="savedmodel-to-keras",
)
def load_model_folder(node: ast.Call, ctx: CodeContext) -> Hit | None:
    """`keras.models.load_model(path)` where the path has no `.keras`/`.h5` extension.

    Such a path is a SavedModel folder (what Keras 2's `model.save(dir)` wrote). Keras 3's
    `load_model` reads `.keras` files (or unzipped `.keras` folders with `config.json`) and legacy
    `.h5` only, and raises ValueError for SavedModels.

    Fix: convert the folder once to `.keras` (`migrator convert <folder>`) and load that; for
    inference only, `keras.layers.TFSMLayer(path, call_endpoint="serving_default")` wraps a
    SavedModel as a layer, and `tf.saved_model.load(path)` loads it as a TensorFlow object.
    """
    if ctx.qualname(node.func) not in ("keras.models.load_model", "keras.saving.load_model"):
        return None
    path = _arg(node, 0, "filepath")
    if path is None:
        return None
    pv = ctx.path(path)
    how = _is_folder_target(pv)
    if not how or (ctx.uses_orbax and pv.kind != "checkpoint"):
        return None  # with Orbax in the file, a folder may be an Orbax checkpoint (Keras 3.12+)
    if "zipped=False" in ctx.source.text.replace(" ", ""):
        return None  # the file writes unzipped `.keras` folders, which Keras 3 loads
    src = _src(ctx, path)
    return Hit(
        f"`{ctx.code(node)}` loads a SavedModel folder (no `.keras`/`.h5` extension), which "
        "Keras 3's `load_model` rejects (ValueError: File format not supported)",
        "convert it once to `.keras` (`migrator convert`) and load that, or use "
        f"`keras.layers.TFSMLayer({src}, call_endpoint='serving_default')` for inference",
    )


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
        `migrator convert` (to a TF2 SavedModel, and to `.keras` where the config is present).""",
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
        `model.export(dir)` for serving; convert existing exports with `migrator convert`.""",
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
            "tensorflow.python.saved_model.builder.SavedModelBuilder",
            "tensorflow.python.saved_model.builder_impl.SavedModelBuilder",
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
            "tensorflow.python.framework.graph_util.convert_variables_to_constants",
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
        stripped, via_compat = tf_api(ctx.qualname(node.func))
        if stripped not in wanted:
            return None
        # `tf.compat.v1.X` and `tensorflow.python.*` internals still exist; `tf.X` may not.
        lenient = via_compat or stripped.startswith("tensorflow.python.")
        severity = row.compat_severity if lenient else row.severity
        problem = row.problem.format(call=ctx.code(node))
        if row.severity != row.compat_severity:
            if via_compat:
                problem += " (it still runs through `tf.compat.v1`, in graph mode only)"
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


@code_rule(
    "MIG210",
    "estimator-export-savedmodel",
    title="`Estimator.export_savedmodel()` (TF1 estimator export)",
    severity="high",
    deprecated_in="TF 1.13 (renamed `export_saved_model`)",
    breaks_in="TF 2.0: hidden from the TF 2 Estimator API; TF 2.16: `tf.estimator` removed",
    convert="tf1-savedmodel-to-tf2",
)
def estimator_export_savedmodel(node: ast.Call, ctx: CodeContext) -> Hit | None:
    """`estimator.export_savedmodel(export_dir_base, serving_input_receiver_fn)`.

    The TF 1.x estimator export writes a timestamped folder of TF1 SavedModels. The method was
    renamed `export_saved_model`, hidden from TF 2's Estimator, and `tf.estimator` itself was
    removed in TF 2.16, so this code runs only on TF <= 2.15 with the v1 API.

    Fix: move the model to Keras and export with `model.export(dir)` or
    `tf.saved_model.save(obj, dir, signatures=...)`; convert existing timestamped exports with
    `migrator convert`.
    """
    receiver = _method(node, "export_savedmodel")
    if receiver is None:
        return None
    q = ctx.qualname(receiver)
    if q is not None and q.split(".")[0] not in ("tensorflow", "keras"):
        return None  # some other library's module function of the same name
    return Hit(
        f"`{ctx.code(node)}` is the TF 1.x Estimator export (timestamped TF1 SavedModels); "
        "`tf.estimator` is gone since TF 2.16",
        "export from Keras with `model.export(dir)` or `tf.saved_model.save(obj, dir, "
        "signatures=...)`",
    )


@code_rule(
    "MIG216",
    "keras-yaml",
    title="`model.to_yaml()` / `model_from_yaml()` (removed)",
    severity="high",
    deprecated_in="TF 2.6 (removed for security: arbitrary code execution through YAML)",
    breaks_in='TF 2.6: RuntimeError "Method `model.to_yaml()` has been removed due to security '
    'risk of arbitrary code execution"; Keras 3: no such method (AttributeError)',
)
def keras_yaml(node: ast.Call, ctx: CodeContext) -> Hit | None:
    """`model.to_yaml()` or `keras.models.model_from_yaml(...)`.

    Both were removed in TF/Keras 2.6 because loading YAML configs could execute arbitrary code;
    since then they raise RuntimeError (tf.keras 2.6-2.15) or do not exist (Keras 3).

    Fix: `model.to_json()` / `keras.models.model_from_json(...)` for the architecture, or save
    the whole model with `model.save("model.keras")`.
    """
    q = ctx.qualname(node.func)
    if q == "keras.models.model_from_yaml":
        return Hit(
            f"`{ctx.code(node)}` was removed in TF 2.6 (RuntimeError: security risk of arbitrary "
            "code execution) and does not exist in Keras 3",
            "store the architecture as JSON and use `keras.models.model_from_json`, or load a "
            "`.keras` file",
        )
    receiver = _keras_receiver(node, ctx, "to_yaml", strict=True)
    if receiver is None or node.args:
        return None
    return Hit(
        f"`{ctx.code(node)}` was removed in TF 2.6 (RuntimeError: security risk of arbitrary "
        "code execution) and does not exist in Keras 3",
        f"use `{_src(ctx, receiver)}.to_json()` or save the model with "
        f"`{_src(ctx, receiver)}.save('model.keras')`",
    )


@code_rule(
    "MIG217",
    "keras-batch-input-shape",
    title="`batch_input_shape=` layer argument (removed in Keras 3)",
    severity="high",
    breaks_in=f'{KERAS3}: ValueError "Unrecognized keyword arguments passed to Dense: '
    "{'batch_input_shape': ...}\" (only `InputLayer` still maps it to `batch_shape`)",
)
def batch_input_shape(node: ast.Call, ctx: CodeContext) -> Iterator[Hit]:
    """`Dense(..., batch_input_shape=(...))` and other layers given `batch_input_shape=`.

    Keras 2 let any first layer declare its input with `batch_input_shape=` (stateful RNNs
    relied on it). Keras 3 layers reject the argument (ValueError: Unrecognized keyword
    arguments); `keras.Input` does not accept it either (TypeError). Only `InputLayer` still
    translates it to `batch_shape` (reported as low).

    Fix: start the model with `keras.Input(batch_shape=(...))` (or `keras.Input(shape=...,
    batch_size=...)`) and drop the argument from the layer.
    """
    kw = _kw(node, "batch_input_shape")
    if kw is None:
        return
    q = ctx.qualname(node.func)
    if q is not None and not q.startswith("keras."):
        return  # resolved to something that is not Keras (another library's argument name)
    if q is None and (not ctx.uses_keras or ctx.builtin(node.func) is not None):
        return  # `dict(batch_input_shape=...)` builds a config, it does not call a layer
    if q in ("keras.layers.InputLayer", "keras.InputLayer"):
        yield Hit(
            "`batch_input_shape=` is the Keras 2 name; Keras 3's `InputLayer` still maps it to "
            "`batch_shape` but nothing else accepts it",
            "rename it to `batch_shape=`",
            node=kw,
            severity="low",
        )
        return
    shape = _src(ctx, kw.value)
    yield Hit(
        f"`batch_input_shape={shape}` on `{_src(ctx, node.func)}` makes Keras 3 raise ValueError "
        "(Unrecognized keyword arguments)",
        f"start the model with `keras.Input(batch_shape={shape})` and remove the argument",
        node=kw,
    )


_TF1_OPTIMIZER_MODULES = ("tensorflow.train.", "tensorflow.contrib.opt.")


def _tf1_optimizer(expr: ast.expr | None, ctx: CodeContext) -> str | None:
    """The TF1 optimizer class an expression builds (`tf.train.AdamOptimizer`), if any."""
    if expr is None:
        return None
    value = ctx.value(expr)
    if not isinstance(value, ast.Call):
        return None
    stripped, _ = tf_api(ctx.qualname(value.func))
    if stripped.startswith(_TF1_OPTIMIZER_MODULES) and stripped.endswith("Optimizer"):
        return stripped
    if stripped == "keras.optimizers.TFOptimizer":
        return stripped
    return None


@code_rule(
    "MIG218",
    "tf1-optimizer-in-keras",
    title="`tf.train.*Optimizer` given to Keras `compile()`",
    severity="high",
    deprecated_in="TF 2.0 (`tf.train.*Optimizer` moved to `tf.compat.v1.train`)",
    breaks_in=f'{KERAS3}: ValueError "Could not interpret optimizer identifier: '
    '<tensorflow.python.training.adam.AdamOptimizer object ...>"',
)
def tf1_optimizer_in_keras(node: ast.Call, ctx: CodeContext) -> Hit | None:
    """`model.compile(optimizer=tf.train.AdamOptimizer(...))` and other TF1 optimizers.

    tf.keras 2.x wrapped TF1 optimizers (`tf.train.*Optimizer`, `tf.contrib.opt.*`) in a
    `TFOptimizer`; such models saved without optimizer state (the contrib export docs say why).
    TF 2 moved the classes to `tf.compat.v1.train`, and Keras 3 rejects them outright
    (ValueError: Could not interpret optimizer identifier).

    Fix: use the Keras optimizer of the same name: `keras.optimizers.Adam(learning_rate=...)`,
    `SGD(momentum=...)`, `RMSprop`, `Adagrad`, `Adadelta`, `Ftrl`.
    """
    if _method(node, "compile") is None:
        return None
    optimizer = _arg(node, 0, "optimizer")
    found = _tf1_optimizer(optimizer, ctx)
    if found is None:
        return None
    keras_name = {
        "AdamOptimizer": "Adam",
        "GradientDescentOptimizer": "SGD",
        "MomentumOptimizer": "SGD",
        "RMSPropOptimizer": "RMSprop",
        "AdagradOptimizer": "Adagrad",
        "AdadeltaOptimizer": "Adadelta",
        "FtrlOptimizer": "Ftrl",
    }.get(found.rsplit(".", 1)[-1], "Adam")
    return Hit(
        f"`{_src(ctx, optimizer)}` is a TF1 optimizer (`{found.replace('tensorflow.', 'tf.')}`); "
        "Keras 3 raises ValueError (Could not interpret optimizer identifier) and tf.keras 2 could "
        "not save its state",
        f"pass `keras.optimizers.{keras_name}(...)` instead",
        node=optimizer,
    )


_LEGACY_KERAS_VAR = "TF_USE_LEGACY_KERAS"
_TRUE_VALUES = ("1", "true", "True")  # what TensorFlow's lazy loader accepts


def _env_hit(ctx: CodeContext, value: object, line: int, shown: str) -> Hit | None:
    if value is not _MISSING and str(value) not in _TRUE_VALUES:
        return None  # "0"/"false" keep Keras 3
    late = ctx.imported_before(line, "tensorflow")
    extra = (
        "; set after `import tensorflow` it only half applies (`tf.keras` follows it, "
        "`from tensorflow.keras import ...` does not)"
        if late
        else ""
    )
    return Hit(
        f"`{shown}` pins `tf.keras` to Keras 2 (the `tf_keras` package, in maintenance mode), so "
        f"the code and the models it saves stay on the legacy format{extra}",
        "migrate the code to Keras 3 (`.keras` saves, `model.export`) and remove the variable",
    )


@code_rule(
    "MIG219",
    "tf-use-legacy-keras",
    title="`TF_USE_LEGACY_KERAS` pins code to Keras 2 (tf_keras)",
    severity="medium",
    deprecated_in="TF 2.16 (escape hatch to `tf_keras` when Keras 3 became `tf.keras`)",
    breaks_in="TF 2.16+: needs the separately installed `tf_keras`, which only tracks TF releases "
    "in maintenance mode",
    nodes=(ast.Assign, ast.Call, ast.Module),
)
def tf_use_legacy_keras(node: ast.AST, ctx: CodeContext) -> Iterator[Hit]:
    """`os.environ["TF_USE_LEGACY_KERAS"] = "1"` (also `setdefault`, `update`, `putenv`, `%env`).

    With the variable set to `1`/`true`/`True`, TF 2.16+ routes `tf.keras` to `tf_keras` (Keras 2),
    so the code keeps writing legacy SavedModel/HDF5 artifacts and depends on a package kept only
    for compatibility. Set after `import tensorflow`, it applies to `tf.keras` attribute access
    but not to `from tensorflow.keras import ...` (TensorFlow reads it at import), a source of
    mixed Keras 2/3 objects. Values `0`/`false` are not flagged.

    Fix: migrate to Keras 3 APIs and drop the variable; where Keras 2 is needed for a while, set it
    outside the code (in the environment) before Python starts.
    """
    if isinstance(node, ast.Module):
        for magic in ctx.source.magics:
            if magic.name in ("env", "set_env") and magic.args.split("=")[0].split()[0:1] == [
                _LEGACY_KERAS_VAR
            ]:
                rest = magic.args[len(_LEGACY_KERAS_VAR) :].strip().lstrip("=").strip()
                if not rest:
                    continue  # `%env NAME` only prints the value
                hit = _env_hit(ctx, rest, magic.line, f"%{magic.name} {magic.args}")
                if hit is not None:
                    yield Hit(hit.problem, hit.remedy, line=magic.line, col=magic.col)
        return
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if (
                isinstance(target, ast.Subscript)
                and ctx.qualname(target.value) == "os.environ"
                and _const(target.slice) == _LEGACY_KERAS_VAR
            ):
                hit = _env_hit(ctx, _const(node.value), node.lineno, ctx.code(node))
                if hit is not None:
                    yield hit
        return
    assert isinstance(node, ast.Call)
    q = ctx.qualname(node.func)
    if q in ("os.environ.setdefault", "os.putenv") and node.args:
        if _const(node.args[0]) == _LEGACY_KERAS_VAR:
            value = _const(node.args[1]) if len(node.args) > 1 else _MISSING
            hit = _env_hit(ctx, value, node.lineno, ctx.code(node))
            if hit is not None:
                yield hit
    elif q == "os.environ.update":
        value: object = None
        for kw in node.keywords:
            if kw.arg == _LEGACY_KERAS_VAR:
                value = _const(kw.value)
        for arg in node.args:
            if isinstance(arg, ast.Dict):
                for k, v in zip(arg.keys, arg.values, strict=True):
                    if _const(k) == _LEGACY_KERAS_VAR:
                        value = _const(v)
        if value is not None:
            hit = _env_hit(ctx, value, node.lineno, ctx.code(node))
            if hit is not None:
                yield hit
