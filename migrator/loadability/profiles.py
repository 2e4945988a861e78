"""The Keras a loader runs in one TF line, and what it can read: computed from its version.

A `LoaderProfile` is not an interpreter (that is `migrator.convert.runtimes.Runtime`): it is the
Keras package `keras.*` or `tf_keras.*` resolves to in a runtime (`runtimes.Runtime`), at its
version. Its capabilities come from the thresholds in `migrator.knowledge.loaders`, so any
runtime, measured or not, gets its profiles with no table to edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from migrator.knowledge import keras2, loaders
from migrator.knowledge.versions import Version, parse, render


@dataclass(frozen=True)
class LoaderProfile:
    """The Keras one loader of one TF line runs: package, version and TF release."""

    package: str  # "tf.keras" | "tf_keras" | "keras" (Keras 3)
    version: Version
    tf: str  # the TensorFlow release of the env

    @property
    def keras3(self) -> bool:
        return self.package == "keras"

    @property
    def tf_version(self) -> Version:
        return parse(self.tf) or (0,)

    @property
    def name(self) -> str:
        label = "Keras" if self.keras3 else self.package
        return f"{label} {render(self.version)}"

    @property
    def v3_layout(self) -> str:
        """Where `.keras`/`.weights.h5` weights sit: `layers/` or tf.keras 2.12's "legacy"
        `_layer_checkpoint_dependencies/`."""
        return "layers" if self.version >= loaders.V3_WEIGHTS_LAYERS_LAYOUT_SINCE else "legacy"

    @property
    def input_layer_args(self) -> frozenset[str]:
        """The InputLayer arguments a Keras 2 line accepts (Keras 3 drops unknown ones)."""
        return keras2.input_layer_args(self.version)

    @property
    def v3_numbering(self) -> str:
        """How its saving walk numbers a container's layers: "gapped" (tf.keras 2.12-2.13 count
        a layer listed twice twice) or "compact" (`loaders.V3_WEIGHTS_COMPACT_NUMBERING_SINCE`)."""
        if self.keras3 or self.version >= loaders.V3_WEIGHTS_COMPACT_NUMBERING_SINCE:
            return "compact"
        return "gapped"

    @property
    def maps_tf212_layout(self) -> bool:
        """Falls back from `layers/<name>` to tf.keras 2.12's `_layer_checkpoint_dependencies/`."""
        return self.keras3 and self.version >= loaders.KERAS3_MAPS_TF212_LAYOUT_SINCE

    @property
    def imports_keras_src(self) -> bool:
        """Has the `keras.src.*` modules tf.keras 2.13+ configs name (tf.keras 2.12 has not)."""
        return self.package != "tf.keras" or self.version >= loaders.KERAS2_SRC_PACKAGE_SINCE

    @property
    def lacks_keras_engine(self) -> bool:
        """A Keras 2 without the `keras.engine.*` modules tf.keras 2.12 configs name: tf.keras
        2.13+ moved them under `keras.src`, and tf_keras (which reads `keras.*` as `tf_keras.*`)
        has only `tf_keras.src.engine`."""
        if self.package == "tf_keras":
            return True
        return self.package == "tf.keras" and self.version >= loaders.KERAS2_SRC_PACKAGE_SINCE

    @property
    def reads_registered_name(self) -> bool:
        """Finds a registered class by a config's `registered_name` (tf.keras 2.12 does not)."""
        return self.keras3 or self.version >= loaders.KERAS2_CONFIG_REGISTERED_NAME_SINCE

    @property
    def h5_takes_compile_false(self) -> bool:
        """load_model passes compile=False on to its legacy HDF5 loader (Keras 3.0-3.2 do not)."""
        return not self.keras3 or self.version >= loaders.KERAS3_H5_TAKES_LOAD_ARGUMENTS_SINCE

    @property
    def h5_safe_mode(self) -> bool:
        """Legacy HDF5 Lambda bytecode needs safe_mode=False."""
        return self.keras3 and self.version >= loaders.KERAS3_H5_SAFE_MODE_SINCE

    def rejects_arguments(self, arguments: tuple[str, ...]) -> tuple[str, ...]:
        """Of `arguments` (keys of `loaders.KERAS3_CONFIG_ARGUMENTS_SINCE`), those a later Keras 3
        added and this one rejects (Keras 2 lines never meet them: Keras 3 wrote the file)."""
        if not self.keras3:
            return ()
        since = loaders.KERAS3_CONFIG_ARGUMENTS_SINCE
        return tuple(a for a in arguments if a in since and self.version < since[a])

    @property
    def reads_newer_keras3_configs(self) -> bool:
        """Reads every argument later Keras 3 releases write (`quantization_config`...)."""
        return not self.rejects_arguments(tuple(loaders.KERAS3_CONFIG_ARGUMENTS_SINCE))

    @property
    def bidirectional_as_layer(self) -> bool | None:
        """How this Keras 3 counts a Bidirectional layer's weights: True from 3.3.3 on (forward
        and backward copies), False before (a Wrapper: the wrapped RNN's too); None outside
        Keras 3."""
        if not self.keras3:
            return None
        return self.version >= loaders.KERAS3_BIDIRECTIONAL_LAYER_SINCE

    @property
    def reads_bare_tensor_references(self) -> bool:
        """Reads a Functional input/output entry written as one bare tensor reference."""
        return not self.keras3 or self.version >= loaders.KERAS3_READS_BARE_TENSOR_REFERENCE_SINCE

    @property
    def reads_orthogonal(self) -> bool:
        """Resolves Keras 2's `Orthogonal` initializer name."""
        return not self.keras3 or self.version >= loaders.KERAS3_READS_ORTHOGONAL_SINCE

    @property
    def reads_keras_folder(self) -> bool:
        """load_model of an unzipped `.keras` folder."""
        return self.keras3 and self.version >= loaders.KERAS3_READS_KERAS_FOLDER_SINCE

    @property
    def reads_sharded_weights(self) -> bool:
        """`.weights.json` + shards."""
        return self.keras3 and self.version >= loaders.KERAS3_READS_SHARDED_WEIGHTS_SINCE
