"""What Keras 3 (TF 2.16+) removed, renamed or rejects, each with where it was measured.

Readers record configs verbatim; the `.keras` rules, the loadability verdicts and the config
rewrites of conversion all judge them with these tables.
"""

from __future__ import annotations

from migrator.knowledge import fact

KERAS3 = "Keras 3.0 / TF 2.16"

# Keras' own packages: a config entry whose `module` starts with one of these names a Keras object.
KERAS_PACKAGES: frozenset[str] = fact(
    "keras_packages",
    frozenset({"keras", "keras_hub", "keras_cv", "keras_nlp", "tf_keras"}),
    checked="`module` values Keras 3.0-3.15, tf_keras 2.16/2.21 and KerasHub/CV/NLP write in "
    "config.json (keras/src/saving/serialization_lib.py)",
)

# Module paths of Keras 2 internals that `.keras` configs of tf.keras 2.13-2.15 / tf_keras name
# and Keras 3 cannot import ("parent module ... cannot be imported").
KERAS2_INTERNAL_MODULES: tuple[str, ...] = fact(
    "keras2_internal_modules",
    ("keras.src.engine", "keras.engine", "tf_keras"),
    since="keras 3.0",
    checked="corpus/matrix.json: tf215 `.keras` Functional models fail in keras.load_model 3.3.3 "
    "and 3.15.1",
)
# Only the `keras.*engine` paths: what tf.keras 2.12-2.15 `Functional` configs record.
KERAS2_ENGINE_MODULES: tuple[str, ...] = KERAS2_INTERNAL_MODULES[:2]

# Loss names Keras 3's legacy HDF5 loader cannot resolve when it compiles the model
# (`saving_utils.compile_args_from_training_config` -> `losses.deserialize`): Keras 2's aliases.
UNRESOLVED_LOSS_ALIASES: frozenset[str] = fact(
    "keras3_unresolved_loss_aliases",
    frozenset(
        {
            "mse",
            "MSE",
            "mae",
            "MAE",
            "mape",
            "MAPE",
            "msle",
            "MSLE",
            "kld",
            "KLD",
            "kullback_leibler_divergence",
            "logcosh",
            "huber_loss",
            "cosine_proximity",
        }
    ),
    since="keras 3.0",
    checked="corpus/matrix.json keras.load_model cells of compiled `.h5` (3.3.3, 3.15.1): "
    "\"Could not locate function 'mse'\"; 3.3.3 also lacks `ctc`",
)

# Optimizer arguments of Keras 2.0-2.2 that Keras 3 optimizers reject.
REJECTED_OPTIMIZER_ARGS: frozenset[str] = fact(
    "keras3_rejected_optimizer_args",
    frozenset({"lr"}),
    since="keras 3.0",
    checked="keras/src/optimizers/base_optimizer.py (3.3.3, 3.15.1): unknown kwargs raise",
)

# Optimizer arguments tf.keras 2.11+ writes that Keras 3's `.keras` loader passes on and rejects
# (its legacy HDF5 loader strips them).
KERAS2_ONLY_OPTIMIZER_ARGS: frozenset[str] = fact(
    "keras2_only_optimizer_args",
    frozenset({"jit_compile", "is_legacy_optimizer"}),
    since="tf.keras 2.11 writes them; keras 3.0 rejects them in `.keras` compile_config",
    checked="corpus/matrix.json tf215 compiled `.keras` cells in Keras 3.3.3/3.15.1",
)

# Layer arguments tf.keras 2.13-2.15 writes that Keras 3 rejects ("Unrecognized keyword
# arguments"). Measured by serializing every tf.keras 2.15.1 layer class and loading the configs
# with keras.saving in Keras 3.3.3 and 3.15.1; keras-team/keras#20106 reports `batch_input_shape`
# for LSTM.
REJECTED_LAYER_ARGS: dict[str, frozenset[str]] = fact(
    "keras3_rejected_layer_args",
    {
        "groups": frozenset(
            {
                "DepthwiseConv1D",
                "DepthwiseConv2D",
                "SeparableConv1D",
                "SeparableConv2D",
                "Conv1DTranspose",
                "Conv2DTranspose",
                "Conv3DTranspose",
            }
        ),
        "kernel_initializer": frozenset({"SeparableConv1D", "SeparableConv2D"}),
        "kernel_regularizer": frozenset({"SeparableConv1D", "SeparableConv2D"}),
        "kernel_constraint": frozenset({"SeparableConv1D", "SeparableConv2D"}),
        "time_major": frozenset(
            {"LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}
        ),
        "trainable": frozenset(
            {"SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "Discretization"}
        ),
        "query_shape": frozenset({"MultiHeadAttention"}),
        "key_shape": frozenset({"MultiHeadAttention"}),
        "value_shape": frozenset({"MultiHeadAttention"}),
    },
    since="keras 3.0",
    checked="tf.keras 2.15.1 layer configs loaded with keras.saving in Keras 3.3.3 and 3.15.1",
)

# `batch_input_shape` on InputLayer: rejected by Keras 3.0.x, accepted again from 3.1.
INPUT_LAYER_BATCH_INPUT_SHAPE_REJECTED_BY: str = fact(
    "keras3_input_layer_batch_input_shape",
    "keras 3.0.x",
    since="keras 3.0",
    until="keras 3.1",
    checked="keras/src/layers/core/input_layer.py in keras 3.0-3.3 sources",
)

# tf.keras 2.15 `keras.layers` classes that Keras 3 (3.3.3 and 3.15.1) does not have.
MISSING_LAYERS: frozenset[str] = fact(
    "keras3_missing_layers",
    frozenset(
        {
            "AbstractRNNCell",
            "DenseFeatures",
            "LocallyConnected1D",
            "LocallyConnected2D",
            "RandomHeight",
            "RandomWidth",
            "ThresholdedReLU",
        }
    ),
    since="keras 3.0",
    checked="public `keras.layers` of tf.keras 2.15.1 minus Keras 3.3.3 and 3.15.1 "
    "(tests/fixtures/artifact_rules/dump_keras_names.py)",
)

# Classes tf.keras serialized (some without exporting them) that Keras 3 cannot rebuild, beyond
# MISSING_LAYERS: TF-op wrappers, CuDNN RNNs, experimental and removed layers.
REMOVED_LAYER_CLASSES: frozenset[str] = fact(
    "keras3_removed_layer_classes",
    MISSING_LAYERS
    | frozenset(
        {
            "TFOpLambda",
            "SlicingOpLambda",
            "TensorFlowOpLayer",
            "ClassMethod",
            "InstanceMethod",
            "InstanceProperty",
            "CuDNNLSTM",
            "CuDNNGRU",
            "DenseFeatures",
            "LocallyConnected1D",
            "LocallyConnected2D",
            "SyncBatchNormalization",
            "RandomFourierFeatures",
            "PeepholeLSTMCell",
            "Recurrent",
        }
    ),
    since="keras 3.0",
    checked="keras/src/layers/__init__.py (3.3.3, 3.15.1) has none of them",
)

# Keras 2 Lambda config keys that Keras 3's Lambda does not accept.
KERAS2_LAMBDA_KEYS: tuple[str, ...] = fact(
    "keras2_lambda_keys",
    ("function_type", "output_shape_type", "output_shape_module", "module"),
    since="keras 3.0",
    checked="keras/src/layers/core/lambda_layer.py from_config (3.3.3, 3.15.1)",
)

# The file names Keras 3 opens each content under: `load_model`/`load_weights` pick the loader from
# the name before reading a byte (`.keras` -> zip, `.weights.h5`/`.weights.json` -> the new weights
# layout, `.h5`/`.hdf5` -> the legacy HDF5 loader). JSON/YAML architectures are read as text, so
# their suffix only tells people (and tools) what the file holds. Matched on the lowercased name.
KERAS3_FILE_SUFFIXES: dict[str, tuple[str, ...]] = fact(
    "keras3_file_suffixes",
    {
        "keras-h5": (".h5", ".hdf5"),
        "keras-h5-weights": (".h5", ".hdf5"),
        "keras-v3": (".keras",),
        "keras-v3-weights": (".weights.h5", ".weights.json"),
        "keras-json": (".json",),
        "keras-yaml": (".yaml", ".yml"),
    },
    since="keras 3.0",
    checked="keras/src/saving/saving_api.py load_model/load_weights (3.3.3, 3.15.1) dispatch on "
    "the file name; `.weights.json` (sharded weights) is read by 3.15.1",
)
