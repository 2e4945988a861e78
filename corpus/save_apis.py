"""The Keras save APIs the corpus writes with: one function per way a user saves a model.

Each `Api` is how a user writes the call (`call`, recorded in the manifest), the function that
does it and returns the artifact's path, and the frameworks and models it is written for. Every
`save_format` a Keras line accepts is one API (tf.keras 2.12 writes a `.keras` zip only with
"keras_v3"), as are `ExportArchive` endpoints not named `serve` (one argument per input, or one
list), Keras 3's unzipped `.keras` folders and sharded weights: where a release does not have the
call, the manifest records the error it raises, which is a fact too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from corpus import models


@dataclass(frozen=True)
class Api:
    """One save API: `call` is how a user writes it, `save` does it and returns the artifact."""

    id: str
    call: str
    save: Callable[..., tuple[str, str]]  # (model, keras, tf, model_name, out) -> (path, load_path)
    frameworks: tuple[str, ...] = ("keras", "tf_keras")
    models: tuple[str, ...] = models.MODELS  # the corpus models it is worth writing for
    # Added for the extended matrix: the CI lines write these only under `--extended` (into
    # generated_extended.json), so their committed generated.json and matrix.json stay as CI
    # re-measures them.
    extended: bool = False
    # Bytes Keras serializes without tracing anything in TF: one Keras release writes the same
    # file on every TF, so a TF line whose Keras a CI line already has does not write it again.
    keras_file: bool = False


def _save_dir(
    model: Any, keras: ModuleType, tf: ModuleType, name: str, out: Path
) -> tuple[str, str]:
    model.save(str(out / "model"))
    return "model", "model"


def _save_h5(
    model: Any, keras: ModuleType, tf: ModuleType, name: str, out: Path
) -> tuple[str, str]:
    model.save(str(out / "model.h5"))
    return "model.h5", "model.h5"


def _save_keras(
    model: Any, keras: ModuleType, tf: ModuleType, name: str, out: Path
) -> tuple[str, str]:
    model.save(str(out / "model.keras"))
    return "model.keras", "model.keras"


def _tf_saved_model(
    model: Any, keras: ModuleType, tf: ModuleType, name: str, out: Path
) -> tuple[str, str]:
    tf.saved_model.save(model, str(out / "saved_model"))
    return "saved_model", "saved_model"


def _tf_saved_model_signature(
    model: Any, keras: ModuleType, tf: ModuleType, name: str, out: Path
) -> tuple[str, str]:
    specs = [
        tf.TensorSpec((None, *shape), tf.float32, name=key)
        for key, shape in models.input_shapes(name).items()
    ]

    @tf.function(input_signature=specs)
    def serve(*args: Any) -> dict[str, Any]:
        return {"output": model(list(args) if len(args) > 1 else args[0], training=False)}

    tf.saved_model.save(
        model,
        str(out / "saved_model"),
        signatures={"serving_default": serve.get_concrete_function()},
    )
    return "saved_model", "saved_model"


def _save_format(fmt: str, filename: str) -> Callable[..., tuple[str, str]]:
    """`model.save(filename, save_format=fmt)`: what each Keras does with each `save_format` it
    accepts (tf.keras 2.12 writes a `.keras` zip only with "keras_v3"; Keras 3 rejects the
    argument)."""

    def save(
        model: Any, keras: ModuleType, tf: ModuleType, name: str, out: Path
    ) -> tuple[str, str]:
        model.save(str(out / filename), save_format=fmt)
        return filename, filename

    return save


def _export_archive(as_list: bool) -> Callable[..., tuple[str, str]]:
    """`ExportArchive` with one endpoint named `predict` (no `serve`), taking each model input as
    its own argument, or (`as_list`) all of them as one list argument."""

    def save(
        model: Any, keras: ModuleType, tf: ModuleType, name: str, out: Path
    ) -> tuple[str, str]:
        specs = [
            tf.TensorSpec((None, *shape), tf.float32, name=key)
            for key, shape in models.input_shapes(name).items()
        ]
        # tf.keras 2.12 has it only as `tf.keras.export.ExportArchive` (not `keras.export`)
        namespace = getattr(keras, "export", None)
        if not hasattr(namespace, "ExportArchive"):
            namespace = tf.keras.export
        archive = namespace.ExportArchive()
        archive.track(model)
        if as_list:
            archive.add_endpoint(
                name="predict",
                fn=lambda inputs: model(inputs, training=False),
                input_signature=[specs],
            )
        else:
            archive.add_endpoint(
                name="predict",
                fn=lambda *args: model(list(args) if len(args) > 1 else args[0], training=False),
                input_signature=specs,
            )
        archive.write_out(str(out / "export"))
        return "export", "export"

    return save


def _save_unzipped(
    model: Any, keras: ModuleType, tf: ModuleType, name: str, out: Path
) -> tuple[str, str]:
    # Keras 3.15: "When using `zipped=False`, the `filepath` argument should not end in `.keras`"
    model.save(str(out / "model"), zipped=False)
    return "model", "model"


def _weights_sharded(
    model: Any, keras: ModuleType, tf: ModuleType, name: str, out: Path
) -> tuple[str, str]:
    # max_shard_size is in GB: 2e-7 GB (200 bytes) puts the tiny models in several shards
    model.save_weights(str(out / "model.weights.json"), max_shard_size=2e-7)
    return "model.weights.json", "model.weights.json"


def _export(model: Any, keras: ModuleType, tf: ModuleType, name: str, out: Path) -> tuple[str, str]:
    model.export(str(out / "export"))
    return "export", "export"


def _weights_h5(
    model: Any, keras: ModuleType, tf: ModuleType, name: str, out: Path
) -> tuple[str, str]:
    model.save_weights(str(out / "weights.h5"))
    return "weights.h5", "weights.h5"


def _weights_weights_h5(
    model: Any, keras: ModuleType, tf: ModuleType, name: str, out: Path
) -> tuple[str, str]:
    model.save_weights(str(out / "model.weights.h5"))
    return "model.weights.h5", "model.weights.h5"


def _weights_tf(
    model: Any, keras: ModuleType, tf: ModuleType, name: str, out: Path
) -> tuple[str, str]:
    model.save_weights(str(out / "weights" / "ckpt"))
    return "weights", "weights/ckpt"


def _checkpoint(
    model: Any, keras: ModuleType, tf: ModuleType, name: str, out: Path
) -> tuple[str, str]:
    tracked = {"model": model}
    if getattr(model, "optimizer", None) is not None:
        tracked["optimizer"] = model.optimizer
    prefix = tf.train.Checkpoint(**tracked).save(str(out / "ckpt" / "ckpt"))
    return "ckpt", f"ckpt/{Path(prefix).name}"


# The APIs that write a SavedModel folder (skipped for models.NO_SAVED_MODEL).
SAVED_MODEL_APIS = frozenset(
    {
        "save-dir",
        "tf-saved-model",
        "tf-saved-model-signature",
        "export",
        "export-archive",
        "export-archive-list",
    }
)

KERAS_APIS: tuple[Api, ...] = (
    Api("save-dir", "model.save('model')", _save_dir),
    Api("save-h5", "model.save('model.h5')", _save_h5, keras_file=True),
    Api("save-keras", "model.save('model.keras')", _save_keras, keras_file=True),
    Api("tf-saved-model", "tf.saved_model.save(model, 'saved_model')", _tf_saved_model),
    Api(
        "tf-saved-model-signature",
        "tf.saved_model.save(model, 'saved_model', signatures={'serving_default': fn})",
        _tf_saved_model_signature,
    ),
    Api("export", "model.export('export')", _export),
    Api(
        "export-archive",
        "ExportArchive: track(model), add_endpoint('predict', fn, one TensorSpec per input)",
        _export_archive(as_list=False),
        models=("sequential", "functional"),
        extended=True,
    ),
    Api(
        "export-archive-list",
        "ExportArchive: track(model), add_endpoint('predict', fn, [[TensorSpec, ...]])",
        _export_archive(as_list=True),
        models=("functional",),
        extended=True,
    ),
    Api(
        "save-keras-unzipped",
        "model.save('model', zipped=False)",
        _save_unzipped,
        frameworks=("keras",),
        models=("sequential", "functional", "custom"),
        extended=True,
        keras_file=True,
    ),
    Api(
        "weights-sharded",
        "model.save_weights('model.weights.json', max_shard_size=2e-7)",
        _weights_sharded,
        frameworks=("keras",),
        models=("sequential", "functional"),
        extended=True,
        keras_file=True,
    ),
    Api(
        "save-format-keras-v3",
        "model.save('model.keras', save_format='keras_v3')",
        _save_format("keras_v3", "model.keras"),
        models=("sequential", "functional", "custom", "trained"),
        extended=True,
        keras_file=True,
    ),
    Api(
        "save-format-keras",
        "model.save('model.keras', save_format='keras')",
        _save_format("keras", "model.keras"),
        models=("sequential", "functional"),
        extended=True,
        keras_file=True,
    ),
    Api(
        "save-format-h5",
        "model.save('model', save_format='h5')",
        _save_format("h5", "model"),
        models=("sequential", "functional"),
        extended=True,
        keras_file=True,
    ),
    Api("weights-h5", "model.save_weights('weights.h5')", _weights_h5, keras_file=True),
    Api(
        "weights-weights-h5",
        "model.save_weights('model.weights.h5')",
        _weights_weights_h5,
        keras_file=True,
    ),
    Api("weights-tf", "model.save_weights('weights/ckpt')", _weights_tf),
    Api(
        "checkpoint",
        "tf.train.Checkpoint(model=model[, optimizer=...]).save('ckpt/ckpt')",
        _checkpoint,
    ),
)
