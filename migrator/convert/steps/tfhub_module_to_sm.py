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
from pathlib import Path
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
    if "validation_inputs" not in result:
        sentences = vocabulary_sentences(Path(src), result.get("signature") or [])
        if sentences is not None:
            from migrator.convert.tf1_examples import save_examples

            (name,) = result["input_names"]
            result["validation_inputs"] = save_examples(
                Path(out_dir) / "example_inputs.npz", [name], {name: sentences}
            )
            result["notes"].append(
                f"validation inputs: sentences of the module's vocabulary ({sentences.tolist()})"
            )
    return result


def vocabulary_sentences(module: Path, signature: Sequence[Mapping[str, Any]]) -> Any:
    """Two sentences made of the words of the module's vocabulary asset, for a text module
    whose only input is a batch of strings (`[None]`: what hub text embeddings take), else
    None. Words the module knows make inputs whose outputs mean something; without a vocabulary
    a string input may be anything (encoded images...), and --inputs must say what it is."""
    import numpy as np

    if len(signature) != 1 or signature[0].get("dtype") != "string":
        return None
    if list(signature[0].get("shape") or [0, 0]) != [None]:
        return None
    assets = module / "assets"
    files = sorted(p for p in assets.iterdir() if p.is_file()) if assets.is_dir() else []
    for file in files:
        with open(file, "rb") as fh:
            head = fh.read(_VOCABULARY_HEAD)
        try:
            lines = head.decode("utf-8").splitlines()
        except UnicodeDecodeError:
            continue  # not a text vocabulary (a SentencePiece model, a binary asset)
        if len(head) == _VOCABULARY_HEAD:
            lines = lines[:-1]  # cut short by the read
        words = [w for line in lines if (w := (line.split() or [""])[0]) and w.isprintable()]
        if len(words) >= 2:
            picked = words[1:7] if len(words) > 2 else words  # the first is often <unk>/<pad>
            half = max(1, len(picked) // 2)
            return np.array([" ".join(picked[:half]).encode(), " ".join(picked[half:]).encode()])
    return None


# How much of a vocabulary asset is read for validation sentences (vocabularies reach 100s of MB).
_VOCABULARY_HEAD = 1 << 16
