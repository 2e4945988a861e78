"""The weights of a tf.keras 2.12-2.14 `.keras` archive, laid out as tf.keras 2.15 reads them.

tf.keras 2.12-2.14 stored a container's layers under `_layer_checkpoint_dependencies/<name>`;
2.15, tf_keras and Keras 3 walk `layers/<name>`, so their `load_weights` finds nothing in such an
archive ("Layer 'hidden' expected 2 variables, but received 0"). Keras 3.0.2+ reads it by looking
a missed `layers/...` path up with `layers` replaced by `_layer_checkpoint_dependencies`
(`H5Entry`, "Fix for 2.13 compatibility": `knowledge.loaders`); renaming every such group to
`layers` in a copy of the weights file is that same lookup done once, up front.

Validation uses it for a tf.keras 2.14 Functional archive: its config names
`keras.src.engine.functional`, which Keras 3 cannot import, and 2.14, the one release that reads
both its config and its layout, is not a runtime migrator runs. tf.keras 2.15 (or tf_keras)
builds the model from the archive's config and its own `load_weights` walks the renamed copy,
numbering layers as 2.14 did (compactly): the source's weights are then placed by Keras's own
walk, not by the conversion step's re-implementation of it.

Runs in a worker (h5py comes with every TensorFlow); the source is only read.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from migrator.formats.keras_zip.container import WEIGHTS_H5

OLD_GROUP = "_layer_checkpoint_dependencies"
NEW_GROUP = "layers"


def rename_layout(h5_path: Path) -> int:
    """Rename every `_layer_checkpoint_dependencies` group of the file to `layers` (deepest
    first, so the paths still to rename stay valid); returns how many were renamed."""
    import h5py

    with h5py.File(h5_path, "r+") as h5:
        found: list[str] = []

        def visit(name: str, item: object) -> None:
            if isinstance(item, h5py.Group) and name.rsplit("/", 1)[-1] == OLD_GROUP:
                found.append(name)

        h5.visititems(visit)
        for name in sorted(found, key=lambda n: n.count("/"), reverse=True):
            parent, _, _ = name.rpartition("/")
            target = f"{parent}/{NEW_GROUP}" if parent else NEW_GROUP
            if target in h5:
                raise ValueError(f"{target!r} and {name!r} are both in the weights file")
            h5.move(name, target)
    return len(found)


@contextlib.contextmanager
def renamed_weights(source: str) -> Iterator[str]:
    """A temporary `.weights.h5` holding `source`'s weights (a `.keras` archive's member or a
    `.weights.h5` file) in the `layers/` layout; removed on exit."""
    folder = Path(tempfile.mkdtemp(prefix="migrator-layout-"))
    try:
        copy = folder / WEIGHTS_H5
        if zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as archive, archive.open(WEIGHTS_H5) as member:
                with copy.open("wb") as out:
                    shutil.copyfileobj(member, out, 1 << 20)
        else:
            shutil.copyfile(source, copy)
        rename_layout(copy)
        yield str(copy)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
