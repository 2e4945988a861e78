"""What a conversion step reports back from its worker, as one typed record.

A step runs in another interpreter and answers with JSON; `StepResult.from_json` turns that
answer into this record in the main process, so the converter, the validation and the published
metadata read named fields (and a step that sends an unknown key fails loudly instead of being
silently ignored).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class StepResult:
    """One step's product and what the conversion and its validation need to know about it."""

    path: str  # the file or folder the step wrote
    changes: tuple[str, ...] = ()  # what was rewritten (config arguments, layers, ...)
    notes: tuple[str, ...] = ()  # what the user should know (state not carried, ...)
    signature: tuple[Mapping[str, Any], ...] = ()  # the model's inputs: name, shape, dtype
    weights: Mapping[str, Any] | None = None  # how the weights were assigned (layers, counts)
    # Per-layer weight transforms the validation applies to the source's weights before comparing
    # them with the output's (hard_sigmoid rescaling, Keras 1 gate order...).
    weight_transforms: Mapping[str, Any] = field(default_factory=dict)
    int_high: int | None = None  # exclusive bound for integer inputs (an Embedding's vocabulary)
    channels_first: bool = False  # needs oneDNN kernels in every runtime to compare outputs
    lambdas: tuple[Any, ...] = ()  # Lambda layers carried over (only with --unsafe)
    source_keras_major: int | None = None  # the Keras major version that wrote the source
    training_config: Any = None  # recorded in metadata, not compiled into the output
    source_config_keras2: str | None = None  # the source's config for a Keras 2 loader (JSON)
    theano: bool = False  # the source was trained with Theano (kernels flipped)
    weights_kind: str | None = None  # weights-to-keras: the kind of weights file it read
    architecture: str | None = None  # keras-to-weights: the .keras file holding the architecture
    input_names: tuple[str, ...] | None = None  # SavedModel outputs: serving_default input names
    input_tensors: Any = None  # graph-def: the tensors fed
    output_tensors: Any = None  # graph-def: the tensors fetched
    tags: tuple[str, ...] | None = None  # tf1 SavedModel: the MetaGraph tags converted
    signature_key: str | None = None  # tf1 SavedModel: the signature exported
    # An .npz of inputs the step derived from the model itself (tf.Example protos built from a
    # graph's parse ops), used for validation when the user gave no --inputs.
    validation_inputs: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, step: str) -> StepResult:
        """The record of a worker's JSON answer; an unknown key is a bug in the step `step`."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"step {step} returned unknown result keys {unknown}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, list) and key not in ("training_config",):
                value = tuple(value)
            values[key] = value
        return cls(**values)
