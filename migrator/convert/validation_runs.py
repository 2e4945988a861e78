"""How validation runs a conversion's source and its output, chosen from the steps' declarations.

Each step declares which runtime families can load what it reads (`registry.ValidateWith`):
"era" (the runtime of the artifact's own Keras), "tf_keras" (any runtime with the tf-keras
package) or "newest" (the newest runtime: TF1 graphs in a compat.v1 session, Keras 3 files).
The first step of a plan decides how the source is run; the output always runs in the newest
runtime.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from migrator.convert import Convertible, Options
from migrator.convert.registry import Step
from migrator.convert.runtimes import Runtime
from migrator.convert.step_result import StepResult
from migrator.convert.validate import Run
from migrator.knowledge.loaders import (
    KERAS3_MAPS_TF212_LAYOUT_SINCE,
    V3_WEIGHTS_COMPACT_NUMBERING_SINCE,
)
from migrator.knowledge.versions import parse as parse_version

# Kinds whose source runs as a TF1 SavedModel in a compat.v1 session (graph-def: see below).
_GRAPH_KINDS = ("tf1-saved-model", "tf1-keras-export", "tfhub-module")


def _keras_runs(
    available: Sequence[Runtime],
    source: Convertible,
    kind: str,
    info: StepResult,
    options: Options,
    families: Sequence[str],
) -> list[Run]:
    """Ways to load a Keras source, best first: its own era's runtime, then tf-keras.

    Only the runtime `families` the step declared are used ("era" and/or "tf_keras").
    """
    keras2 = [r for r in reversed(available) if r.keras_major == 2]
    tfk = [r for r in reversed(available) if r.has_tf_keras]
    keras3 = [r for r in reversed(available) if r.has_keras3]
    common = {
        "custom_objects": list(options.custom_objects),
        "unsafe": options.unsafe,
        "theano_flip": info.theano,
    }
    path = str(source.location)
    runs: list[Run] = []

    def add(rts: Sequence[Runtime], flavour: str, label: str, **args: Any) -> None:
        if ("tf_keras" if flavour == "tf_keras" else "era") not in families:
            return
        for rt in rts:
            fl = flavour if flavour != "own" else "keras"
            runs.append(Run(rt, "run_keras", {**common, "flavour": fl, **args}, label))

    if kind == "keras-h5":
        if info.source_keras_major == 3:
            add(keras3, "own", "keras.models.load_model", path=path, loader="keras")
        elif info.source_keras_major == 1:
            cfg = info.source_config_keras2
            add(
                keras2,
                "own",
                "Keras 2 config + tf.keras Keras-1 weight conversion",
                path=None,
                loader="config+weights",
                config_json=cfg,
                weights=path,
            )
            add(
                tfk,
                "tf_keras",
                "Keras 2 config + tf_keras Keras-1 weight conversion",
                path=None,
                loader="config+weights",
                config_json=cfg,
                weights=path,
            )
        elif (source.details.get("chunked_attributes") or {}).get("model_config"):
            # load_model reads only a whole `model_config` attribute: give it the reading's
            # config, joined from its chunks, and the file's weights.
            cfg = json.dumps(source.raw["model_config"])
            for rts, flavour in ((keras2, "own"), (tfk, "tf_keras")):
                add(
                    rts,
                    flavour,
                    f"{'tf.keras' if flavour == 'own' else 'tf_keras'} model_from_json "
                    "+ load_weights (chunked model_config)",
                    path=None,
                    loader="config+weights",
                    config_json=cfg,
                    weights=path,
                )
        else:
            add(keras2, "own", "tf.keras.models.load_model", path=path, loader="keras")
            add(tfk, "tf_keras", "tf_keras.models.load_model", path=path, loader="keras")
    elif kind == "tf212-keras-v3":
        # The _layer_checkpoint_dependencies layout of tf.keras 2.12-2.14: the releases that
        # number layers as the file does read it (2.12-2.13 gapped, 2.14 compact), and Keras
        # 3.0.2+ falls back to it, reading the compact numbering (knowledge.loaders).
        compact = source.details.get("weights_numbering") == "compact"
        lines = ((2, 14),) if compact else ((2, 12), (2, 13))
        era = {line: [r for r in keras2 if r.tf_line == line] for line in lines}
        for line in lines:
            add(
                era[line],
                "own",
                f"tf.keras {line[0]}.{line[1]} load_model",
                path=path,
                loader="keras",
            )
        if not compact and info.source_config_keras2:
            # A 2.13 Functional config names keras.src.engine.functional, which no other
            # release imports: its own tf.keras builds it from the config and reads the
            # archive's weights (load_weights of 2.12-2.13 reads the gapped numbering).
            for line in lines:
                add(
                    era[line],
                    "own",
                    f"tf.keras {line[0]}.{line[1]} model_from_json + load_weights",
                    path=None,
                    loader="config+weights",
                    config_json=info.source_config_keras2,
                    weights=path,
                )
        if compact:
            since = KERAS3_MAPS_TF212_LAYOUT_SINCE
            falls_back = [r for r in keras3 if (parse_version(r.keras) or (0,)) >= since]
            add(falls_back, "own", "keras.models.load_model", path=path, loader="keras")
        if compact and info.source_config_keras2:
            # A 2.14 Functional config names keras.src.engine.functional, which Keras 3 cannot
            # import: tf.keras 2.15 (or tf_keras, its successor) builds it and its own
            # load_weights walks the archive's weights renamed to the `layers/` layout,
            # numbered compactly as 2.14 did.
            compact_readers = [r for r in keras2 if r.tf_line >= V3_WEIGHTS_COMPACT_NUMBERING_SINCE]
            for rts, flavour in ((compact_readers, "own"), (tfk, "tf_keras")):
                add(
                    rts,
                    flavour,
                    f"{'tf.keras' if flavour == 'own' else 'tf_keras'} model_from_json + "
                    "load_weights (2.14 layout renamed to layers/)",
                    path=None,
                    loader="config+tf212-layout",
                    config_json=info.source_config_keras2,
                    weights=path,
                )
    elif kind in ("keras-savedmodel", "tf-keras-v3"):
        add(keras2, "own", "tf.keras.models.load_model", path=path, loader="keras")
        add(tfk, "tf_keras", "tf_keras.models.load_model", path=path, loader="keras")
    elif kind == "tfjs-layers":
        for rts, flavour in ((keras2, "own"), (tfk, "tf_keras")):
            add(
                rts,
                flavour,
                "Keras 2 topology + manifest weights by layer",
                path=path,
                loader="tfjs",
                config_json=info.source_config_keras2,
            )
    elif kind == "keras-weights+arch":
        weights = path
        if options.model_factory:
            for runtimes_, flavour in ((keras3, "own"), (keras2, "own"), (tfk, "tf_keras")):
                add(
                    runtimes_,
                    flavour,
                    f"{options.model_factory} + load_weights",
                    path=None,
                    loader="factory+weights",
                    factory=options.model_factory,
                    weights=weights,
                )
        elif info.weights_kind == "keras-v3-weights":
            arch_cfg = json.dumps(_arch_config(source.architecture))
            add(
                keras3,
                "own",
                "Keras 3 model_from_json + load_weights",
                path=None,
                loader="config+weights",
                config_json=arch_cfg,
                weights=weights,
            )
        else:
            cfg = info.source_config_keras2
            add(
                keras2,
                "own",
                "tf.keras model_from_json + load_weights",
                path=None,
                loader="config+weights",
                config_json=cfg,
                weights=weights,
            )
            add(
                tfk,
                "tf_keras",
                "tf_keras model_from_json + load_weights",
                path=None,
                loader="config+weights",
                config_json=cfg,
                weights=weights,
            )
    return runs


def _arch_config(path: Path | None) -> dict[str, Any]:
    from migrator.convert.weights_to_keras import read_architecture

    assert path is not None
    return read_architecture(path)[0]


def source_runs(
    available: Sequence[Runtime],
    latest: Runtime,
    source: Convertible,
    first: Step,
    info: StepResult,
    options: Options,
) -> list[Run]:
    """Ways to run the source of a plan whose first step is `first` (which wrote `info`)."""
    kind = first.source
    if "newest" in first.validate_with and kind in _GRAPH_KINDS:
        # the tags the step converted; a TF1 Hub module's inference variant has none
        tags = list(info.tags if info.tags is not None else ["serve"])
        return [
            Run(
                latest,
                "run_tf1_saved_model",
                {
                    "path": str(source.location),
                    "tags": tags,
                    "signature": info.signature_key or "serving_default",
                },
                "tf.compat.v1 Session + saved_model.loader.load",
            )
        ]
    if "newest" in first.validate_with and kind == "graph-def":
        return [
            Run(
                latest,
                "run_graph_def",
                {
                    "path": str(source.location),
                    "input_tensors": info.input_tensors,
                    "output_tensors": info.output_tensors,
                },
                "tf.compat.v1 Session + import_graph_def",
            )
        ]
    if "newest" in first.validate_with and kind in ("session-bundle", "tf1-checkpoint"):
        files: dict[str, str] = {}
        if kind == "tf1-checkpoint":  # <prefix>.meta + <prefix>; a bundle's are export(.meta)
            from migrator.convert.steps.saver_ckpt_to_sm import checkpoint_files

            prefix, meta = checkpoint_files(str(source.location), source.facts)
            files = {"meta": str(Path(meta).resolve()), "prefix": str(Path(prefix).resolve())}
        return [
            Run(
                latest,
                "run_session_bundle",
                {
                    "path": str(source.location),
                    "input_tensors": info.input_tensors,
                    "output_tensors": info.output_tensors,
                    **files,
                },
                "tf.compat.v1 Session + import_meta_graph + Saver.restore",
            )
        ]
    if "newest" in first.validate_with and kind == "keras-v3":
        return [
            Run(
                latest,
                "run_keras",
                {
                    "custom_objects": list(options.custom_objects),
                    "unsafe": options.unsafe,
                    "theano_flip": False,
                    "flavour": "keras",
                    "path": str(source.location),
                    "loader": "keras",
                },
                "keras.models.load_model",
            )
        ]
    return _keras_runs(available, source, kind, info, options, first.validate_with)


def output_run(latest: Runtime, target: str, info: StepResult, options: Options) -> Run:
    """How the newest runtime loads and runs the converted `target` that a step wrote."""
    common = {"custom_objects": list(options.custom_objects), "unsafe": options.unsafe}
    if target == "mlflow":  # the folder's .keras as Keras runs it, then as MLflow serves it
        return Run(latest, "run_mlflow", {**common, "path": info.path}, "mlflow.pyfunc.load_model")
    if target == "keras":
        return Run(
            latest,
            "run_keras",
            {**common, "path": info.path, "loader": "keras"},
            "keras.models.load_model",
        )
    if target == "weights":
        return Run(
            latest,
            "run_keras",
            {
                **common,
                "path": info.architecture,
                "loader": "keras+weights",
                "weights": info.path,
            },
            "keras.models.load_model + load_weights",
        )
    return Run(
        latest,
        "run_saved_model",
        {"path": info.path, "input_names": info.input_names},
        "tf.saved_model.load + serving_default",
    )
