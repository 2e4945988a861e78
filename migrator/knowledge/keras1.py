"""Keras 1 history: the layer classes and arguments only Keras 1 wrote, and how to tell a Keras 1
config. Read in the Keras 1.2.2 sources (``keras/layers/*.py``, ``keras/engine/topology.py``) and
in Keras 2.0's own converters (``keras/legacy/interfaces.py``), which name every rename.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrator.knowledge import fact
from migrator.knowledge.versions import major

# Layer classes that exist only in Keras 1.x (renamed or removed in Keras 2.0).
KERAS1_CLASSES: frozenset[str] = fact(
    "keras1_classes",
    frozenset(
        {
            "Convolution1D",
            "Convolution2D",
            "Convolution3D",
            "AtrousConvolution1D",
            "AtrousConvolution2D",
            "Deconvolution2D",
            "SeparableConvolution2D",
            "Merge",
            "TimeDistributedDense",
            "MaxoutDense",
            "Highway",
        }
    ),
    until="keras 2.0",
    checked="keras 1.2.2 keras/layers/*.py; keras 2.0.0 keras/legacy/layers.py and interfaces.py",
)

# Layer config keys that only Keras 1.x wrote (Keras 2.0 renamed them: units, filters, kernel_size,
# kernel_initializer, data_format, padding, strides, kernel_regularizer, pool_size...).
KERAS1_ARGS: frozenset[str] = fact(
    "keras1_args",
    frozenset(
        {
            "nb_filter",
            "nb_row",
            "nb_col",
            "init",
            "inner_init",
            "inner_activation",
            "dim_ordering",
            "border_mode",
            "subsample",
            "W_regularizer",
            "b_regularizer",
            "U_regularizer",
            "W_constraint",
            "b_constraint",
            "U_constraint",
            "input_dtype",
            "consume_less",
            "pool_length",
        }
    ),
    until="keras 2.0",
    checked="keras 2.0.0 keras/legacy/interfaces.py (the renames Keras 2 applied when loading)",
)

# `output_dim` is a Keras 1 argument everywhere except Embedding, which kept it in Keras 2.
OUTPUT_DIM_OK: frozenset[str] = fact(
    "keras1_output_dim_kept_by",
    frozenset({"Embedding"}),
    checked="keras 2.0.0 keras/layers/embeddings.py (output_dim kept)",
)


def is_keras1(keras_version: str | None, config: Mapping[str, Any]) -> bool:
    """Keras 1 by the file's own version, or (no version recorded) by Keras-1-only classes/args.

    Keras itself treats an HDF5 file without `keras_version` as Keras 1; the config check keeps a
    Keras 2 architecture JSON (which never records a version in old releases) from being taken
    for Keras 1.
    """
    if keras_version:
        return major(keras_version) == 1
    from migrator.formats.keras_config import config_style

    return config_style(config)[0] == "keras1"


# --------------------------------------------------------------------------- Keras 1 -> Keras 2
# The renames Keras 2.0 applied when it loaded a Keras 1 config (`keras/legacy/interfaces.py`:
# `generate_legacy_interface(... conversions=[...])` per layer, `legacy_*_support` functions).

# Argument renames every Keras 1 layer with weights shared.
KERAS1_ARG_RENAMES: dict[str, str] = fact(
    "keras1_arg_renames",
    {
        "init": "kernel_initializer",
        "W_regularizer": "kernel_regularizer",
        "b_regularizer": "bias_regularizer",
        "W_constraint": "kernel_constraint",
        "b_constraint": "bias_constraint",
        "bias": "use_bias",
        "dim_ordering": "data_format",
        "border_mode": "padding",
        "input_dtype": "dtype",
    },
    until="keras 2.0",
    checked="keras 2.0.0 keras/legacy/interfaces.py (legacy_dense_support, "
    "legacy_conv2d_support, raise_duplicate_arg_error callers); keras 1.2.2 keras/layers/core.py",
)

# The recurrent layers' renames on top of KERAS1_ARG_RENAMES.
KERAS1_RECURRENT_ARG_RENAMES: dict[str, str] = fact(
    "keras1_recurrent_arg_renames",
    {
        **KERAS1_ARG_RENAMES,
        "output_dim": "units",
        "inner_init": "recurrent_initializer",
        "inner_activation": "recurrent_activation",
        "U_regularizer": "recurrent_regularizer",
        "dropout_W": "dropout",
        "dropout_U": "recurrent_dropout",
        "consume_less": "implementation",
    },
    until="keras 2.0",
    checked="keras 2.0.0 keras/legacy/interfaces.py (legacy_recurrent_support); keras 1.2.2 "
    "keras/layers/recurrent.py",
)

# Keras 1 `consume_less` -> Keras 2 `implementation` (unknown values meant "gpu").
KERAS1_CONSUME_LESS: dict[str, int] = fact(
    "keras1_consume_less",
    {"cpu": 0, "mem": 1, "gpu": 2},
    until="keras 2.0",
    checked="keras 2.0.0 keras/legacy/interfaces.py (recurrent_args_preprocessor)",
)

# Keras 1 class -> (Keras 2 class, argument renames).
KERAS1_CLASS_RENAMES: dict[str, tuple[str, Mapping[str, str]]] = fact(
    "keras1_class_renames",
    {
        "Dense": ("Dense", {**KERAS1_ARG_RENAMES, "output_dim": "units"}),
        "Convolution1D": (
            "Conv1D",
            {
                **KERAS1_ARG_RENAMES,
                "nb_filter": "filters",
                "filter_length": "kernel_size",
                "subsample_length": "strides",
            },
        ),
        "AtrousConvolution1D": (
            "Conv1D",
            {
                **KERAS1_ARG_RENAMES,
                "nb_filter": "filters",
                "filter_length": "kernel_size",
                "subsample_length": "strides",
                "atrous_rate": "dilation_rate",
            },
        ),
        "Convolution2D": (
            "Conv2D",
            {**KERAS1_ARG_RENAMES, "nb_filter": "filters", "subsample": "strides"},
        ),
        "AtrousConvolution2D": (
            "Conv2D",
            {
                **KERAS1_ARG_RENAMES,
                "nb_filter": "filters",
                "subsample": "strides",
                "atrous_rate": "dilation_rate",
            },
        ),
        "Deconvolution2D": (
            "Conv2DTranspose",
            {**KERAS1_ARG_RENAMES, "nb_filter": "filters", "subsample": "strides"},
        ),
        "Convolution3D": (
            "Conv3D",
            {**KERAS1_ARG_RENAMES, "nb_filter": "filters", "subsample": "strides"},
        ),
        "SeparableConvolution2D": (
            "SeparableConv2D",
            {**KERAS1_ARG_RENAMES, "nb_filter": "filters", "subsample": "strides"},
        ),
        "MaxPooling1D": (
            "MaxPooling1D",
            {"pool_length": "pool_size", "stride": "strides", "border_mode": "padding"},
        ),
        "AveragePooling1D": (
            "AveragePooling1D",
            {"pool_length": "pool_size", "stride": "strides", "border_mode": "padding"},
        ),
        "MaxPooling2D": (
            "MaxPooling2D",
            {"border_mode": "padding", "dim_ordering": "data_format"},
        ),
        "AveragePooling2D": (
            "AveragePooling2D",
            {"border_mode": "padding", "dim_ordering": "data_format"},
        ),
        "MaxPooling3D": (
            "MaxPooling3D",
            {"border_mode": "padding", "dim_ordering": "data_format"},
        ),
        "AveragePooling3D": (
            "AveragePooling3D",
            {"border_mode": "padding", "dim_ordering": "data_format"},
        ),
        "GlobalMaxPooling2D": ("GlobalMaxPooling2D", {"dim_ordering": "data_format"}),
        "GlobalAveragePooling2D": ("GlobalAveragePooling2D", {"dim_ordering": "data_format"}),
        "GlobalMaxPooling1D": ("GlobalMaxPooling1D", {}),
        "GlobalAveragePooling1D": ("GlobalAveragePooling1D", {}),
        "UpSampling1D": ("UpSampling1D", {"length": "size"}),
        "UpSampling2D": ("UpSampling2D", {"dim_ordering": "data_format"}),
        "UpSampling3D": ("UpSampling3D", {"dim_ordering": "data_format"}),
        "ZeroPadding1D": ("ZeroPadding1D", {}),
        "ZeroPadding2D": ("ZeroPadding2D", {"dim_ordering": "data_format"}),
        "ZeroPadding3D": ("ZeroPadding3D", {"dim_ordering": "data_format"}),
        "Cropping1D": ("Cropping1D", {}),
        "Cropping2D": ("Cropping2D", {"dim_ordering": "data_format"}),
        "Cropping3D": ("Cropping3D", {"dim_ordering": "data_format"}),
        "Dropout": ("Dropout", {"p": "rate"}),
        "SpatialDropout1D": ("SpatialDropout1D", {"p": "rate"}),
        "SpatialDropout2D": ("SpatialDropout2D", {"p": "rate", "dim_ordering": "data_format"}),
        "SpatialDropout3D": ("SpatialDropout3D", {"p": "rate", "dim_ordering": "data_format"}),
        "GaussianDropout": ("GaussianDropout", {"p": "rate"}),
        "GaussianNoise": ("GaussianNoise", {"sigma": "stddev"}),
        "Embedding": (
            "Embedding",
            {
                "init": "embeddings_initializer",
                "W_regularizer": "embeddings_regularizer",
                "W_constraint": "embeddings_constraint",
            },
        ),
        "LSTM": ("LSTM", KERAS1_RECURRENT_ARG_RENAMES),
        "GRU": ("GRU", KERAS1_RECURRENT_ARG_RENAMES),
        "SimpleRNN": ("SimpleRNN", KERAS1_RECURRENT_ARG_RENAMES),
        "ConvLSTM2D": (
            "ConvLSTM2D",
            {**KERAS1_RECURRENT_ARG_RENAMES, "nb_filter": "filters", "subsample": "strides"},
        ),
        "BatchNormalization": (
            "BatchNormalization",
            {"beta_init": "beta_initializer", "gamma_init": "gamma_initializer"},
        ),
        "PReLU": ("PReLU", {"init": "alpha_initializer"}),
        "LeakyReLU": ("LeakyReLU", {}),
        "ELU": ("ELU", {}),
        "ThresholdedReLU": ("ThresholdedReLU", {}),
        "Activation": ("Activation", {}),
        "Flatten": ("Flatten", {}),
        "Reshape": ("Reshape", {}),
        "Permute": ("Permute", {}),
        "RepeatVector": ("RepeatVector", {}),
        "Masking": ("Masking", {}),
        "InputLayer": ("InputLayer", {"input_dtype": "dtype"}),
        "TimeDistributed": ("TimeDistributed", {}),
        "Bidirectional": ("Bidirectional", {}),
        "Lambda": ("Lambda", {}),
        "Merge": ("Merge", {}),
    },
    until="keras 2.0",
    checked="keras 2.0.0 keras/legacy/interfaces.py (legacy_*_support conversions per layer); "
    "keras 1.2.2 keras/layers/{core,convolutional,pooling,recurrent,embeddings,noise,"
    "normalization,advanced_activations}.py",
)

# Keras 1 layers that are a Keras 2/3 wrapper around a layer, with the same weights in the same
# order: class -> (wrapper class, wrapped class). `TimeDistributedDense(output_dim, init,
# activation, W_regularizer, b_regularizer, activity_regularizer, W_constraint, b_constraint, bias,
# input_dim, input_length)` computes `activation(dot(x_t, W) + b)` at every step t, with
# trainable_weights [W (input_dim, output_dim), b (output_dim,)]: exactly `TimeDistributed(Dense)`
# whose weights are [kernel, bias] of the same shapes.
KERAS1_WRAPPED_EQUIVALENTS: dict[str, tuple[str, str]] = fact(
    "keras1_wrapped_equivalents",
    {"TimeDistributedDense": ("TimeDistributed", "Dense")},
    until="keras 2.0",
    checked="keras 1.2.2 keras/layers/core.py TimeDistributedDense (build: W, b; call: "
    "K.dot per time step); keras 3.15.1 keras/src/layers/rnn/time_distributed.py and "
    "keras/src/layers/core/dense.py (kernel, bias)",
)

# Keras 1 layers with no Keras 3 layer computing the same function with the same weights, and
# why. (LocallyConnected survived Keras 2 but not Keras 3, the target of conversion; see
# keras3.MISSING_LAYERS.) Highway and MaxoutDense equal small subgraphs of Keras 3 layers (Dense
# + sigmoid gate + Multiply/Add; several Dense + Maximum) but no single layer, so converting them
# means rebuilding that part of the model.
KERAS1_REMOVED_LAYERS: dict[str, str] = fact(
    "keras1_removed_layers",
    {
        "Highway": "Keras 2 removed Highway (y = H(x)*T(x) + x*(1-T(x)), weights W, W_carry, b, "
        "b_carry); Keras 3 has no gated-carry layer",
        "MaxoutDense": "Keras 2 removed MaxoutDense (max over nb_feature affine maps, W of shape "
        "(nb_feature, input_dim, output_dim)); Keras 3 has no maxout layer",
        "SReLU": "Keras 2 removed SReLU (four learned threshold/slope vectors); Keras 3 has no "
        "S-shaped ReLU",
        "ParametricSoftplus": "Keras 2 removed ParametricSoftplus (learned alpha, beta); Keras 3 "
        "has no parametric softplus",
        "ThresholdedLinear": "Keras 2 removed ThresholdedLinear",
        "AutoEncoder": "Keras 2 removed AutoEncoder (an encoder/decoder container)",
        "LocallyConnected1D": "Keras 3 removed LocallyConnected1D",
        "LocallyConnected2D": "Keras 3 removed LocallyConnected2D",
    },
    until="keras 2.0 (LocallyConnected: keras 3.0)",
    checked="keras 1.2.2 keras/layers/core.py (Highway, MaxoutDense), "
    "advanced_activations.py (SReLU, ParametricSoftplus, ThresholdedLinear) against keras 2.0.0 "
    "keras/layers/__init__.py and keras/legacy/layers.py; keras 3.15.1 keras/src/layers/"
    "__init__.py (no LocallyConnected, Highway, Maxout)",
)

# Keras 1 `Merge(mode=...)` -> the Keras 2 merge layer computing the same thing.
KERAS1_MERGE_MODES: dict[str, str] = fact(
    "keras1_merge_modes",
    {
        "sum": "Add",
        "mul": "Multiply",
        "ave": "Average",
        "max": "Maximum",
        "concat": "Concatenate",
        "dot": "Dot",
    },
    until="keras 2.0",
    checked="keras 1.2.2 keras/engine/topology.py Merge.call; keras 2.0.0 keras/layers/merge.py "
    "and keras/legacy/layers.py",
)

# Keras 1 `dim_ordering` -> Keras 2 `data_format` ("default" = the keras.json setting).
KERAS1_DIM_ORDERING: dict[str, str | None] = fact(
    "keras1_dim_ordering",
    {"tf": "channels_last", "th": "channels_first", "default": None},
    until="keras 2.0",
    checked="keras 2.0.0 keras/legacy/interfaces.py (conversions dim_ordering -> data_format, "
    "value_conversions tf/th/default)",
)

# Keras 1 initializer names -> Keras 2 initializers with the same distribution.
KERAS1_INITIALIZERS: dict[str, Any] = fact(
    "keras1_initializers",
    {
        "zero": "zeros",
        "one": "ones",
        "uniform": {"class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05}},
        "normal": {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.05}},
    },
    until="keras 2.0",
    checked="keras 1.2.2 keras/initializations.py (uniform scale 0.05, normal scale 0.05); "
    "keras 2.0.0 keras/initializers.py",
)

# Keras 1 regularizer class names -> their Keras 2 class.
KERAS1_REGULARIZERS: dict[str, str] = fact(
    "keras1_regularizers",
    {"L1L2Regularizer": "L1L2", "WeightRegularizer": "L1L2"},
    until="keras 2.0",
    checked="keras 1.2.2 keras/regularizers.py; keras 2.0.0 keras/regularizers.py (L1L2)",
)

# Theano computes a true convolution, TensorFlow a correlation: Keras 2 flipped the kernels of
# these layers (`convert_kernel`) when loading weights saved with the Theano backend.
THEANO_FLIPPED_KERNEL_CLASSES: frozenset[str] = fact(
    "theano_flipped_kernel_classes",
    frozenset({"Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "ConvLSTM2D"}),
    until="keras 2.2 (the Theano backend)",
    checked="keras 2.2.4 keras/engine/saving.py preprocess_weights_for_loading "
    "(conv_layers when original_backend == 'theano')",
)
