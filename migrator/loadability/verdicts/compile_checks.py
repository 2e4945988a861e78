"""What makes `compile=False` necessary, and what else compiling the saved training config loses.

Stage "compile": a check names the problem Keras meets compiling the recorded training config;
`compile_needs` turns it (or the multi-backend optimizer-weights mismatch) into needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from migrator.knowledge.keras3 import (
    KERAS2_ONLY_OPTIMIZER_ARGS,
    REJECTED_OPTIMIZER_ARGS,
    UNRESOLVED_LOSS_ALIASES,
)
from migrator.knowledge.loaders import (
    KERAS2_COMPILE_EXEMPTS_LEGACY_OPTIMIZER_SINCE,
    MULTI_BACKEND_OPTIMIZER_WEIGHTS_UNTIL,
)
from migrator.loadability.evidence import Evidence, nested_mappings
from migrator.loadability.prediction import Need, quote
from migrator.loadability.profiles import LoaderProfile
from migrator.loadability.registry import check, first_blocker


def _keras3_h5(ev: Evidence, profile: LoaderProfile, container: str) -> Mapping[str, Any] | None:
    """The training config when a Keras 3 loader compiles it from a legacy HDF5 file."""
    return ev.training if profile.keras3 and container == "h5" else None


@check(
    "compile",
    evidence='corpus/matrix.json: tf212/keras/trained/save-h5 x 2.16/keras.load_model ("Could '
    "not locate function 'mse'\"); knowledge.keras3.UNRESOLVED_LOSS_ALIASES",
)
def keras2_loss_alias(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A loss named by a Keras 2 alias (`mse`...) that Keras 3's HDF5 compile cannot resolve."""
    training = _keras3_h5(ev, profile, container)
    if not training:
        return None
    unknown = [
        name for name in _loss_names(training.get("loss")) if name in UNRESOLVED_LOSS_ALIASES
    ]
    if not unknown:
        return None
    return f"the loss {quote(unknown)} is a Keras 2 alias Keras 3 cannot resolve"


@check(
    "compile",
    evidence="keras/src/losses/loss.py of Keras 3.3.3 and 3.15.1 (`standardize_reduction` "
    "allows no 'auto')",
)
def auto_loss_reduction(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A loss object with Keras 2's `reduction: auto`, which Keras 3 losses reject."""
    training = _keras3_h5(ev, profile, container)
    if not training:
        return None
    if not any(_auto_reduction(value) for value in nested_mappings(training.get("loss"))):
        return None
    return "the loss object has Keras 2's `reduction: auto`, which Keras 3 rejects"


@check(
    "compile",
    evidence="corpus/realworld_matrix.json: oarriaga_k205_mini_xception_hdf5/"
    'fer2013_mini_XCEPTION.102-0.66.hdf5 x 2.16/keras.load_model ("Argument(s) not '
    "recognized: {'lr': ...}\"); knowledge.keras3.REJECTED_OPTIMIZER_ARGS",
)
def keras22_optimizer_args(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """Optimizer arguments of Keras 2.0-2.2 (`lr`, `decay`...) in an HDF5 training config."""
    training = _keras3_h5(ev, profile, container)
    if not training:
        return None
    optimizer = training.get("optimizer_config")
    args = optimizer.get("config") if isinstance(optimizer, Mapping) else None
    old = sorted(REJECTED_OPTIMIZER_ARGS.intersection(args or {}))
    if not old:
        return None
    return f"the optimizer config has {quote(old)} (Keras 2.0-2.2), which Keras 3 rejects"


@check(
    "compile",
    evidence="corpus/matrix.json: tf215/keras/trained/save-keras x 2.16/keras.load_model "
    "(\"Argument(s) not recognized: {'jit_compile': False, 'is_legacy_optimizer': False...\")",
)
def tf_keras_optimizer_args(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A tf.keras `.keras` optimizer config with keys Keras 3 optimizers reject."""
    training = ev.training
    if not training or not profile.keras3 or container != "keras" or ev.written_by_keras3:
        return None
    optimizer = training.get("optimizer")
    args = optimizer.get("config") if isinstance(optimizer, Mapping) else None
    unknown = sorted(KERAS2_ONLY_OPTIMIZER_ARGS.intersection(args or {}))
    if not unknown:
        return None
    return f"its tf.keras optimizer config has {quote(unknown)}, which Keras 3 rejects"


@check(
    "compile",
    evidence="knowledge.loaders.KERAS2_COMPILE_EXEMPTS_LEGACY_OPTIMIZER_SINCE (measured: "
    "tf212/keras/trained/save-format-keras-v3 x tf212/keras.load_model, \"'Adam' object has no "
    "attribute 'build'\")",
)
def legacy_optimizer_build(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """A `.keras` compile config naming a legacy optimizer, which tf.keras 2.12-2.14 try to
    build (legacy optimizers have no build)."""
    training = ev.training
    if not training or profile.keras3 or container != "keras":
        return None
    if profile.version[:2] >= KERAS2_COMPILE_EXEMPTS_LEGACY_OPTIMIZER_SINCE:
        return None
    optimizer = training.get("optimizer")
    if not isinstance(optimizer, Mapping):
        return None
    module = str(optimizer.get("module") or "")
    inner = optimizer.get("config") if isinstance(optimizer.get("config"), Mapping) else {}
    if not module.endswith("optimizers.legacy") and inner.get("is_legacy_optimizer") is not True:
        return None
    return (
        f"its compile config names the legacy optimizer `{optimizer.get('class_name')}`, and "
        f"{profile.name} builds the optimizer it compiles, which a legacy optimizer cannot "
        "(no build())"
    )


def compile_needs(ev: Evidence, profile: LoaderProfile, container: str) -> list[Need]:
    """compile=False and a lost optimizer when compiling fails; a lost optimizer state when
    multi-backend Keras (< 2.4) saved optimizer weights tf.keras cannot match."""
    if not ev.training:
        return []
    problem = first_blocker(("compile",), ev, profile, container)
    if problem:
        return [
            ("compile=False", f"needs compile=False: {problem}"),
            ("optimizer_reset", "the optimizer state is lost (recompile before training)"),
        ]
    version = ev.producer_keras
    standalone = (
        container == "h5"
        and version is not None
        and version[:2] < MULTI_BACKEND_OPTIMIZER_WEIGHTS_UNTIL
        and not ev.details.get("tf_keras")
    )
    if standalone and ev.details.get("optimizer_weights"):
        return [
            (
                "optimizer_reset",
                f"the optimizer state is not restored: the optimizer weights of multi-backend "
                f"{ev.producer} do not match {profile.name}'s optimizer variables (it warns "
                "and starts a fresh optimizer)",
            )
        ]
    return []


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
