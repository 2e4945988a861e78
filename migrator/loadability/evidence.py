"""What the verdicts need to know about an artifact, gathered once from its reading.

`Evidence` is read from the `Artifact` alone (its `details`, `raw` configs and `producer`), through
`migrator.facts` for the Keras configs; `ConfigEvidence` is what a model config says that some
loader rejects. Checks and verdicts read these, never the reading's keys for configs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from migrator.facts import custom_classes, custom_training_objects, model_config, training_config
from migrator.formats import keras_config
from migrator.knowledge.keras3 import KERAS2_INTERNAL_MODULES
from migrator.knowledge.loaders import KERAS3_CONFIG_ARGUMENTS_SINCE, WEIGHTLESS_LAYER_CLASSES
from migrator.knowledge.versions import Version, parse
from migrator.model import Artifact


@dataclass(frozen=True)
class ConfigEvidence:
    """Facts about the Keras model config an artifact carries."""

    model_class: str | None
    style: str | None  # keras_config.config_style: keras1 / keras2 / keras3
    input_layer_args: frozenset[str]
    newer_keras3: tuple[
        str, ...
    ]  # arguments later Keras 3 releases write (loaders.KERAS3_CONFIG_...)
    lambdas: tuple[str, ...]  # layers with marshalled Python bytecode
    keras2_lambdas: tuple[str, ...]  # Keras 2 Lambda configs (function_type keys)
    custom: tuple[str, ...]
    keras2_modules: tuple[str, ...]  # entries naming Keras 2 internal modules
    tf_keras_modules: tuple[str, ...]  # entries naming tf_keras modules
    # entries naming `keras.src.*` modules (tf.keras 2.13-2.15; knowledge.loaders.
    # KERAS2_SRC_PACKAGE_SINCE) and registered classes kept under a `registered_name` other
    # than their `class_name` (tf.keras 2.13+, KERAS2_CONFIG_REGISTERED_NAME_SINCE)
    keras_src_modules: tuple[str, ...]
    # entries naming `keras.engine.*`: tf.keras 2.12's private modules, which 2.13 moved under
    # `keras.src` (knowledge.loaders.KERAS2_SRC_PACKAGE_SINCE)
    keras_engine_modules: tuple[str, ...]
    registered_apart: tuple[str, ...]
    list_config: bool  # Sequential config as a bare list of layers (Keras 1 to 2.2.0)
    conv_first: str | None  # Sequential with no InputLayer, starting with a convolution
    time_major: tuple[str, ...]  # recurrent layers recording Keras 2's `time_major`
    orthogonal: bool  # an `Orthogonal` initializer (every LSTM/GRU/SimpleRNN default)
    # layers with weights the tf.keras 2.12-2.13 saving walk numbers otherwise than later ones
    # (knowledge.loaders.V3_WEIGHTS_COMPACT_NUMBERING_SINCE)
    tf212_renumbered: tuple[str, ...] = ()
    # Bidirectional layers, whose weights Keras 3 counts otherwise from 3.3.3 on
    # (knowledge.loaders.KERAS3_BIDIRECTIONAL_LAYER_SINCE)
    bidirectional: tuple[str, ...] = ()
    # Functional `input_layers`/`output_layers` written as one bare `[name, node, tensor]`
    # reference (Keras 3.11+; knowledge.loaders.KERAS3_READS_BARE_TENSOR_REFERENCE_SINCE)
    bare_tensor_refs: tuple[str, ...] = ()

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> ConfigEvidence:
        entries = [("(model)", config), *keras_config.iter_layers(config)]
        input_args: set[str] = set()
        newer: set[str] = set()
        keras2_lambdas: list[str] = []
        keras2_modules: list[str] = []
        tf_keras_modules: list[str] = []
        keras_src_modules: list[str] = []
        keras_engine_modules: list[str] = []
        registered_apart: list[str] = []
        time_major: list[str] = []
        for path, entry in entries:
            inner = entry.get("config")
            module = entry.get("module")
            if isinstance(module, str):
                if module.startswith(KERAS2_INTERNAL_MODULES):
                    keras2_modules.append(path)
                if module.split(".", 1)[0] == "tf_keras":
                    tf_keras_modules.append(path)
                if module.startswith("keras.src."):
                    keras_src_modules.append(path)
                if module.startswith("keras.engine."):
                    keras_engine_modules.append(path)
            registered = entry.get("registered_name")
            if isinstance(registered, str) and registered != entry.get("class_name"):
                registered_apart.append(registered)
            if not isinstance(inner, Mapping):
                continue
            if entry.get("class_name") == "InputLayer":
                input_args.update(str(k) for k in inner)
            for value in nested_mappings(inner):
                newer.update(KERAS3_CONFIG_ARGUMENTS_SINCE.keys() & value.keys())
            if entry.get("class_name") == "Lambda" and "function_type" in inner:
                keras2_lambdas.append(path)
            if path != "(model)" and "time_major" in inner:
                time_major.append(path)
        style, _ = keras_config.config_style(config)
        class_name = config.get("class_name")
        return cls(
            model_class=class_name if isinstance(class_name, str) else None,
            style=style,
            input_layer_args=frozenset(input_args),
            newer_keras3=tuple(sorted(newer)),
            lambdas=tuple(x["path"] for x in keras_config.lambda_layers(config) if x["marshalled"]),
            keras2_lambdas=tuple(keras2_lambdas),
            custom=tuple(dict.fromkeys(name for _, name in custom_classes(config))),
            keras2_modules=tuple(keras2_modules),
            tf_keras_modules=tuple(tf_keras_modules),
            keras_src_modules=tuple(keras_src_modules),
            keras_engine_modules=tuple(keras_engine_modules),
            registered_apart=tuple(dict.fromkeys(registered_apart)),
            list_config=isinstance(config.get("config"), list),
            conv_first=_conv_first(config),
            time_major=tuple(time_major),
            orthogonal=any(v.get("class_name") == "Orthogonal" for v in nested_mappings(config)),
            tf212_renumbered=tuple(_tf212_renumbered(config)),
            bidirectional=tuple(
                path for path, entry in entries if entry.get("class_name") == "Bidirectional"
            ),
            bare_tensor_refs=tuple(_bare_tensor_refs(entries)),
        )


def _tf212_renumbered(model: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Layers with weights whose `<class>_<n>` name differs between the tf.keras 2.12-2.13 saving
    walk and later ones (tf.keras 2.14+, Keras 3), in `model` and in the models nested in it:
    per class, 2.12-2.13 count a layer with weights twice, later walks once
    (`knowledge.loaders.V3_WEIGHTS_COMPACT_NUMBERING_SINCE`)."""
    tf212: dict[str, int] = {}
    keras3: dict[str, int] = {}
    for child in keras_config.children(model):
        name = str(child.get("class_name"))
        path = (
            f"{prefix}/{keras_config.layer_name(child)}"
            if prefix
            else keras_config.layer_name(child)
        )
        weighted = name not in WEIGHTLESS_LAYER_CLASSES
        number_212, number_3 = tf212.get(name, 0), keras3.get(name, 0)
        tf212[name] = number_212 + (2 if weighted else 1)
        keras3[name] = number_3 + 1
        if weighted and number_212 != number_3:
            yield path
        inner = child.get("config")
        if isinstance(inner, Mapping) and isinstance(inner.get("layers"), list):
            yield from _tf212_renumbered(child, path)


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


def _bare_tensor_refs(entries: list[tuple[str, Mapping[str, Any]]]) -> Iterator[str]:
    """`<model path>.input_layers`/`.output_layers` entries holding one bare tensor reference
    (`["out", 0, 0]`) instead of a list or dict of them."""
    for path, entry in entries:
        inner = entry.get("config")
        if not isinstance(inner, Mapping):
            continue
        for key in ("input_layers", "output_layers"):
            value = inner.get(key)
            if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
                yield f"{path}.{key}"


def nested_mappings(value: Any) -> Iterator[Mapping[str, Any]]:
    """Every mapping nested in a config value, itself included, at any depth."""
    if isinstance(value, Mapping):
        yield value
        for inner in value.values():
            yield from nested_mappings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from nested_mappings(inner)


@dataclass(frozen=True)
class Evidence:
    """One artifact as the verdicts see it."""

    artifact: Artifact
    name: str  # the file or folder name the loader is handed
    config: ConfigEvidence | None
    training: Mapping[str, Any] | None
    custom_training: tuple[str, ...]  # losses, metrics, optimizers Keras does not define
    producer_keras: Version | None

    @classmethod
    def of(cls, artifact: Artifact) -> Evidence:
        found = model_config(artifact)
        training = training_config(artifact)
        custom_training = (
            tuple(dict.fromkeys(name for _, name in custom_training_objects(training)))
            if training
            else ()
        )
        return cls(
            artifact=artifact,
            name=PurePosixPath(artifact.path).name
            if artifact.path != "."
            else artifact.location.name,
            config=ConfigEvidence.of(found.config) if found else None,
            training=training,
            custom_training=custom_training,
            producer_keras=parse(_producer_keras_version(artifact)),
        )

    @property
    def details(self) -> Mapping[str, Any]:
        return self.artifact.details

    @property
    def fmt(self) -> str:
        return self.artifact.format

    @property
    def producer_tf(self) -> Version | None:
        """The TensorFlow release that wrote the artifact, parsed."""
        return parse(str(self.artifact.producer.get("tensorflow_version") or ""))

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
