"""Classification: what an audited artifact is to the converter, or why it is refused.

The audit's reading says which format an artifact is; a converter needs more: whether a
`saved-model` is a Keras SavedModel, a TF1 export or already a TF2 serving export, whether a
weights file has an architecture beside it, whether converting would run code stored in the file.
`classify` answers from the reading alone (nothing is loaded), so a refused artifact never
reaches a TensorFlow worker. The kinds it gives are the ones steps declare in `registry`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from migrator.convert import Convertible, Options, registry
from migrator.errors import ConversionError, NeedsUserClasses, UnsafeContent
from migrator.formats.checkpoint.details import ROOT_CHECKPOINT
from migrator.knowledge import versions
from migrator.knowledge.savedmodel import KERAS_METADATA_PB_SINCE_TF
from migrator.model import Artifact

_MODEL_CLASSES = ("Sequential", "Functional", "Model")
_STEM_NOISE = ("weights", "weight", "model", "config", "arch", "architecture", "json", "yaml")
# A weights file plus one of these makes a model; the architecture file alone is not converted.
ARCH_FORMATS = ("keras-json", "keras-yaml")
WEIGHTS_FORMATS = ("keras-h5-weights", "keras-v3-weights", "tf-checkpoint")

# An architecture: a path (read here, in this process) or an artifact the reader pool already read.
Architecture = Path | Artifact


def _lambda_layers(artifact: Artifact) -> list[str]:
    d = artifact.details
    found: list[Any] = list(d.get("lambda_layers") or [])
    meta = d.get("keras_metadata") or {}
    if isinstance(meta, Mapping):
        found += list((meta.get("summary") or {}).get("lambda_layers") or [])
    found += list(d.get("lambda_entries") or [])
    return [str(x.get("path") if isinstance(x, Mapping) else x) for x in found]


def _refuse_lambdas(
    subject: str, lambdas: Sequence[str], options: Options, where: str = ""
) -> None:
    if not lambdas or options.unsafe:
        return
    shown = ", ".join(repr(x) for x in lambdas[:5])
    raise UnsafeContent(
        subject,
        f"refused: Lambda layer(s) {shown}{f' in {where}' if where else ''} hold Python code "
        "stored in the artifact, and converting them means running it",
        "rewrite them as registered custom layers and pass --custom-objects, or pass "
        "--unsafe if you trust the file's origin",
    )


def _arch_lambdas(arch: Architecture) -> list[str]:
    """Lambda layers of an architecture file, from the audit reader (nothing is decoded).

    An artifact already read by the reader pool is used as is; a bare path (an `--arch` file, a
    caller classifying one artifact) is read here.
    """
    from migrator.audit import read_candidate
    from migrator.model import Candidate

    if isinstance(arch, Artifact):
        artifact, path = arch, arch.location
    else:
        path = arch
        artifact = read_candidate(Candidate(path, path.name, "keras_arch", (path.name,)))
    if artifact.errors:
        raise ConversionError(
            path,
            f"the architecture file cannot be used: {artifact.errors[0]}",
            "pass a model.to_json() file with --arch",
        )
    return _lambda_layers(artifact)


def _wrapped_checkpoint(details: Mapping[str, Any]) -> bool:
    """`tf.train.Checkpoint(model=model).save()`: the model hangs under a name the user chose,
    beside `save_counter`; `model.save_weights` roots the checkpoint at the model itself. The
    checkpoint reader records which (`root_kind`)."""
    return details.get("root_kind") == ROOT_CHECKPOINT


def _saver_with_graph(details: Mapping[str, Any]) -> bool:
    """A name-based (tf.train.Saver) checkpoint whose `<prefix>.meta` graph was read: the graph
    says what the values compute, so it converts to a SavedModel."""
    meta = details.get("meta_graph")
    return (
        details.get("kind") == "name-based"
        and isinstance(meta, Mapping)
        and bool(meta.get("node_count"))
        and not details.get("missing")
    )


def _saver_interface_unknown(artifact: Artifact, options: Options) -> tuple[str, str] | None:
    """(problem, remedy) when a Saver checkpoint's graph does not say what to serve and the
    user named nothing: decided from the reader's parsed MetaGraph (`graph_interface`, no
    TensorFlow), so the plan says it and no runtime starts for it."""
    from migrator.convert.graph_interface import Ambiguous, collections_of, infer_interface
    from migrator.convert.steps.saver_ckpt_to_sm import NAME_THE_TENSORS, checkpoint_files

    if options.output_tensors:
        return None
    meta = artifact.reading.raw.get("meta_graph")
    if meta is None:  # the reader ran in another process: protobufs do not cross back
        from migrator.formats import protos

        prefix = artifact.details.get("prefix")
        _, meta_path = checkpoint_files(str(artifact.location), {"prefix": prefix})
        try:
            meta = protos.parse("MetaGraphDef", Path(meta_path).read_bytes())
        except Exception:  # unreadable here: the step says why, in its worker
            return None
    if len(meta.signature_def):
        return None
    try:
        infer_interface(meta.graph_def.node, collections_of(meta))
    except Ambiguous as exc:
        return (f"the .meta graph has no signature and {exc}", NAME_THE_TENSORS)
    return None


def _keras_config_lost(details: Mapping[str, Any]) -> bool:
    """A TF >= 2.5 Keras SavedModel without keras_metadata.pb (tf.saved_model.save of a model).

    TF 2.0-2.4 kept each Keras object's config in the object graph, and tf-keras revives models
    from it; from TF 2.5 (`KERAS_METADATA_PB_SINCE_TF`) the config lives only in
    keras_metadata.pb.
    """
    if details.get("keras_source") != "object_graph":
        return False
    for version in details.get("tensorflow_versions") or []:
        parsed = versions.parse(str(version))
        if parsed and parsed[0] == 2 and parsed >= KERAS_METADATA_PB_SINCE_TF:
            return True
    return False


def find_architecture(weights: Path, candidates: Sequence[Path]) -> tuple[Path | None, str]:
    """The architecture file for a weights file among `candidates` in its folder.

    One candidate: that one. Several: the one whose name shares the longest prefix with the
    weights file's, ignoring words like "weights"/"model"/"config"; a tie is ambiguous.
    """
    same_dir = [c for c in candidates if c.parent == weights.parent]
    if not same_dir:
        return None, "no architecture file (model.to_json()/to_yaml()) beside it"
    if len(same_dir) == 1:
        return same_dir[0], ""

    def stem(p: Path) -> str:
        name = p.name.split(".")[0].lower()
        for word in _STEM_NOISE:
            name = name.replace(word, "")
        return name.strip("_- ")

    target = stem(weights)
    scored = sorted(
        ((len(_common_prefix(stem(c), target)), c) for c in same_dir), key=lambda t: -t[0]
    )
    if scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][1], ""
    names = ", ".join(c.name for c in same_dir)
    return None, f"several architecture files beside it ({names}) and none matches its name"


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def classify(
    artifact: Artifact,
    options: Options,
    architectures: Sequence[Architecture] = (),
) -> Convertible:
    """The conversion view of an audited artifact. Raises for broken or refused artifacts.

    `architectures` are the architecture files that may pair with a weights file: paths, or
    artifacts the reader pool read (then nothing is read again here).
    """
    fmt = artifact.format
    d = artifact.details
    if artifact.errors:
        raise ConversionError(
            artifact.path,
            artifact.errors[0],
            "" if ";" in artifact.errors[0] else "fix the artifact first (see `migrator inspect`)",
        )
    from migrator.convert.mlflow_source import classify_mlflow, skip_model_of_folder

    if fmt == "mlflow-model":  # the model inside, converted and put back (mlflow_source)
        return classify_mlflow(artifact, options, classify)
    if (handled := skip_model_of_folder(artifact)) is not None:
        return handled  # ... and not a second time on its own
    _refuse_lambdas(artifact.path, _lambda_layers(artifact), options)
    custom = d.get("custom_objects") or []
    if custom and not options.custom_objects:
        names = ", ".join(sorted({str(c.get("class_name")) for c in custom}))
        raise NeedsUserClasses(
            artifact.path,
            f"refused: the model needs custom classes ({names}) that only your code can provide",
            "pass --custom-objects <module> that defines and registers them",
        )
    model_class = d.get("model_class")
    if (
        fmt in ("keras-h5", "keras-v3")
        and isinstance(model_class, str)
        and model_class not in _MODEL_CLASSES
        and not options.custom_objects
    ):
        raise NeedsUserClasses(
            artifact.path,
            f"refused: the model is a subclassed {model_class!r}; its code is not in the file "
            "and only your code can provide it",
            "pass --custom-objects <module> that defines and registers the class, or "
            "--model-factory for its weights",
        )
    kinds: list[str] = []
    facts: dict[str, Any] = {}
    arch: Path | None = None
    if fmt == "keras-h5":
        kinds = ["keras-h5"]
    elif fmt in WEIGHTS_FORMATS[:2] or (
        fmt == "tf-checkpoint" and d.get("keras_save_weights") and not _wrapped_checkpoint(d)
    ):
        chosen: Architecture | None = None
        if options.architecture is not None:
            chosen = arch = options.architecture
        elif options.model_factory is None:
            by_path = {_arch_path(a): a for a in architectures}
            arch, why = find_architecture(artifact.location, list(by_path))
            chosen = by_path.get(arch) if arch is not None else None
            if arch is None:
                facts["no_path"] = (
                    f"weights only: {why}",
                    "put the model.to_json() file beside it, or pass --arch FILE or "
                    "--model-factory module:function",
                )
        if arch is not None and chosen is not None:
            _refuse_lambdas(artifact.path, _arch_lambdas(chosen), options, where=arch.name)
        if arch is not None or options.model_factory is not None:
            kinds = ["keras-weights+arch"]
        if fmt == "keras-v3-weights":
            kinds.append("keras-v3-weights")
    elif fmt == "keras-v3":
        if d.get("saved_by") == "keras3":
            kinds = ["keras-v3"]
        elif d.get("weights_layout") == "tf.keras-2.12":
            kinds = ["tf212-keras-v3"]  # weights only tf.keras 2.12 itself finds
        else:
            kinds = ["tf-keras-v3"]
    elif fmt == "saved-model":
        era, keras = d.get("era"), bool(d.get("keras"))
        facts["meta_graphs"] = [
            {"tags": m.get("tags"), "signatures": sorted(m.get("signatures") or {})}
            for m in d.get("meta_graphs") or []
        ]
        serving = any(
            "serving_default" in (m.get("signatures") or {}) for m in d.get("meta_graphs") or []
        )
        if era == "tf2" and keras and not _keras_config_lost(d):
            kinds = ["keras-savedmodel"]
        elif era == "tf2":
            kinds = ["saved-model"] if serving else []
            if keras:
                facts["no_path"] = (
                    "written by tf.saved_model.save: since TF 2.5 the Keras config is only kept "
                    "in keras_metadata.pb, which model.save writes and this folder lacks",
                    "re-save it with model.save, or use it as a SavedModel (tf.saved_model.load, "
                    "keras.layers.TFSMLayer)",
                )
            else:
                facts["no_path"] = (
                    "a TF2 SavedModel of a tf.Module or functions has no Keras config to rebuild"
                    + ("" if serving else ", and no serving_default signature to serve"),
                    "load it with tf.saved_model.load or keras.layers.TFSMLayer"
                    if serving
                    else "re-save it with tf.saved_model.save(obj, dir, signatures=...)",
                )
        elif d.get("keras_source") == "assets/saved_model.json":
            kinds = ["tf1-keras-export", "tf1-saved-model"]
        else:
            kinds = ["tf1-saved-model"]
    elif fmt == "tfhub-module":
        kinds, facts = _tfhub_module(d, options)
    elif fmt == "graph-def":
        if d.get("container") == "MetaGraphDef":
            facts["no_path"] = (
                "a loose MetaGraphDef has no variables or signatures to serve",
                "convert the SavedModel or the frozen graph it belongs to",
            )
        else:
            kinds = ["graph-def"]
            facts["likely_outputs"] = list(d.get("likely_outputs") or [])
    elif fmt == "session-bundle" and d.get("signatures"):
        kinds = ["session-bundle"]
        facts["bundle_signatures"] = d.get("signatures")
    elif fmt == "tfjs-layers":
        if d.get("model_class"):
            kinds = ["tfjs-layers"]
        else:
            facts["no_path"] = (
                "the TF.js model.json holds no Keras model config in modelTopology",
                "re-export it from the Keras model with tensorflowjs_converter",
            )
    elif fmt == "tf-checkpoint" and (d.get("kind") == "object-based" or _wrapped_checkpoint(d)):
        facts["no_path"] = (
            "a tf.train.Checkpoint holds the variables of Python objects, not a model architecture",
            "restore it into your model in code (tf.train.Checkpoint(model=model).restore(path)) "
            "and save model.keras, or use model.save_weights to write weights migrator converts",
        )
    elif fmt == "tf-checkpoint" and _saver_with_graph(d):
        unknown = _saver_interface_unknown(artifact, options)
        if unknown is not None:
            facts["no_path"] = unknown
        else:
            kinds = ["tf1-checkpoint"]
            facts["prefix"] = d.get("prefix")
    elif fmt == "tf-checkpoint":
        facts["no_path"] = (
            "a tf.train.Saver checkpoint without its .meta graph holds variable values only, "
            "not the model that computes with them",
            "put the <prefix>.meta file saved with it beside it, or export a SavedModel from "
            "the training code (tf.compat.v1.saved_model.Builder)",
        )
    known = registry.source_kinds() | {s.target for s in registry.steps()}
    unknown = [k for k in kinds if k not in known]
    if unknown:  # a kind no step declares: a bug here, not in the artifact
        raise ValueError(f"classify gave kinds no conversion step declares: {unknown}")
    return Convertible(
        location=artifact.location,
        rel=artifact.path,
        format=fmt,
        kinds=tuple(kinds),
        producer=dict(artifact.producer),
        details=dict(d),
        files=artifact.files,
        architecture=arch,
        facts=facts,
        raw=dict(artifact.reading.raw),
        artifact=artifact,
    )


def _tfhub_module(d: Mapping[str, Any], options: Options) -> tuple[list[str], dict[str, Any]]:
    """(kinds, facts) of a TF1 Hub module: its graph variants for `tfhub-module-to-tf2`, or
    why it cannot convert (no inference variant and no --tags; a ModuleDef no hub reads)."""
    hub = d.get("hub") if isinstance(d.get("hub"), Mapping) else {}
    facts: dict[str, Any] = {
        "meta_graphs": [
            {"tags": m.get("tags"), "signatures": sorted(m.get("signatures") or {})}
            for m in d.get("meta_graphs") or []
        ]
    }
    if hub.get("unsupported_features"):
        facts["no_path"] = (
            f"tfhub_module.pb requires features {hub['unsupported_features']} that no "
            "tensorflow_hub release (and no converter) knows the meaning of",
            "download the module again from its publisher",
        )
        return [], facts
    if not hub.get("inference_variant") and not options.tags:
        variants = ", ".join(str(v) for v in hub.get("graph_variants") or []) or "none"
        facts["no_path"] = (
            f"the module has no inference graph variant (tagged set(); it has {variants})",
            "choose the variant to convert with --tags",
        )
        return [], facts
    return ["tfhub-module"], facts


def _arch_path(arch: Architecture) -> Path:
    return arch.location if isinstance(arch, Artifact) else arch
