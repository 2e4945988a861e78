"""Code rules about Keras saving and loading (MIG201-MIG207): SavedModel folders, `save_format`,
HDF5 names, `save_weights` names, checkpoint loading, ModelCheckpoint paths and `load_model` on
folders, each judged from the path values the context resolves.
"""

from __future__ import annotations

import ast
from pathlib import PurePosixPath

from migrator.knowledge.keras3 import KERAS3
from migrator.rules import Hit, code_rule
from migrator.rules._python import CodeContext
from migrator.rules.code._helpers import (
    _MISSING,
    _arg,
    _code,
    _const,
    _in_folder,
    _is_folder_target,
    _keras_receiver,
    _kw,
    _kwconst,
    _model_save,
    _src,
    _with_suffix,
)

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

    Fixes (`migrator fix`): unsafe: `model.save(dir)` -> `model.export(dir)` (an inference-only
    SavedModel in the same folder).
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

    Fixes (`migrator fix`): safe: removes `save_format=` where the extension already selects that
    format (`"h5"` on `.h5`/`.hdf5`, `"keras"` on `.keras`).
    """
    kw = _kw(node, "save_format")
    if kw is None or _forwarded(kw.value, ctx):
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


def _forwarded(value: ast.expr, ctx: CodeContext) -> bool:
    """`save_format=save_format` passing on a parameter without a default of its own (or None):
    the caller chooses the format, and its call is where a choice is judged (Keras' own `save`)."""
    if not isinstance(value, ast.Name):
        return False
    b = ctx.lookup(value)
    if b is None or b.kind != "param":
        return False
    return b.value is None or (isinstance(b.value, ast.Constant) and b.value.value is None)


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

    Fixes (`migrator fix`): unsafe: renames a literal `.h5`/`.hdf5` save path (or a variable's one
    literal value) to `.keras`, with the `load_model` calls of the same name.
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

    Fixes (`migrator fix`): unsafe: gives the path `.weights.h5` (a literal, a variable's one
    literal value, or `.with_suffix` on a `pathlib` variable), with the `load_weights` calls of the
    same path.
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

    Fixes (`migrator fix`): unsafe: the `.weights.h5` (weights only) or `.keras` suffix on the file
    name, with the `load_weights`/`load_model` calls of the same name.
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

    Fixes (`migrator fix`): unsafe: `keras.layers.TFSMLayer(path, call_endpoint=...)`, an
    inference-only layer (`serve` when the file exports that folder, else `serving_default`).
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
