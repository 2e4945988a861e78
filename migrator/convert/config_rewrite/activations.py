"""Activations whose meaning changed between Keras releases, kept by transforming weights.

Keras 1/2 hard_sigmoid(x) = clip(0.2 x + 0.5, 0, 1); Keras 3's is clip(x / 6 + 0.5, 0, 1), so the
old function equals the new one applied to 1.2 x (`knowledge.keras2_to_3.HARD_SIGMOID_FACTOR`).
Where the activation is applied to an affine function of the layer's weights, scaling those
weights keeps the layer computing exactly what it computed before; elsewhere there is no faithful
mapping. This module records the transforms (`Rewrite.weight_transforms`);
`weight_layouts.apply_transforms` applies them to the arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrator.convert.config_rewrite.result import Config, Rewrite
from migrator.errors import NoFaithfulMapping
from migrator.knowledge.keras2_to_3 import (
    AFFINE_WEIGHT_INDICES,
    HARD_SIGMOID_FACTOR,
    RECURRENT_GATES,
)


def _is_hard_sigmoid(value: Any) -> bool:
    if isinstance(value, Mapping):
        value = value.get("config") if value.get("class_name") == "function" else None
    return value == "hard_sigmoid"


def hard_sigmoid_transforms(cls: str, cfg: Config, name: str, rw: Rewrite) -> None:
    """Record the weight transform that keeps layer `name`'s Keras 2 hard_sigmoid in Keras 3."""
    uses = [key for key in ("activation", "recurrent_activation") if _is_hard_sigmoid(cfg.get(key))]
    if not uses:
        return

    def no_mapping(where: str) -> NoFaithfulMapping:
        return NoFaithfulMapping(
            name,
            f"layer {name!r} ({cls}) uses hard_sigmoid {where}; Keras 3 redefined hard_sigmoid "
            "(x/6 + 0.5 instead of 0.2x + 0.5) and the old function cannot be expressed there "
            "(no faithful mapping for hard_sigmoid in this position)",
            "rebuild that layer with a custom activation in your code and pass --model-factory",
        )

    if cls in RECURRENT_GATES:
        n, rec_gates, act_gates = RECURRENT_GATES[cls]
        gates: list[int] = []
        if "recurrent_activation" in uses:
            gates.extend(rec_gates)
        if "activation" in uses:
            if act_gates is None:
                raise no_mapping("as its cell activation")
            gates.extend(act_gates)
        rw.weight_transforms.setdefault(name, []).append(
            {
                "op": "scale_gates",
                "factor": HARD_SIGMOID_FACTOR,
                "gates": n,
                "which": sorted(gates),
                "indices": [0, 1, 2] if cfg.get("use_bias", True) else [0, 1],
            }
        )
    elif cls in AFFINE_WEIGHT_INDICES and uses == ["activation"]:
        indices = list(AFFINE_WEIGHT_INDICES[cls])
        if not cfg.get("use_bias", True):
            indices = indices[:-1]
        rw.weight_transforms.setdefault(name, []).append(
            {"op": "scale", "factor": HARD_SIGMOID_FACTOR, "indices": indices}
        )
    else:
        raise no_mapping("on a layer without weights to absorb the change")
    rw.note(
        f"{name}: hard_sigmoid ({', '.join(uses)}) kept with weights scaled by 1.2, since "
        "Keras 3's hard_sigmoid(1.2 x) equals Keras 2's hard_sigmoid(x)"
    )
