"""Step: TF1 Hub module (`hub.Module` format) -> TF2 SavedModel serving its `default` signature.

A TF1 Hub module is a TF1 SavedModel whose MetaGraphs are graph *variants* tagged by purpose:
the inference variant under the empty tag set, the fine-tuning one under `{"train"}`
(`knowledge.tfhub.INFERENCE_TAGS`), each with the module's signatures (`default`, and whatever
else the publisher added with `hub.add_signature`). tensorflow_hub writes them with
`tf.compat.v1.train.export_meta_graph` (saved_model_lib.SavedModelHandler), so a variant has no
`saver_def` and its signatures no method name; TF's SavedModel loader restores the variables
with a default Saver over the graph's variables, which is how hub.Module names them too.

The TF1 SavedModel step chooses a MetaGraph by the `serve` tag, which a module never has; this
step chooses the variant `hub.load` picks (`HUB_LOAD_V1_TAGS`: the empty set, or `--tags`) and
the `default` signature (or `--signature`), then converts that MetaGraph exactly as the TF1
step does (`tf1_sm_to_tf2_sm.convert_meta_graph`, in a tf.compat.v1 Session of the newest
runtime): `default` becomes `serving_default`, every other signature is kept by name.
Validation runs the same variant and signature in a TF1 Session beside the output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from migrator.convert.registry import conversion_step
from migrator.errors import ConversionError
from migrator.knowledge.tfhub import DEFAULT_SIGNATURE, HUB_LOAD_V1_TAGS


def choose_variant(meta_graphs: Sequence[Mapping[str, Any]], wanted: Sequence[str]) -> list[str]:
    """The graph variant to convert: `--tags` if given, else the one `hub.load` picks."""
    variants = [sorted(m.get("tags") or []) for m in meta_graphs]
    chosen = sorted(wanted) if wanted else sorted(HUB_LOAD_V1_TAGS)
    if variants and chosen not in variants:
        shown = ", ".join(str(v) if v else "set()" for v in variants)
        raise ConversionError(
            "TF Hub module",
            f"no graph variant is tagged {chosen or 'set()'} (the module has {shown})",
            "choose one of its variants with --tags (e.g. --tags train)",
        )
    return chosen


def choose_module_signature(
    meta_graphs: Sequence[Mapping[str, Any]], tags: Sequence[str], wanted: str | None
) -> str | None:
    """`--signature`, else the module's `default` signature when the variant has one (else
    None: the TF1 step's own choice, which names what it picked in its notes)."""
    if wanted:
        return wanted
    for meta in meta_graphs:
        if sorted(meta.get("tags") or []) == sorted(tags):
            return (
                DEFAULT_SIGNATURE if DEFAULT_SIGNATURE in (meta.get("signatures") or []) else None
            )
    return None


@conversion_step(
    "tfhub-module-to-tf2",
    source="tfhub-module",
    target="saved-model",
    validate_with=("newest",),
    summary="TF1 Hub module (hub.Module format) -> TF2 SavedModel: the inference variant, "
    "`default` as serving_default and every other signature by name",
)
def run(
    src: str,
    out_dir: str,
    *,
    facts: Mapping[str, Any] | None = None,
    tags: Sequence[str] = (),
    signature: str | None = None,
    **_: Any,
) -> dict[str, Any]:
    from migrator.convert.steps.tf1_sm_to_tf2_sm import convert_meta_graph

    metas = list((facts or {}).get("meta_graphs") or [])
    chosen = choose_variant(metas, tags)
    key = choose_module_signature(metas, chosen, signature)
    result = convert_meta_graph(src, out_dir, chosen, key)
    others = [sorted(m.get("tags") or []) for m in metas]
    others = [t for t in others if t != chosen]
    variant = str(chosen) if chosen else "set()"
    result["changes"].insert(
        0,
        f"TF1 Hub module: graph variant {variant} (what hub.load uses) as a TF2 SavedModel; "
        f"signature {result['signature_key']!r} is serving_default",
    )
    result["notes"].append(
        "what hub.Module adds to graph collections (regularization losses, update ops) is not "
        "part of a signature and is not kept; the output serves inference"
        + (f"; variants not converted: {others} (convert one with --tags)" if others else "")
    )
    return result
