"""Step: Keras 3 `.keras` -> `model.weights.h5` (the Keras 3 weights-only layout).

Validation loads the weights into the converted `.keras` architecture (`architecture` in the
result), so a broken weights file cannot pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from migrator.convert.registry import conversion_step


@conversion_step(
    "keras-to-weights",
    source="keras-v3",
    target="keras-v3-weights",
    validate_with=("newest",),
    summary="Keras 3 `.keras` -> `.weights.h5` (the Keras 3 weights-only layout)",
)
def run(
    src: str,
    out_dir: str,
    *,
    custom_objects: list[str] | tuple[str, ...] = (),
    unsafe: bool = False,
    **_: Any,
) -> dict[str, Any]:
    from migrator.convert.keras3_build import load_keras3, signature

    model = load_keras3(src, custom_objects, unsafe)
    target = Path(out_dir) / "model.weights.h5"
    model.save_weights(target)
    return {
        "path": str(target),
        "changes": [],
        "notes": ["weights only: build the architecture (the .keras output) and load_weights"],
        "signature": signature(model),
        "architecture": src,
    }
