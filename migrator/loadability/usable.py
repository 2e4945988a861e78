"""What a user means by "it loads" in one runtime, from that runtime's cells.

A model format loads when a loader that gives a model opens it (`load_model`,
`tf.saved_model.load`, `TFSMLayer`); when none does but `load_weights` restores the weights into
a model rebuilt in code, that is `weights-only`, not a loadable model (a Keras 1 file no
`load_model` opens, a `.keras` whose config is refused). A weights format has only weights
loaders, and they are the answer. The report's "loads in newest TF" column and `--target` both
ask this, over the JSON-shaped cells (`{"verdict", "reason"}` per loader).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

VERDICTS: tuple[str, ...] = ("loads", "loads-with-changes", "fails")  # best first
WEIGHTS_ONLY = "weights-only"


def weights_loader(loader: str) -> bool:
    """`keras.load_weights` and `tf_keras.load_weights` restore weights into a model built in
    code; every other loader gives a model."""
    return loader.endswith("load_weights")


def best(
    cells: Mapping[str, Mapping[str, str]], loaders: Iterable[str]
) -> tuple[str, tuple[str, ...]] | None:
    """The best verdict among `loaders` that have a cell, and the loaders reaching it."""
    ranked: dict[str, list[str]] = {}
    for loader in loaders:
        cell = cells.get(loader)
        if cell is not None:
            verdict = str(cell.get("verdict", ""))
            ranked.setdefault(verdict if verdict in VERDICTS else "unknown", []).append(loader)
    for verdict in (*VERDICTS, "unknown"):
        if verdict in ranked:
            return verdict, tuple(ranked[verdict])
    return None


def user_verdict(cells: Mapping[str, Mapping[str, str]]) -> tuple[str, tuple[str, ...]] | None:
    """(verdict, loaders) of one runtime's `{loader: cell}`, as a user means "it loads"."""
    model = [loader for loader in cells if not weights_loader(loader)]
    weights = [loader for loader in cells if weights_loader(loader)]
    if not model:
        return best(cells, weights)
    found = best(cells, model)
    if found and found[0] == "fails":
        restored = best(cells, weights)
        if restored and restored[0] in ("loads", "loads-with-changes"):
            return WEIGHTS_ONLY, restored[1]
    return found
