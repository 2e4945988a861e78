"""Which runtime can load an artifact, and why: verdicts predicted from what the readers found.

Six runtimes sit behind the matrix's four TF lines: tf.keras 2.12.0 and 2.15.0 (`keras.*` in TF
2.12/2.15), Keras 3.3.3 and 3.15.1 (`keras.*` in TF 2.16/2.21), tf_keras 2.16.0 and 2.21.0
(`tf_keras.*`). Each rule below is a fact about one of them, found in the measurements
(`corpus/matrix.json` for the generated corpus, `corpus/realworld_matrix.json` for real files)
and, where the cause was not obvious, in the installed sources of the tox envs
(`saving/saving_api.py`, `legacy/saving/legacy_h5_format.py` and `saving_utils.py`,
`engine/input_layer.py` and `base_layer.py`, `saving/legacy/saved_model/load.py`,
`initializers/__init__.py`). The tests hold every prediction to the measured cells.

Verdicts: `loads` (loads and reproduces the outputs), `loads-with-changes` (loads once the caller
supplies or accepts what `reason` names: `safe_mode=False`, `compile=False`, the custom classes,
`tags=`, `call_endpoint=`, a reset optimizer), `fails`. The caller is assumed to have the model's
custom classes importable and registered; `reason` says when they are required.

This module never imports TensorFlow and never loads a model: it reads the `Reading` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

from migrator.formats import keras_config
from migrator.knowledge import keras3
from migrator.model import Artifact

TF_LINES: tuple[str, ...] = ("2.12", "2.15", "2.16", "2.21")

LOADERS: tuple[str, ...] = (
    "keras.load_model",
    "tf_keras.load_model",
    "keras.load_weights",
    "tf_keras.load_weights",
    "tf.saved_model.load",
    "keras.layers.TFSMLayer",
)

# tf_keras and TFSMLayer exist next to Keras 3 only (TF 2.16 and later).
LOADERS_BY_TF: dict[str, tuple[str, ...]] = {
    "2.12": ("keras.load_model", "keras.load_weights", "tf.saved_model.load"),
    "2.15": ("keras.load_model", "keras.load_weights", "tf.saved_model.load"),
    "2.16": LOADERS,
    "2.21": LOADERS,
}

_MODEL_FILE = (
    "keras.load_model",
    "tf_keras.load_model",
    "keras.load_weights",
    "tf_keras.load_weights",
)
_WEIGHTS = ("keras.load_weights", "tf_keras.load_weights")

# The loaders that take this format as input at all. Formats absent here (GraphDef, TF.js,
# TFLite, SessionBundle, bare JSON/YAML architectures) have no loader among LOADERS.
LOADERS_BY_FORMAT: dict[str, tuple[str, ...]] = {
    "keras-h5": _MODEL_FILE,
    "keras-v3": _MODEL_FILE,
    "keras-h5-weights": _WEIGHTS,
    "keras-v3-weights": _WEIGHTS,
    "tf-checkpoint": _WEIGHTS,
    "saved-model": (
        "keras.load_model",
        "tf_keras.load_model",
        "tf.saved_model.load",
        "keras.layers.TFSMLayer",
    ),
}

# What a `loads-with-changes` verdict may require or lose (the probe records the same names).
NEEDS: dict[str, str] = {
    "safe_mode=False": "load_model(..., safe_mode=False) (the artifact carries Python bytecode)",
    "compile=False": "load_model(..., compile=False) (the training configuration does not load)",
    "custom_objects": "the custom class importable and registered",
    "optimizer_reset": "the optimizer state is not restored",
    "tags": "tf.saved_model.load(..., tags=['serve']) (several MetaGraphs)",
    "call_endpoint": "TFSMLayer(..., call_endpoint='serving_default') (no `serve` endpoint)",
}


def applicable(fmt: str, tf_line: str) -> tuple[str, ...]:
    """The loaders that apply to format `fmt` in TF line `tf_line`, in LOADERS order."""
    wanted = set(LOADERS_BY_FORMAT.get(fmt, ())) & set(LOADERS_BY_TF[tf_line])
    return tuple(loader for loader in LOADERS if loader in wanted)


# --- the runtimes


# InputLayer arguments the Keras 2 lines accept: their own parameters plus the generic ones
# `Layer.__init__` validates (`allowed_kwargs` in engine/base_layer.py); anything else is a
# TypeError. tf_keras 2.21 added `optional`; Keras 3 writes `batch_shape`. Keras 3's InputLayer
# drops arguments it does not know.
_INPUT_LAYER_ARGS = frozenset(
    {
        "input_shape",
        "batch_size",
        "dtype",
        "input_tensor",
        "sparse",
        "name",
        "ragged",
        "type_spec",
        "input_dim",
        "batch_input_shape",
        "weights",
        "activity_regularizer",
        "autocast",
        "implementation",
    }
)


@dataclass(frozen=True)
class Runtime:
    """The Keras one loader of one TF line runs, and what it can read (from its sources)."""

    package: str  # "tf.keras" | "tf_keras" | "keras" (Keras 3)
    version: tuple[int, int, int]
    tf: str  # the TensorFlow release of the env
    # `.keras` and `.weights.h5` weights: under `_layer_checkpoint_dependencies/` ("legacy",
    # tf.keras 2.12) or `layers/` (tf.keras 2.13+, tf_keras, Keras 3).
    v3_layout: str = "layers"
    input_layer_args: frozenset[str] = _INPUT_LAYER_ARGS  # Keras 2 lines only
    h5_safe_mode: bool = False  # legacy HDF5 Lambda code needs safe_mode=False (Keras >= 3.11.3)
    reads_newer_keras3_configs: bool = True  # quantization_config, initializer axes, ...
    reads_orthogonal: bool = True  # resolves Keras 2's `Orthogonal` initializer name
    reads_keras_folder: bool = False  # load_model of an unzipped `.keras` folder
    reads_sharded_weights: bool = False  # `.weights.json` + shards

    @property
    def keras3(self) -> bool:
        return self.package == "keras"

    @property
    def name(self) -> str:
        label = "Keras" if self.keras3 else self.package
        return f"{label} {'.'.join(map(str, self.version))}"


RUNTIMES: dict[tuple[str, str], Runtime] = {
    ("2.12", "keras"): Runtime("tf.keras", (2, 12, 0), "2.12.1", v3_layout="legacy"),
    ("2.15", "keras"): Runtime("tf.keras", (2, 15, 0), "2.15.1"),
    ("2.16", "keras"): Runtime(
        "keras", (3, 3, 3), "2.16.2", reads_newer_keras3_configs=False, reads_orthogonal=False
    ),
    ("2.21", "keras"): Runtime(
        "keras",
        (3, 15, 1),
        "2.21.0",
        h5_safe_mode=True,
        reads_keras_folder=True,
        reads_sharded_weights=True,
    ),
    ("2.16", "tf_keras"): Runtime("tf_keras", (2, 16, 0), "2.16.2"),
    ("2.21", "tf_keras"): Runtime(
        "tf_keras", (2, 21, 0), "2.21.0", input_layer_args=_INPUT_LAYER_ARGS | {"optional"}
    ),
}


_KERAS3_UNKNOWN_LOSSES = keras3.UNRESOLVED_LOSS_ALIASES
_KERAS3_UNKNOWN_OPTIMIZER_ARGS = keras3.REJECTED_OPTIMIZER_ARGS
_KERAS2_ONLY_OPTIMIZER_ARGS = keras3.KERAS2_ONLY_OPTIMIZER_ARGS
_KERAS2_INTERNAL_MODULES = keras3.KERAS2_INTERNAL_MODULES


# --- predictions


@dataclass(frozen=True)
class Prediction:
    verdict: str  # "loads" | "loads-with-changes" | "fails"
    reason: str
    needs: tuple[str, ...] = ()

    def to_json(self) -> dict[str, str]:
        return {"verdict": self.verdict, "reason": self.reason}


def _loads(reason: str) -> Prediction:
    return Prediction("loads", reason)


def _fails(reason: str) -> Prediction:
    return Prediction("fails", reason)


def _with_needs(reason: str, needs: list[tuple[str, str]]) -> Prediction:
    """`loads` when nothing is needed, else `loads-with-changes` naming each need and why."""
    if not needs:
        return _loads(reason)
    names = tuple(sorted({name for name, _ in needs}))
    said = "; ".join(dict.fromkeys(why for _, why in needs))
    return Prediction("loads-with-changes", f"{said}. {reason}".strip(), names)


def predict_cells(artifact: Artifact) -> dict[str, Prediction]:
    """Every applicable `<tf>/<loader>` cell of this artifact, predicted from its reading."""
    if artifact.errors or artifact.format not in LOADERS_BY_FORMAT:
        return {}
    facts = _Facts.of(artifact)
    out: dict[str, Prediction] = {}
    for tf_line in TF_LINES:
        for loader in applicable(artifact.format, tf_line):
            out[f"{tf_line}/{loader}"] = _predict(facts, tf_line, loader)
    return out


def predict(artifact: Artifact) -> dict[str, dict[str, str]]:
    """`{"<tf>/<loader>": {"verdict": ..., "reason": ...}}` for the report."""
    return {key: cell.to_json() for key, cell in predict_cells(artifact).items()}


def judge(artifact: Artifact) -> Artifact:
    """Audit judge: attach the loadability verdicts to the artifact.

    A reading shaped in a way no rule foresaw must not stop a ten-thousand-model audit: the
    artifact then goes on without verdicts (the tests run `predict_cells` unguarded).
    """
    try:
        cells = predict(artifact)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return artifact
    return replace(artifact, loadability=cells) if cells else artifact


def _predict(facts: _Facts, tf_line: str, loader: str) -> Prediction:
    if loader == "tf.saved_model.load":
        return _saved_model_load(facts, tf_line)
    if loader == "keras.layers.TFSMLayer":
        return _tfsm_layer(facts, tf_line)
    package, call = loader.split(".", 1)
    runtime = RUNTIMES[(tf_line, package)]
    if call == "load_weights":
        return _load_weights(facts, runtime)
    return _load_model(facts, runtime)


# --- what the rules need to know, gathered once per artifact


@dataclass(frozen=True)
class _Config:
    """Facts about the Keras model config an artifact carries."""

    model_class: str | None
    style: str | None  # keras_config.config_style: keras1 / keras2 / keras3
    input_layer_args: frozenset[str]
    newer_keras3: tuple[str, ...]  # arguments later Keras 3 releases write and 3.3.3 rejects
    lambdas: tuple[str, ...]  # layers with marshalled Python bytecode
    keras2_lambdas: tuple[str, ...]  # Keras 2 Lambda configs (function_type keys)
    custom: tuple[str, ...]
    keras2_modules: tuple[str, ...]  # entries naming Keras 2 internal modules
    tf_keras_modules: tuple[str, ...]  # entries naming tf_keras modules
    list_config: bool  # Sequential config as a bare list of layers (Keras 1 to 2.2.0)
    conv_first: str | None  # Sequential with no InputLayer, starting with a convolution
    time_major: tuple[str, ...]  # recurrent layers recording Keras 2's `time_major`
    orthogonal: bool  # an `Orthogonal` initializer (every LSTM/GRU/SimpleRNN default)

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> _Config:
        from migrator.facts import custom_classes

        entries = [("(model)", config), *keras_config.iter_layers(config)]
        input_args: set[str] = set()
        newer: set[str] = set()
        keras2_lambdas: list[str] = []
        keras2_modules: list[str] = []
        tf_keras_modules: list[str] = []
        time_major: list[str] = []
        for path, entry in entries:
            inner = entry.get("config")
            module = entry.get("module")
            if isinstance(module, str):
                if module.startswith(_KERAS2_INTERNAL_MODULES):
                    keras2_modules.append(path)
                if module.split(".", 1)[0] == "tf_keras":
                    tf_keras_modules.append(path)
            if not isinstance(inner, Mapping):
                continue
            if entry.get("class_name") == "InputLayer":
                input_args.update(str(k) for k in inner)
            for value in _values(inner):
                if "quantization_config" in value:
                    newer.add("`quantization_config` arguments")
                inner_config = value.get("config")
                if isinstance(inner_config, Mapping) and "input_axes" in inner_config:
                    newer.add("initializer `input_axes`")
            if entry.get("class_name") == "Lambda" and "function_type" in inner:
                keras2_lambdas.append(path)
            if path != "(model)" and "time_major" in inner:
                time_major.append(path)
        style, _ = keras_config.config_style(config)
        return cls(
            model_class=config.get("class_name")
            if isinstance(config.get("class_name"), str)
            else None,
            style=style,
            input_layer_args=frozenset(input_args),
            newer_keras3=tuple(sorted(newer)),
            lambdas=tuple(x["path"] for x in keras_config.lambda_layers(config) if x["marshalled"]),
            keras2_lambdas=tuple(keras2_lambdas),
            custom=tuple(dict.fromkeys(name for _, name in custom_classes(config))),
            keras2_modules=tuple(keras2_modules),
            tf_keras_modules=tuple(tf_keras_modules),
            list_config=isinstance(config.get("config"), list),
            conv_first=_conv_first(config),
            time_major=tuple(time_major),
            orthogonal=any(v.get("class_name") == "Orthogonal" for v in _values(config)),
        )


_CONVOLUTION = re.compile(r"(Separable|Depthwise)?Conv(olution)?[123]D(Transpose)?")


def _conv_first(config: Mapping[str, Any]) -> str | None:
    """The first layer of a Sequential config with no InputLayer, if a convolution given a
    `batch_input_shape` (Keras <= 2.3 wrote no InputLayer entry)."""
    if config.get("class_name") != "Sequential":
        return None
    layers = keras_config.children(config)
    if not layers:
        return None
    first = layers[0]
    inner = first.get("config")
    if (
        _CONVOLUTION.fullmatch(str(first.get("class_name")))
        and isinstance(inner, Mapping)
        and "batch_input_shape" in inner
    ):
        return keras_config.layer_name(first)
    return None


def _values(value: Any) -> Iterator[Mapping[str, Any]]:
    """Every mapping nested in a config value, itself included, at any depth."""
    if isinstance(value, Mapping):
        yield value
        for inner in value.values():
            yield from _values(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _values(inner)


@dataclass(frozen=True)
class _Facts:
    artifact: Artifact
    name: str  # the file or folder name the loader is handed
    config: _Config | None
    training: Mapping[str, Any] | None
    custom_training: tuple[str, ...]  # losses, metrics, optimizers Keras does not define
    producer_keras: tuple[int, ...] | None

    @classmethod
    def of(cls, artifact: Artifact) -> _Facts:
        from migrator.facts import (
            custom_training_objects,
            model_config,
            training_config,
        )

        found = model_config(artifact)
        training = training_config(artifact)
        return cls(
            artifact=artifact,
            name=PurePosixPath(artifact.path).name
            if artifact.path != "."
            else artifact.location.name,
            config=_Config.of(found.config) if found else None,
            training=training,
            custom_training=tuple(
                dict.fromkeys(name for _, name in custom_training_objects(training))
            )
            if training
            else (),
            producer_keras=_version(_producer_keras_version(artifact)),
        )

    @property
    def details(self) -> Mapping[str, Any]:
        return self.artifact.details

    @property
    def fmt(self) -> str:
        return self.artifact.format

    @property
    def written_by_keras3(self) -> bool:
        if self.fmt == "keras-v3":
            return self.details.get("saved_by") == "keras3"
        if self.producer_keras:
            return self.producer_keras[0] >= 3
        return bool(self.config and self.config.style == "keras3" and self.fmt == "keras-h5")

    @property
    def producer(self) -> str:
        version = _producer_keras_version(self.artifact)
        if self.fmt == "keras-v3" and self.details.get("saved_by") == "tf.keras":
            return f"tf.keras/tf_keras {version}" if version else "tf.keras"
        return f"Keras {version}" if version else "an unknown Keras version"


def _producer_keras_version(artifact: Artifact) -> str | None:
    value = artifact.producer.get("keras_version")
    if not value and isinstance(artifact.details.get("keras_metadata"), Mapping):
        value = artifact.details["keras_metadata"].get("keras_version")
    return str(value) if value else None


def _version(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    numbers = re.findall(r"\d+", text.split("-", 1)[0])
    return tuple(int(n) for n in numbers[:3]) if numbers else None


def _quote(items: tuple[str, ...] | list[str], limit: int = 3) -> str:
    shown = ", ".join(f"`{i}`" for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# --- load_model


def _load_model(facts: _Facts, runtime: Runtime) -> Prediction:
    if facts.fmt == "saved-model":
        return _load_model_saved_model(facts, runtime)
    name = facts.name
    if facts.fmt == "keras-h5":
        if runtime.keras3 and not name.endswith((".h5", ".hdf5")):
            hint = (
                "a `.keras` name makes it look for a zip archive"
                if name.endswith(".keras")
                else "other names are not supported"
            )
            return _fails(
                f"{runtime.name} opens HDF5 models only under a `.h5`/`.hdf5` name and this HDF5 "
                f"file is called `{name}` ({hint}); rename it to `.h5`"
            )
        container = "h5"
    else:  # keras-v3
        blocked = _keras_v3_container(facts, runtime)
        if blocked:
            return _fails(blocked)
        container = "keras"
    config = facts.config
    if config is None:
        return _fails(f"no readable model config in `{name}`; {runtime.name} has nothing to build")
    blocked = _config_blocker(facts, runtime, container)
    if blocked:
        return _fails(blocked)
    needs: list[tuple[str, str]] = []
    custom = config.custom + tuple(x for x in facts.custom_training if x not in config.custom)
    if custom:
        needs.append(
            (
                "custom_objects",
                f"needs the custom class(es) or function(s) {_quote(custom)} importable and "
                "registered (custom_objects= or @register_keras_serializable)",
            )
        )
    if config.lambdas and _checks_safe_mode(runtime, container):
        needs.append(
            (
                "safe_mode=False",
                f"needs safe_mode=False: Lambda layer(s) {_quote(config.lambdas)} hold marshalled "
                "Python bytecode, which runs on load (only for a trusted file)",
            )
        )
    needs.extend(_compile_needs(facts, runtime, container))
    reason = f"{runtime.name} reads this {_container_name(container)} written by {facts.producer}"
    if config.lambdas and not _checks_safe_mode(runtime, container):
        reason += (
            f"; beware: it runs the marshalled bytecode of Lambda layer(s) {_quote(config.lambdas)}"
            " on load without any safe_mode check (load only a trusted file)"
        )
    return _with_needs(reason, needs)


def _container_name(container: str) -> str:
    return {"h5": "HDF5 model", "keras": "`.keras` archive", "sm": "Keras SavedModel"}[container]


def _keras_v3_container(facts: _Facts, runtime: Runtime) -> str | None:
    """Whether this runtime opens the `.keras` archive (or folder) at all, and reads its weights."""
    details = facts.details
    if details.get("container") == "folder":
        if not runtime.reads_keras_folder:
            return (
                f"{runtime.name} loads `.keras` zip archives only, not an unzipped folder; "
                "zip it (stored, no compression) as `<name>.keras`"
            )
    elif not facts.name.endswith(".keras"):
        return (
            f"{runtime.name} recognises a Keras v3 archive only by its `.keras` name; this zip is "
            f"called `{facts.name}`: rename it to `.keras`"
        )
    weights = details.get("weights") if isinstance(details.get("weights"), Mapping) else {}
    if weights.get("format") == "npz" and not runtime.keras3:
        return f"{runtime.name} reads only `model.weights.h5` inside a `.keras` archive, not npz weights"
    if _weights_layout(facts) == "layers" and runtime.v3_layout == "legacy":
        return (
            f"{runtime.name} reads `.keras` weights under `_layer_checkpoint_dependencies/`, and "
            f"this archive ({facts.producer}) stores them under `layers/`: every layer would get "
            "no weights; load it with TF 2.13+ (tf.keras 2.15 or tf_keras)"
        )
    return None


def _weights_layout(facts: _Facts) -> str | None:
    """`layers` (tf.keras 2.13+, Keras 3) or `legacy` (tf.keras 2.12) for `.keras` weights."""
    if facts.fmt == "keras-v3-weights":
        return "legacy" if facts.details.get("legacy_layer_key") else "layers"
    weights = facts.details.get("weights")
    layout = weights.get("layout") if isinstance(weights, Mapping) else None
    groups = layout.get("groups") if isinstance(layout, Mapping) else None
    if isinstance(groups, list):
        if "_layer_checkpoint_dependencies" in groups:
            return "legacy"
        if "layers" in groups:
            return "layers"
    return None


def _config_blocker(facts: _Facts, runtime: Runtime, container: str) -> str | None:
    """Why this runtime cannot build the model from its config, or None."""
    config = facts.config
    assert config is not None
    if config.style == "keras1":
        return (
            f"the config is Keras 1 ({facts.producer}); no runtime in the matrix reads Keras 1 "
            "layer classes and arguments: convert it (migrator convert) or rebuild the model"
        )
    if not runtime.keras3:
        if facts.written_by_keras3:
            return (
                f"written by {facts.producer}, whose config (`batch_shape`, module entries, "
                f"dtype policies) {runtime.name} cannot deserialize; load it with Keras 3"
            )
        rejected = sorted(config.input_layer_args - runtime.input_layer_args)
        if rejected and not (container == "sm" and config.model_class != "Sequential"):
            return (
                f"its InputLayer config has {_quote(rejected)}, which {runtime.name}'s InputLayer "
                f"rejects (written by {facts.producer}, a newer Keras 2 line)"
            )
        if container == "keras" and config.tf_keras_modules and runtime.package == "tf.keras":
            return (
                f"config entries {_quote(config.tf_keras_modules)} name `tf_keras` modules, which "
                f"{runtime.name} cannot import; load it with tf_keras"
            )
        return None
    if config.list_config and container != "sm":
        return (
            f"the Sequential config is a bare list of layers (Keras <= 2.2, {facts.producer}); "
            f"{runtime.name}'s legacy loader expects a dict and fails; convert it (migrator "
            "convert) or load it with tf_keras"
        )
    if config.conv_first and container == "h5":
        return (
            f"the Sequential starts with convolution `{config.conv_first}` carrying "
            f"`batch_input_shape` and no InputLayer; {runtime.name} turns that into an input "
            "with an extra axis and the kernel no longer fits; load it with tf_keras or convert it"
        )
    if config.time_major and container != "sm":
        return (
            f"recurrent layer(s) {_quote(config.time_major)} record Keras 2's `time_major`, which "
            f"{runtime.name} rejects (Unrecognized keyword arguments); load it with tf_keras or "
            "convert it"
        )
    if config.orthogonal and not runtime.reads_orthogonal and container != "sm":
        return (
            f"{runtime.name} cannot resolve the `Orthogonal` initializer named in this config "
            "(every LSTM/GRU has one); load it with a newer Keras 3 or tf_keras"
        )
    if not runtime.reads_newer_keras3_configs and config.newer_keras3:
        return (
            f"written by {facts.producer}, whose layer configs carry "
            f"{_quote(list(config.newer_keras3))}, which {runtime.name} does not know; load it "
            "with a newer Keras 3"
        )
    if container == "keras":
        if config.keras2_modules:
            return (
                f"config entries {_quote(config.keras2_modules)} name Keras 2 internal modules "
                f"(`keras.src.engine...`/`tf_keras...`) that {runtime.name} cannot import; load "
                "it with tf_keras, or convert it (migrator convert)"
            )
        if config.keras2_lambdas:
            return (
                f"Lambda layer(s) {_quote(config.keras2_lambdas)} use the Keras 2 config "
                f"(`function_type`, `module`...), which {runtime.name}'s Lambda rejects even with "
                "safe_mode=False; load it with tf_keras"
            )
    return None


def _checks_safe_mode(runtime: Runtime, container: str) -> bool:
    """Whether loading marshalled Lambda code needs safe_mode=False in this runtime."""
    if container == "sm":
        return False  # revived from the SavedModel's traced functions; no bytecode runs
    if container == "keras":
        return True  # every `.keras` loader (tf.keras 2.13+, tf_keras, Keras 3) checks it
    # legacy HDF5: Keras 3 checks it from 3.11.3 on (GHSA-36rr-ww3j-vrjv); Keras 2 never does
    return runtime.h5_safe_mode


def _compile_needs(facts: _Facts, runtime: Runtime, container: str) -> list[tuple[str, str]]:
    training = facts.training
    if not training:
        return []
    problem = None
    if runtime.keras3 and container == "h5":
        problem = _keras3_h5_compile_problem(training)
    elif runtime.keras3 and container == "keras" and not facts.written_by_keras3:
        optimizer = training.get("optimizer")
        args = optimizer.get("config") if isinstance(optimizer, Mapping) else None
        unknown = sorted(_KERAS2_ONLY_OPTIMIZER_ARGS.intersection(args or {}))
        if unknown:
            problem = f"its tf.keras optimizer config has {_quote(unknown)}, which Keras 3 rejects"
    if problem:
        return [
            ("compile=False", f"needs compile=False: {problem}"),
            ("optimizer_reset", "the optimizer state is lost (recompile before training)"),
        ]
    version = facts.producer_keras
    standalone = (
        container == "h5"
        and version is not None
        and version[:2] < (2, 4)
        and not facts.details.get("tf_keras")
    )
    if standalone and facts.details.get("optimizer_weights"):
        return [
            (
                "optimizer_reset",
                f"the optimizer state is not restored: the optimizer weights of multi-backend "
                f"{facts.producer} do not match {runtime.name}'s optimizer variables (it warns "
                "and starts a fresh optimizer)",
            )
        ]
    return []


def _keras3_h5_compile_problem(training: Mapping[str, Any]) -> str | None:
    losses = list(_loss_names(training.get("loss")))
    unknown = [name for name in losses if name in _KERAS3_UNKNOWN_LOSSES]
    if unknown:
        return f"the loss {_quote(unknown)} is a Keras 2 alias Keras 3 cannot resolve"
    if any(_auto_reduction(value) for value in _values(training.get("loss"))):
        return "the loss object has Keras 2's `reduction: auto`, which Keras 3 rejects"
    optimizer = training.get("optimizer_config")
    args = optimizer.get("config") if isinstance(optimizer, Mapping) else None
    old = sorted(_KERAS3_UNKNOWN_OPTIMIZER_ARGS.intersection(args or {}))
    if old:
        return f"the optimizer config has {_quote(old)} (Keras 2.0-2.2), which Keras 3 rejects"
    return None


def _loss_names(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping) and "class_name" not in value:
        for inner in value.values():
            yield from _loss_names(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _loss_names(inner)


def _auto_reduction(value: Any) -> bool:
    inner = value.get("config") if isinstance(value, Mapping) else None
    return isinstance(inner, Mapping) and inner.get("reduction") == "auto"


def _load_model_saved_model(facts: _Facts, runtime: Runtime) -> Prediction:
    details = facts.details
    if runtime.keras3:
        return _fails(
            f"{runtime.name} load_model does not read SavedModel folders; use "
            "keras.layers.TFSMLayer or tf.saved_model.load, or convert it to `.keras`"
        )
    source = details.get("keras_source")
    if not details.get("keras") or source not in ("keras_metadata.pb", "object_graph"):
        return _fails(
            "no Keras model in this SavedModel (exported with tf.saved_model.save, "
            "model.export or a TF1 builder); use tf.saved_model.load"
        )
    tf_version = _version(str(facts.artifact.producer.get("tensorflow_version") or ""))
    if source == "object_graph" and tf_version and tf_version >= (2, 5):
        return _fails(
            f"the Keras objects have no keras_metadata.pb (TF {'.'.join(map(str, tf_version))} "
            "wrote it with tf.saved_model.save, not model.save); use tf.saved_model.load"
        )
    if facts.config is not None:
        blocked = _config_blocker(facts, runtime, "sm")
        if blocked:
            return _fails(blocked)
    needs: list[tuple[str, str]] = []
    if facts.training:
        needs.append(
            (
                "optimizer_reset",
                f"the optimizer state is not restored ({runtime.name} recompiles a fresh "
                "optimizer from the training config)",
            )
        )
    reason = f"{runtime.name} revives the Keras model from the SavedModel"
    if facts.config and (facts.config.custom or facts.config.lambdas):
        reason += (
            "; custom and Lambda layers come back as revived layers running their saved "
            "functions (no Python class or bytecode needed)"
        )
    return _with_needs(reason, needs)


# --- load_weights


def _load_weights(facts: _Facts, runtime: Runtime) -> Prediction:
    name = facts.name
    fmt = facts.fmt
    arch = "into the same architecture built in code"
    if fmt == "tf-checkpoint":
        if not _rooted_at_model(facts.details):
            kind = facts.details.get("kind")
            what = (
                "a tf.train.Checkpoint"
                if kind == "object-based"
                else "a name-based (tf.train.Saver)"
            )
            return _fails(
                f"{what} checkpoint is not rooted at the model, so load_weights matches none of "
                "its variables; restore it with tf.train.Checkpoint(model=model).restore(prefix)"
            )
        if runtime.keras3:
            return _fails(
                f"{runtime.name} load_weights reads only `.weights.h5`, `.keras` and legacy "
                "`.h5` files, not TF checkpoints; load it with tf_keras, then save `.weights.h5`"
            )
        return _loads(f"{runtime.name} restores the TF-format weights {arch}")
    if fmt in ("keras-h5", "keras-h5-weights"):
        if name.endswith(".weights.h5"):
            return _fails(
                f"{runtime.name} reads a `.weights.h5` name as the Keras 3 weights layout, but "
                "this is a legacy HDF5 weights file; rename it to `.h5`"
            )
        if runtime.keras3 and not name.endswith((".h5", ".hdf5")):
            return _fails(
                f"{runtime.name} load_weights reads legacy HDF5 only under `.h5`/`.hdf5` names; "
                f"`{name}` is not one (rename it)"
            )
        return _loads(f"{runtime.name} loads the legacy HDF5 weights {arch}")
    if fmt == "keras-v3":
        blocked = _keras_v3_container(facts, runtime)
        if blocked:
            return _fails(blocked)
        if facts.details.get("container") == "folder":
            return _fails(f"{runtime.name} load_weights reads a `.keras` zip, not a folder")
        return _loads(f"{runtime.name} loads the weights of the `.keras` archive {arch}")
    # keras-v3-weights
    details = facts.details
    if not (name.endswith(".weights.h5") or (details.get("sharded") and runtime.keras3)):
        return _fails(
            f"{runtime.name} reads the `.weights.h5` layout only under a `.weights.h5` name; "
            f"rename `{name}`"
        )
    if details.get("sharded") and not runtime.reads_sharded_weights:
        return _fails(f"{runtime.name} cannot read sharded `.weights.json` weights")
    layout = _weights_layout(facts)
    if layout == "layers" and runtime.v3_layout == "legacy":
        return _fails(
            f"{runtime.name} expects `.weights.h5` layers under `_layer_checkpoint_dependencies/`; "
            "this file keeps them under `layers/` (TF 2.13+ layout)"
        )
    if layout == "legacy" and runtime.v3_layout != "legacy":
        if not runtime.keras3:
            return _fails(
                f"this `.weights.h5` uses tf.keras 2.12's `_layer_checkpoint_dependencies/` "
                f"layout, which {runtime.name} does not read; load it with TF 2.12 or Keras 3"
            )
        skipped = _skipped_layer_names(details)
        if skipped:
            return _fails(
                f"tf.keras 2.12 numbered these layers {_quote(skipped)} with gaps, and "
                f"{runtime.name} looks them up as `<class>`, `<class>_1`, ...: their weights "
                "are never found"
            )
        return _loads(
            f"{runtime.name} maps tf.keras 2.12's `_layer_checkpoint_dependencies/` layout "
            f"onto its own layer names {arch}"
        )
    return _loads(f"{runtime.name} loads the `.weights.h5` weights {arch}")


def _rooted_at_model(details: Mapping[str, Any]) -> bool:
    """An object-based checkpoint whose root is the Keras model itself (`save_weights` TF format).

    `tf.train.Checkpoint(model=model).save()` roots the graph at the Checkpoint, whose children
    are `model` and the `save_counter` it adds; `load_weights` then matches nothing. The root of
    a model's own checkpoint holds its layers (`layer-N`, `layer_with_weights-N`, or a subclassed
    model's attribute names) and never a `save_counter`.
    """
    if details.get("kind") != "object-based" or not details.get("keras_save_weights"):
        return False
    graph = details.get("object_graph")
    children = graph.get("root_children") if isinstance(graph, Mapping) else None
    if isinstance(children, list):
        return "save_counter" not in children
    names = [t.get("name", "") for t in details.get("tensors") or [] if isinstance(t, Mapping)]
    return not any(str(n).startswith("save_counter") for n in names)


def _skipped_layer_names(details: Mapping[str, Any]) -> list[str]:
    """Layer groups holding variables whose `<class>_<n>` number skips one (2.12 layout)."""
    seen: dict[tuple[str, str], int] = {}
    bad: list[str] = []
    for layer in details.get("layers") or []:
        parent, _, leaf = str(layer.get("path", "")).rpartition("/")
        match = re.fullmatch(r"(.*?)(?:_(\d+))?", leaf)
        base, number = (match.group(1), int(match.group(2) or 0)) if match else (leaf, 0)
        expected = seen.get((parent, base), 0)  # Keras numbers siblings, per class name
        seen[(parent, base)] = expected + 1
        if number != expected and layer.get("variables"):
            bad.append(leaf)
    return bad


# --- TensorFlow-level loaders


def _meta_graphs(facts: _Facts) -> list[Mapping[str, Any]]:
    metas = facts.details.get("meta_graphs")
    return [m for m in metas if isinstance(m, Mapping)] if isinstance(metas, list) else []


def _missing_variables(facts: _Facts) -> str | None:
    variables = facts.details.get("variables")
    if not isinstance(variables, Mapping):
        return None
    if variables.get("missing"):
        return f"variables/ is missing {_quote(list(variables['missing']))}"
    if variables.get("needed") and not variables.get("index"):
        return "the graph has variables but variables/variables.index is missing"
    return None


def _saved_model_load(facts: _Facts, tf_line: str) -> Prediction:
    missing = _missing_variables(facts)
    if missing:
        return _fails(f"{missing}; TensorFlow cannot restore the variables")
    metas = _meta_graphs(facts)
    needs: list[tuple[str, str]] = []
    chosen = metas[0] if metas else {}
    if len(metas) > 1:
        tag_sets = [sorted(m.get("tags") or []) for m in metas]
        serve = [m for m in metas if sorted(m.get("tags") or []) == ["serve"]]
        chosen = serve[0] if serve else metas[0]
        tags = sorted(chosen.get("tags") or [])
        needs.append(
            (
                "tags",
                f"needs tags={tags!r}: there are {len(metas)} MetaGraphs ({tag_sets}) and "
                "tf.saved_model.load refuses to pick one",
            )
        )
    signatures = chosen.get("signatures") if isinstance(chosen.get("signatures"), Mapping) else {}
    if "serving_default" not in signatures:
        keys = sorted(k for k in signatures if not k.startswith("__"))
        return _fails(
            f"loads, but has no serving_default signature (signatures: {keys or 'none'}); "
            "call the restored functions directly"
        )
    reason = f"TF {RUNTIMES[(tf_line, 'keras')].tf} runs its serving_default signature"
    written = _version(str(facts.artifact.producer.get("tensorflow_version") or ""))
    if tf_line == "2.12" and facts.details.get("era") == "tf2" and written and written >= (2, 13):
        reason += (
            f"; caveat: TF 2.12 cannot decode tensor default values in function specs, which "
            f"TF {'.'.join(map(str, written))} may have written (NotEncodableError)"
        )
    return _with_needs(reason, needs)


def _tfsm_layer(facts: _Facts, tf_line: str) -> Prediction:
    runtime = RUNTIMES[(tf_line, "keras")]
    missing = _missing_variables(facts)
    if missing:
        return _fails(f"{missing}; TensorFlow cannot restore the variables")
    metas = _meta_graphs(facts)
    if len(metas) > 1:
        return _fails(
            f"{len(metas)} MetaGraphs and TFSMLayer has no `tags=` argument (it calls "
            "tf.saved_model.load without one); load it with tf.saved_model.load(..., tags=...)"
        )
    signatures = metas[0].get("signatures") if metas else {}
    signatures = signatures if isinstance(signatures, Mapping) else {}
    if "serve" in signatures:
        return _loads(f"{runtime.name} TFSMLayer calls the `serve` endpoint model.export wrote")
    default = signatures.get("serving_default")
    if not isinstance(default, Mapping):
        return _fails("no `serve` endpoint and no serving_default signature to call")
    inputs = default.get("inputs") if isinstance(default.get("inputs"), Mapping) else {}
    if len(inputs) > 1:
        return _fails(
            f"no `serve` endpoint, and the serving_default signature takes {len(inputs)} named "
            f"inputs ({_quote(sorted(inputs))}), which TFSMLayer cannot pass (it calls the "
            "endpoint with one positional argument); use tf.saved_model.load"
        )
    return _with_needs(
        f"{runtime.name} TFSMLayer calls the serving_default signature",
        [
            (
                "call_endpoint",
                "needs call_endpoint='serving_default': the SavedModel has no `serve` endpoint "
                "(only model.export writes one)",
            )
        ],
    )
