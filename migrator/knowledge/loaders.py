"""What each Keras/TF loader can read, as the release where it starts: facts behind the verdicts.

`migrator.loadability` computes a loader profile's capabilities from its Keras version with these
thresholds, so a new TF line in `tf_lines.TF_LINES` gets its capabilities without a new table.
Where the matrix measures only two releases around a change (Keras 3.3.3 lacks it, 3.15.1 has
it), the threshold is the first measured release that has it, and the fact says so.
"""

from __future__ import annotations

from migrator.knowledge import fact
from migrator.knowledge.versions import Version

# `.keras` archives and `.weights.h5` files keep each layer's weights under `layers/<name>/` from
# tf.keras 2.15 on; tf.keras 2.12-2.14 wrote and read `_layer_checkpoint_dependencies/<name>/`:
# their saving walk visits a model's attributes in `dir()` order and meets that property before
# `layers`; 2.15 put it on the walk's skip list.
V3_WEIGHTS_LAYERS_LAYOUT_SINCE: Version = fact(
    "v3_weights_layers_layout_since",
    (2, 15),
    since="tf.keras 2.15",
    checked="keras/saving/saving_lib.py ATTR_SKIPLIST of tf.keras 2.12.0, 2.13.1, 2.14.0 (no "
    "`_layer_checkpoint_dependencies`) and 2.15.0 (listed); corpus/matrix.json: tf215/keras/"
    "custom/save-keras x 2.12/keras.load_model (\"Layer 'hidden' expected 2 variables, but "
    "received 0\"); measured in tf213: a 2.12 keras_v3 archive loads, tf215's `.keras` fails",
)

# Keras 3 refuses the marshalled Python bytecode of a legacy HDF5 Lambda unless safe_mode=False
# from 3.11.3 on (GHSA-36rr-ww3j-vrjv); earlier Keras 3 and every Keras 2 run it unchecked.
KERAS3_H5_SAFE_MODE_SINCE: Version = fact(
    "keras3_h5_safe_mode_since",
    (3, 11, 3),
    since="keras 3.11.3",
    checked="corpus/matrix.json: tf212/keras/lambda/save-h5 x 2.21/keras.load_model (needs "
    "safe_mode=False) vs x 2.16/keras.load_model (loads); keras/src/legacy/saving/"
    "legacy_h5_format.py of Keras 3.15.1",
)

# Every `.keras` loader (tf.keras 2.13+, tf_keras, Keras 3) refuses Lambda bytecode unless
# safe_mode=False.
KERAS_ARCHIVE_SAFE_MODE: bool = fact(
    "keras_archive_safe_mode",
    True,
    since="tf.keras 2.13 / keras 3.0",
    checked="corpus/matrix.json: tf215/keras/lambda/save-keras x 2.15/keras.load_model, "
    "tf216/keras/lambda/save-keras x 2.16/keras.load_model (needs safe_mode=False)",
)

# Layer and initializer arguments later Keras 3 releases write into every config of the class:
# a Keras 3 older than the release that added one rejects it ("Unrecognized keyword arguments",
# "could not be deserialized properly"). Argument -> the first release that reads it.
KERAS3_CONFIG_ARGUMENTS_SINCE: dict[str, Version] = fact(
    "keras3_config_arguments_since",
    {"quantization_config": (3, 13), "input_axes": (3, 15)},
    since="keras 3.13 (quantization_config), keras 3.15 (initializer input_axes)",
    checked="keras/src/layers/core/dense.py (get_config: quantization_config) and "
    "keras/src/initializers/random_initializers.py (input_axes) of Keras 3.0.5-3.15.1: absent "
    "up to 3.12.4 and 3.14.1 respectively; corpus/matrix.json: tf221/keras/custom/save-keras x "
    '2.16/keras.load_model ("could not be deserialized properly")',
)

# Keras 2's initializer name `Orthogonal`: Keras 3.0-3.3 know only `OrthogonalInitializer`.
KERAS3_READS_ORTHOGONAL_SINCE: Version = fact(
    "keras3_reads_orthogonal_since",
    (3, 4),
    since="keras 3.4",
    checked='keras/src/initializers/__init__.py of Keras 3.3.3 (no "Orthogonal"), 3.4.1 '
    '("Orthogonal": legacy alias), 3.7.0+ (class renamed Orthogonal); corpus/matrix.json: '
    'tf212/keras/recurrent/save-h5 x 2.16/keras.load_model ("Could not interpret initializer '
    "identifier: {'class_name': 'Orthogonal'\")",
)

# Keras 3.3.3 made `Bidirectional` a plain Layer; up to 3.3.2 it was a `Wrapper`, which also
# tracks the wrapped RNN's own weights beside the forward and backward copies (9 weights for a
# GRU, not 6). 3.0-3.3.2 load no whole Keras 3 model with such a layer: not one 3.3.3+ saved
# ("Weight count mismatch for layer #1 (named bigru...). Layer expects 9 weight(s). Received
# 6"), and not their own `.keras` ("A total of 1 objects could not be loaded... GRUCell"); they
# cannot save it as HDF5 at all. 3.3.3+ loads a 3.0-3.2 `.keras` (read by layer path).
KERAS3_BIDIRECTIONAL_LAYER_SINCE: Version = fact(
    "keras3_bidirectional_layer_since",
    (3, 3, 3),
    since="keras 3.3.3",
    checked="keras/src/layers/rnn/bidirectional.py of the Keras 3.0.0, 3.2.0, 3.3.0-3.3.2 wheels "
    "(class Bidirectional(Wrapper)) and 3.3.3 (class Bidirectional(Layer)); measured: "
    "tf216/keras/recurrent/save-h5 and save-keras x tf216-keras30, tf216-keras31, "
    "tf217-keras32/keras.load_model (fails); tf216-keras30, tf216-keras31, tf217-keras32/keras/"
    "recurrent/save-keras x the same three (fails) and x tf216, tf217/keras.load_model (loads)",
)

# A Functional model whose inputs or outputs are one tensor: Keras 3.11+ writes that config entry
# (`input_layers`/`output_layers`) as the bare reference `["out", 0, 0]`, where earlier releases
# wrapped it in a list. Keras 3.0-3.3 iterate the entry as a list of references and fail on the
# bare one (AssertionError); 3.4 added the leaf case.
KERAS3_READS_BARE_TENSOR_REFERENCE_SINCE: Version = fact(
    "keras3_reads_bare_tensor_reference_since",
    (3, 4),
    since="keras 3.4 (reads), keras 3.11 (writes)",
    checked="keras/src/models/functional.py of Keras 3.0.5, 3.2.1, 3.3.3 (functional_from_config:"
    " `[get_tensor(*v) for v in tensors]`), 3.4.1-3.10.0 (map_tensors: a `[str, int, int]` leaf),"
    " 3.10.0 (get_config: a lone KerasTensor wrapped in a list) and 3.11.3 (not wrapped); "
    "measured: tf220-keras311, tf221-keras312/keras/functional/* x tf216/keras.load_model",
)

# `load_model` of an unzipped `.keras` folder (config.json + model.weights.h5 in a directory).
KERAS3_READS_KERAS_FOLDER_SINCE: Version = fact(
    "keras3_reads_keras_folder_since",
    (3, 4),
    since="keras 3.4",
    checked="keras/src/saving/saving_api.py of Keras 3.3.3 (no `is_keras_dir`) and 3.4.1-3.15.1 "
    "(`is_keras_dir`)",
)

# Sharded weights: `<name>.weights.json` naming `.weights.h5` shards.
KERAS3_READS_SHARDED_WEIGHTS_SINCE: Version = fact(
    "keras3_reads_sharded_weights_since",
    (3, 10),
    since="keras 3.10",
    checked="keras/src/saving/saving_api.py of Keras 3.9.2 (no `.weights.json`) and "
    "3.10.0-3.15.1 (`.weights.json`)",
)

# Multi-backend Keras before 2.4 saved optimizer weights whose names and order differ from the
# tf.keras optimizer variables: the optimizer state is not restored (a warning, a fresh one).
MULTI_BACKEND_OPTIMIZER_WEIGHTS_UNTIL: Version = fact(
    "multi_backend_optimizer_weights_until",
    (2, 4),
    until="keras 2.4",
    checked="corpus/realworld_matrix.json: optimizer_reset cells of multi-backend Keras 2.x "
    '`.h5`; keras/saving/hdf5_format.py load_model_from_hdf5 ("Error in loading the saved '
    'optimizer state")',
)

# TF >= 2.13 may write tensor default values (StructuredValue `tensor_value`) into function specs,
# which TF 2.12 cannot decode (NotEncodableError).
FUNCTION_SPEC_TENSOR_DEFAULTS_SINCE_TF: Version = fact(
    "function_spec_tensor_defaults_since_tf",
    (2, 13),
    since="TF 2.13",
    checked="corpus/realworld_matrix.json: serving_hp2_tf2_tf214/saved_model_half_plus_two_tf2_"
    "cpu/00000123 x 2.12/tf.saved_model.load (NotEncodableError)",
)

# From TF 2.16 `tf.keras` / `keras.*` is Keras 3 (a separate `keras` package); up to 2.15 it is
# the Keras 2 release of TensorFlow's own minor (keras 2.15 with TF 2.15). The Keras 2 line goes
# on as `tf-keras`, whose releases follow TensorFlow's minor (tf-keras 2.18 for TF 2.18).
KERAS3_IN_TF_SINCE: Version = fact(
    "keras3_in_tf_since",
    (2, 16),
    since="TF 2.16",
    checked="corpus/constraints/tf215.txt (keras==2.15.0), tf216.txt (keras==3.3.3, "
    "tf-keras==2.16.0), tf221.txt (keras==3.15.1, tf-keras==2.21.0); tensorflow 2.16 "
    "release notes (Keras 3 default; TF_USE_LEGACY_KERAS selects tf_keras)",
)

# Keras 3 looks a `.keras`/`.weights.h5` layer up under `layers/<name>`, and on a miss under
# `_layer_checkpoint_dependencies/<name>` (tf.keras 2.12-2.14's layout), from 3.0.2 on. Names
# only match where both walks number a layer alike: tf.keras 2.12-2.13 listed every layer with
# weights twice (`layer_with_weights-i`, `layer-i`) and numbered both, so the second layer with
# weights of a class is `dense_2` there and `dense_1` in Keras 3 (and tf.keras 2.14).
KERAS3_MAPS_TF212_LAYOUT_SINCE: Version = fact(
    "keras3_maps_tf212_layout_since",
    (3, 0, 2),
    since="keras 3.0.2",
    checked="keras/src/saving/saving_lib.py of Keras 3.0.0, 3.0.1 (no fallback), 3.0.2-3.0.5, "
    "3.1.0, 3.2.0, 3.3.3, 3.15.1 (H5Entry: 'Fix for 2.13 compatibility'; the 3.0.x wheels from "
    "PyPI); measured: tf214 `.keras`/`.weights.h5` load in Keras 3.0.5; tf.keras 2.12 Functional."
    "_layer_checkpoint_dependencies; measured: 2.12 save_format='keras_v3' Sequential of one "
    "Dense and of Dense/Dropout/BatchNormalization load in Keras 3.3.3 and 3.15.1, of two Dense "
    '"A total of 1 objects could not be loaded"',
)

# Layer classes that never own weights: they take one number in tf.keras 2.12's walk (listed
# once, as `layer-i`), where every other layer takes two. Unknown and custom classes are taken
# to own weights.
WEIGHTLESS_LAYER_CLASSES: frozenset[str] = fact(
    "weightless_layer_classes",
    frozenset(
        {
            "InputLayer", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
            "GaussianDropout", "GaussianNoise", "AlphaDropout", "ActivityRegularization",
            "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "ThresholdedReLU", "Flatten",
            "Reshape", "Permute", "RepeatVector", "Lambda", "Masking", "Identity",
            "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D",
            "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "MaxPooling1D",
            "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
            "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
            "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
            "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
            "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
            "Rescaling", "Resizing", "CenterCrop", "UnitNormalization", "TFOpLambda",
            "SlicingOpLambda",
        }
    ),
    checked="keras/layers/ of tf.keras 2.12 and 2.15 (none of these calls add_weight)",
)  # fmt: skip

# tf.keras moved its implementation under `keras/src/` in 2.13, and `.keras` configs record the
# module a class lives in: a 2.13-2.15 Functional model is `keras.src.engine.functional`. tf.keras
# 2.12 has no `keras.src` package, so it cannot import that module ("Could not deserialize class
# 'Functional' because its parent module keras.src.engine.functional cannot be imported").
KERAS2_SRC_PACKAGE_SINCE: Version = fact(
    "keras2_src_package_since",
    (2, 13),
    since="tf.keras 2.13",
    checked="site-packages/keras of tf.keras 2.12.0 (keras/engine/functional.py, no keras/src) "
    "and 2.13.1, 2.14.0 (keras/src/engine/functional.py); keras/saving/serialization_lib.py "
    "_retrieve_class_or_fn of 2.12.0 (importlib of `module`); measured: tf213/keras/functional/"
    "save-keras x tf212/keras.load_model",
)

# From tf.keras 2.13 a registered class's `.keras` config keeps the bare `class_name` and puts
# the registration key in `registered_name` ("package>Name"); tf.keras 2.12 wrote the key as the
# `class_name` and deserializes the layers of a Sequential/Functional config with its legacy
# deserializer, which looks the class up by `class_name` alone: a 2.13+ archive's registered
# custom layer is unknown to 2.12 even when registered, unless custom_objects names it bare.
KERAS2_CONFIG_REGISTERED_NAME_SINCE: Version = fact(
    "keras2_config_registered_name_since",
    (2, 13),
    since="tf.keras 2.13",
    checked="config.json of tf.keras 2.12.0 save_format='keras_v3' (class_name "
    "'migrator_corpus>ScaleShift') and of 2.13.1 (class_name 'ScaleShift', registered_name "
    "'migrator_corpus>ScaleShift'); keras/layers/serialization.py deserialize of 2.12.0 (legacy "
    "deserialize_keras_object); measured: tf213/keras/custom/save-keras x tf212/keras.load_model "
    "(\"Unknown layer: 'ScaleShift'\" with the class registered)",
)

# Compiling a `.keras` archive's compile_config, tf.keras 2.12-2.14 call optimizer.build() on
# whatever optimizer it names; legacy optimizers (`keras.optimizers.legacy.*`, OptimizerV2) have
# no build, so loading stops ("'Adam' object has no attribute 'build'") unless compile=False.
# tf.keras 2.15 and tf_keras exempt legacy optimizers.
KERAS2_COMPILE_EXEMPTS_LEGACY_OPTIMIZER_SINCE: Version = fact(
    "keras2_compile_exempts_legacy_optimizer_since",
    (2, 15),
    since="tf.keras 2.15",
    checked="keras/engine/training.py Model.compile_from_config of tf.keras 2.12.0, 2.13.1, "
    "2.14.0 (unconditional optimizer.build) and 2.15.0, tf_keras 2.16-2.21 ('Exempt legacy "
    "optimizers'); keras/optimizers/legacy/optimizer_v2.py (no build); measured: "
    "tf212/keras/trained/save-format-keras-v3 x tf212/keras.load_model",
)

# How the `.keras`/`.weights.h5` saving walk numbers the layers of a container (`dense`,
# `dense_1`...): tf.keras 2.12 and 2.13 count a layer again each time the container lists it
# (`_layer_checkpoint_dependencies` lists a layer with weights twice), so the second layer with
# weights of a class is `dense_2`; from 2.14 (and in Keras 3) a layer already visited is skipped
# ("Keeps layer name indexing in proper order"), so it is `dense_1`. A loader finds a layer's
# weights only under the number its own walk gives it.
V3_WEIGHTS_COMPACT_NUMBERING_SINCE: Version = fact(
    "v3_weights_compact_numbering_since",
    (2, 14),
    since="tf.keras 2.14",
    checked="keras/saving/saving_lib.py _save_container_state of tf.keras 2.12.0, 2.13.1 (counts "
    "duplicates) and 2.14.0, 2.15.0, Keras 3 (skips visited); measured: a 2.12 keras_v3 "
    "Sequential of two Dense loads in tf213 and fails in tf214 (\"Layer 'out' expected 2 "
    'variables, but received 0")',
)

# Sharded weights: from Keras 3.11 a `.weights.json` weight_map names a list of shard files per
# variable path (a layer may span shards); Keras 3.10 expects one file name per path and, given
# a list, restores the wrong arrays (it loads, and the outputs differ).
KERAS3_READS_SHARD_LISTS_SINCE: Version = fact(
    "keras3_reads_shard_lists_since",
    (3, 11),
    since="keras 3.11",
    checked="keras/src/saving/saving_lib.py ShardedH5IOStore of Keras 3.10.0 (one file per path) "
    "and 3.11.3-3.15.1 (lists); measured: tf221/keras/sequential/weights-sharded x "
    "tf220-keras310/keras.load_weights (loads, max abs diff 1.59)",
)

# Keras 3.0-3.2 `load_model` hands a legacy HDF5 file to its HDF5 loader without `compile=` or
# `custom_objects=`: it always compiles the training config, so a file whose compile fails
# (a Keras 2 loss alias...) cannot be loaded with compile=False. From 3.3 both are passed on.
KERAS3_H5_TAKES_LOAD_ARGUMENTS_SINCE: Version = fact(
    "keras3_h5_takes_load_arguments_since",
    (3, 3),
    since="keras 3.3",
    checked="keras/src/saving/saving_api.py of Keras 3.0.5 and 3.2.0 "
    "(`load_model_from_hdf5(filepath)`) and 3.3.3 (`compile=compile`); measured: "
    "tf212/keras/trained/save-h5 x tf216-keras30, tf216-keras31, tf217-keras32 "
    "keras.load_model (\"Could not locate function 'mse'\" with compile=False)",
)
