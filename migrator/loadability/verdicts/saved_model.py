"""The TensorFlow-level loaders of a SavedModel: `tf.saved_model.load` and Keras 3's `TFSMLayer`.

Stages: "restore" (the variables must be there, both loaders), "serving-signature"
(`tf.saved_model.load`), "tfsm-layer" (what TFSMLayer can call). Both run in the TF of the line,
next to its `keras` profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrator.knowledge.loaders import FUNCTION_SPEC_TENSOR_DEFAULTS_SINCE_TF
from migrator.knowledge.versions import render
from migrator.loadability.evidence import Evidence
from migrator.loadability.prediction import Need, Prediction, fails, loads, quote, with_needs
from migrator.loadability.profiles import LoaderProfile
from migrator.loadability.registry import check, first_blocker, verdict


def meta_graphs(ev: Evidence) -> list[Mapping[str, Any]]:
    metas = ev.details.get("meta_graphs")
    return [m for m in metas if isinstance(m, Mapping)] if isinstance(metas, list) else []


def chosen_meta_graph(ev: Evidence) -> Mapping[str, Any]:
    """The MetaGraph `tf.saved_model.load` loads: the only one, else the `serve` one."""
    metas = meta_graphs(ev)
    if len(metas) > 1:
        serve = [m for m in metas if sorted(m.get("tags") or []) == ["serve"]]
        return serve[0] if serve else metas[0]
    return metas[0] if metas else {}


def _signatures(meta: Mapping[str, Any]) -> Mapping[str, Any]:
    signatures = meta.get("signatures")
    return signatures if isinstance(signatures, Mapping) else {}


@check(
    "restore",
    evidence="corpus/realworld_matrix.json: houserent_tf215_sm_root_novars and "
    "jba_tf20a0_export_saved_model_multimeta (variables missing: restore fails)",
)
def missing_variables(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """variables/ files the graph needs are missing: TensorFlow cannot restore them."""
    variables = ev.details.get("variables")
    if not isinstance(variables, Mapping):
        return None
    if variables.get("missing"):
        problem = f"variables/ is missing {quote(list(variables['missing']))}"
    elif variables.get("needed") and not variables.get("index"):
        problem = "the graph has variables but variables/variables.index is missing"
    else:
        return None
    return f"{problem}; TensorFlow cannot restore the variables"


@check(
    "serving-signature",
    evidence="corpus/realworld_matrix.json: tfx_transform_fn_tag_transform_tf215/transform_fn x "
    "2.12/tf.saved_model.load (\"no serving_default signature: ['transform_signature']\")",
)
def no_serving_default(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """The loaded MetaGraph has no serving_default signature: nothing to run by default."""
    signatures = _signatures(chosen_meta_graph(ev))
    if "serving_default" in signatures:
        return None
    keys = sorted(k for k in signatures if not k.startswith("__"))
    return (
        f"loads, but has no serving_default signature (signatures: {keys or 'none'}); "
        "call the restored functions directly"
    )


@verdict(
    "tf.saved_model.load",
    "saved-model",
    evidence="corpus/matrix.json: the tf.saved_model.load cells of every SavedModel artifact",
)
def saved_model_load(ev: Evidence, profile: LoaderProfile) -> Prediction:
    """tf.saved_model.load, which needs `tags=` when there are several MetaGraphs."""
    blocked = first_blocker(("restore", "serving-signature"), ev, profile)
    if blocked:
        return fails(blocked)
    metas = meta_graphs(ev)
    needs: list[Need] = []
    if len(metas) > 1:
        tag_sets = [sorted(m.get("tags") or []) for m in metas]
        tags = sorted(chosen_meta_graph(ev).get("tags") or [])
        needs.append(
            (
                "tags",
                f"needs tags={tags!r}: there are {len(metas)} MetaGraphs ({tag_sets}) and "
                "tf.saved_model.load refuses to pick one",
            )
        )
    reason = f"TF {profile.tf} runs its serving_default signature"
    written = ev.producer_tf
    if (
        profile.tf_version < FUNCTION_SPEC_TENSOR_DEFAULTS_SINCE_TF
        and ev.details.get("era") == "tf2"
        and written
        and written >= FUNCTION_SPEC_TENSOR_DEFAULTS_SINCE_TF
    ):
        reason += (
            f"; caveat: TF {render(profile.tf_version[:2])} cannot decode tensor default values "
            f"in function specs, which TF {render(written)} may have written (NotEncodableError)"
        )
    return with_needs(reason, needs)


@check(
    "tfsm-layer",
    evidence="corpus/matrix.json: tf212/tf/linear/builder-tags x 2.16/keras.layers.TFSMLayer "
    '("requires a `tags=` argument")',
)
def several_meta_graphs(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """Several MetaGraphs: TFSMLayer has no `tags=` to pick one."""
    metas = meta_graphs(ev)
    if len(metas) <= 1:
        return None
    return (
        f"{len(metas)} MetaGraphs and TFSMLayer has no `tags=` argument (it calls "
        "tf.saved_model.load without one); load it with tf.saved_model.load(..., tags=...)"
    )


def _tfsm_signatures(ev: Evidence) -> Mapping[str, Any]:
    metas = meta_graphs(ev)
    return _signatures(metas[0]) if metas else {}


@check(
    "tfsm-layer",
    evidence="corpus/realworld_matrix.json: tfx_transform_fn_tag_transform_tf215/transform_fn x "
    "2.16/keras.layers.TFSMLayer (\"The endpoint 'serving_default' is neither an attribute\")",
)
def no_endpoint(ev: Evidence, profile: LoaderProfile, container: str) -> str | None:
    """Neither the `serve` endpoint model.export writes nor a serving_default signature."""
    signatures = _tfsm_signatures(ev)
    if tfsm_endpoint(ev) == "serve" or isinstance(signatures.get("serving_default"), Mapping):
        return None
    return "no `serve` endpoint and no serving_default signature to call"


def _root_functions(ev: Evidence) -> dict[str, list[Mapping[str, Any]]]:
    """Function-valued children of the root object (`serve`, custom endpoints): name -> the
    concrete functions traced for it, each with its positional `args` (a decoded tuple)."""
    found = ev.artifact.reading.raw.get("concrete_functions")
    out: dict[str, list[Mapping[str, Any]]] = {}
    for function in found if isinstance(found, list) else ():
        if isinstance(function, Mapping) and isinstance(function.get("options"), list):
            out[str(function.get("name"))] = [
                o for o in function["options"] if isinstance(o, Mapping)
            ]
    return out


def _positional_count(option: Mapping[str, Any]) -> int | None:
    args = option.get("args")
    if isinstance(args, Mapping) and args.get("t") in ("tuple", "list"):
        values = args.get("v")
        return len(values) if isinstance(values, list) else None
    return None


def tfsm_endpoint(ev: Evidence) -> str:
    """The endpoint TFSMLayer calls: `serve` (its default) where there is one, else the
    serving_default signature a user names with call_endpoint=."""
    if "serve" in _tfsm_signatures(ev) or "serve" in _root_functions(ev):
        return "serve"
    return "serving_default"


@check(
    "tfsm-layer",
    evidence="keras/src/export/tfsm_layer.py of Keras 3.3.3 and 3.15.1 (`call` runs "
    "`self.call_endpoint_fn(inputs)`: one positional argument; an attribute endpoint wins over "
    "a signature of the same name); corpus/matrix.json: tf212/keras/functional/save-dir x "
    '2.16/keras.layers.TFSMLayer ("Exception encountered when calling TFSMLayer.call()")',
)
def endpoint_takes_several_inputs(
    ev: Evidence, profile: LoaderProfile, container: str
) -> str | None:
    """The endpoint TFSMLayer calls takes several inputs, and TFSMLayer passes it one.

    A restored function (`serve`, or any endpoint ExportArchive added) is called with one
    positional argument: one traced with several positional arguments fails, one taking a single
    list or dict of tensors (what model.export writes for a multi-input model) works. A signature
    takes its inputs by name, so a signature of several inputs fails whatever its name.
    """
    name = tfsm_endpoint(ev)
    options = _root_functions(ev).get(name)
    if options:
        counts = [_positional_count(o) for o in options]
        if all(isinstance(c, int) and c > 1 for c in counts):
            return (
                f"the `{name}` endpoint takes {min(c for c in counts if c)} positional "
                "arguments and TFSMLayer calls it with one (its `inputs`); use "
                "tf.saved_model.load and call the endpoint with every argument"
            )
        return None
    signature = _tfsm_signatures(ev).get(name)
    if not isinstance(signature, Mapping):
        return None
    inputs = signature.get("inputs") if isinstance(signature.get("inputs"), Mapping) else {}
    if len(inputs) <= 1:
        return None
    return (
        f"the `{name}` signature takes {len(inputs)} named inputs ({quote(sorted(inputs))}), "
        "which TFSMLayer cannot pass (it calls the endpoint with one positional argument); "
        "use tf.saved_model.load"
    )


@verdict(
    "keras.layers.TFSMLayer",
    "saved-model",
    evidence="corpus/matrix.json: the keras.layers.TFSMLayer cells of every SavedModel artifact",
)
def tfsm_layer(ev: Evidence, profile: LoaderProfile) -> Prediction:
    """Keras 3's TFSMLayer: calls `serve`, or serving_default given `call_endpoint=`."""
    blocked = first_blocker(("restore", "tfsm-layer"), ev, profile)
    if blocked:
        return fails(blocked)
    if tfsm_endpoint(ev) == "serve":
        return loads(f"{profile.name} TFSMLayer calls the `serve` endpoint model.export wrote")
    return with_needs(
        f"{profile.name} TFSMLayer calls the serving_default signature",
        [
            (
                "call_endpoint",
                "needs call_endpoint='serving_default': the SavedModel has no `serve` endpoint "
                "(only model.export writes one)",
            )
        ],
    )
