"""Rewrite Keras model configs of every era into configs Keras 3 builds, pure Python.

Two hops, each a plain function of a JSON value, each in its own module:

- `keras1_to_2.keras1_to_keras2`: Keras 1 layer classes and argument names to their Keras 2
  equivalents, following the conversions Keras 2.0 itself applied.
- `keras2_to_3.keras2_to_keras3`: what Keras 3 no longer accepts (arguments, classes, defaults
  that changed, legacy Lambda functions); `activations` keeps hard_sigmoid, which Keras 3
  redefined, by recording weight transforms.

The release facts they apply live in `migrator.knowledge` (`keras1`, `keras2_to_3`). Every change
is recorded in `Rewrite.changes` so the metadata of the converted model says what was done; what
cannot be rewritten faithfully raises `NoFaithfulMapping`. The Keras 2 form is also what the
tf.keras runtimes build when they validate a Keras 1 source.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from migrator.convert.config_rewrite.cudnn_keras2 import portable_rnns
from migrator.convert.config_rewrite.keras1_to_2 import keras1_to_keras2
from migrator.convert.config_rewrite.keras2_to_3 import keras2_to_keras3
from migrator.convert.config_rewrite.result import Config, Rewrite, refuse_lambdas
from migrator.knowledge.keras1 import is_keras1
from migrator.knowledge.versions import major

__all__ = ["Config", "Rewrite", "keras1_to_keras2", "keras2_to_keras3", "rewrite"]


def rewrite(
    config: Mapping[str, Any],
    *,
    keras_version: str | None = None,
    unsafe: bool = False,
    target: str = "keras3",
) -> Rewrite:
    """Rewrite a whole model config for `target` ("keras3", or "keras2" for tf.keras runtimes)."""
    result = Rewrite(copy.deepcopy(dict(config)))
    _record_classes(result.config, result.source_classes)
    keras1 = is_keras1(keras_version, config)
    result.source_keras_major = 1 if keras1 else (major(keras_version) or 2)
    if keras1:
        result.config = keras1_to_keras2(result.config, result)
    if target == "keras3":
        result.config = keras2_to_keras3(result.config, result, unsafe=unsafe)
    else:
        result.config = portable_rnns(result.config, result)
        if result.lambdas and not unsafe:
            refuse_lambdas(result.lambdas)
    return result


def _record_classes(entry: Mapping[str, Any], out: dict[str, str]) -> None:
    from migrator.formats.keras_config import iter_layers, layer_name

    for _, layer in iter_layers(entry):
        out.setdefault(layer_name(layer), str(layer.get("class_name")))
