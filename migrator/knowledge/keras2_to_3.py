"""What converting a Keras 2 / tf.keras config to Keras 3 may drop, rename or must refuse.

`keras3` says what Keras 3 rejects; this module says which of those arguments can go without
changing what a model computes at inference (and under which value), which classes and arguments
Keras 3 has under another name with the same maths, and the weight layouts the hard_sigmoid
rescaling relies on. `convert.config_rewrite` applies them; a change of a Keras release changes
them here.
"""

from __future__ import annotations

from migrator.knowledge import fact

# (class or "*", argument) -> (the values dropping it keeps inference the same for, why it can
# go). The values: "any", "falsy", "none" (None) or "one" (== 1); `convert.config_rewrite`
# turns each into its predicate.
DROPPABLE_ARGS: dict[tuple[str, str], tuple[str, str]] = fact(
    "keras3_droppable_args",
    {
        ("*", "time_major"): ("falsy", "Keras 3 recurrent layers are always batch-major"),
        ("*", "implementation"): ("any", "only chose a kernel; Keras 3 picks its own"),
        ("*", "input_length"): ("any", "a shape hint now carried by the input layer"),
        ("*", "dynamic"): ("falsy", "Keras 3 has no dynamic layers"),
        ("*", "batch_size"): ("none", "unused"),
        ("*", "ragged"): ("falsy", "not ragged"),
        ("*", "noise_shape"): ("none", "default noise shape"),
        ("*", "fused"): ("any", "only chose a kernel"),
        ("*", "virtual_batch_size"): ("none", "not used"),
        ("*", "adjustment"): ("none", "not used"),
        ("*", "query_shape"): ("any", "build shapes are recomputed"),
        ("*", "key_shape"): ("any", "build shapes are recomputed"),
        ("*", "value_shape"): ("any", "build shapes are recomputed"),
        ("*", "weights"): ("none", "no initial weights"),
        ("Conv1DTranspose", "groups"): ("one", "one group"),
        ("Conv2DTranspose", "groups"): ("one", "one group"),
        ("Conv3DTranspose", "groups"): ("one", "one group"),
        ("DepthwiseConv1D", "groups"): ("one", "one group"),
        ("DepthwiseConv2D", "groups"): ("one", "one group"),
        ("SeparableConv1D", "groups"): ("one", "one group"),
        ("SeparableConv2D", "groups"): ("one", "one group"),
        ("SeparableConv1D", "kernel_initializer"): ("any", "unused by separable convs"),
        ("SeparableConv2D", "kernel_initializer"): ("any", "unused by separable convs"),
        ("SeparableConv1D", "kernel_regularizer"): ("none", "unused"),
        ("SeparableConv2D", "kernel_regularizer"): ("none", "unused"),
        ("SeparableConv1D", "kernel_constraint"): ("none", "unused"),
        ("SeparableConv2D", "kernel_constraint"): ("none", "unused"),
        ("Embedding", "sparse"): ("falsy", "dense lookups"),
        ("Lambda", "function_type"): ("any", "legacy Lambda bookkeeping"),
        ("Lambda", "module"): ("any", "legacy Lambda bookkeeping"),
        ("Lambda", "output_shape_type"): ("any", "legacy Lambda bookkeeping"),
        ("Lambda", "output_shape_module"): ("any", "legacy Lambda bookkeeping"),
    },
    since="keras 3.0",
    checked="tf.keras 2.15.1 layer configs (keras/layers/*) against Keras 3.3.3 and 3.15.1 "
    "keras/src/layers/* __init__ signatures; the rejected ones are keras3.REJECTED_LAYER_ARGS; "
    "tests/test_convert_tf.py builds the rewritten configs and compares outputs",
)

# (class, Keras 2 argument) -> the Keras 3 argument with the same meaning.
RENAMED_ARGS: dict[tuple[str, str], str] = fact(
    "keras3_renamed_args",
    {("LeakyReLU", "alpha"): "negative_slope"},
    since="keras 3.0",
    checked="keras 3.3.3 keras/src/layers/activations/leaky_relu.py (negative_slope; `alpha` "
    "rejected)",
)

# tf.keras classes Keras 3 has under another name and the same maths (after the weight layout
# conversion in `convert.weight_layouts`).
RENAMED_CLASSES: dict[str, str] = fact(
    "keras3_renamed_classes",
    {"CuDNNLSTM": "LSTM", "CuDNNGRU": "GRU"},
    since="keras 3.0",
    checked="tf.keras 2.15 keras/layers/rnn/cudnn_lstm.py, cudnn_gru.py; keras 3.3.3 "
    "keras/src/layers/rnn/lstm.py, gru.py (cuDNN kernels chosen automatically)",
)

# TensorFlow-op layers tf.keras created when raw TF ops were called in the functional API.
TF_OP_LAYER_CLASSES: tuple[str, ...] = fact(
    "tf_keras_tf_op_layer_classes",
    (
        "TFOpLambda",
        "SlicingOpLambda",
        "TensorFlowOpLayer",
        "ClassMethod",
        "InstanceMethod",
        "InstanceProperty",
    ),
    until="keras 3.0",
    checked="tf.keras 2.15 keras/layers/core/tf_op_layer.py and keras/engine/base_layer.py "
    "(TensorFlowOpLayer); none exists in keras 3.3.3 keras/src/layers",
)

# Keras 1/2 hard_sigmoid(x) = clip(0.2 x + 0.5, 0, 1); Keras 3's is clip(x / 6 + 0.5, 0, 1), so
# the old function equals the new one applied to 1.2 x.
HARD_SIGMOID_FACTOR: float = fact(
    "keras3_hard_sigmoid_factor",
    1.2,
    since="keras 3.0",
    checked="keras 2.15 keras/backend.py hard_sigmoid (0.2 x + 0.5); keras 3.3.3 "
    "keras/src/activations/activations.py hard_sigmoid (x / 6 + 0.5)",
)

# class -> indices of the weights an activation's argument is linear in (use_bias=True layout:
# kernel(s) then bias).
AFFINE_WEIGHT_INDICES: dict[str, tuple[int, ...]] = fact(
    "keras_affine_weight_indices",
    {
        "Dense": (0, 1),
        "Conv1D": (0, 1),
        "Conv2D": (0, 1),
        "Conv3D": (0, 1),
        "Conv1DTranspose": (0, 1),
        "Conv2DTranspose": (0, 1),
        "Conv3DTranspose": (0, 1),
        "DepthwiseConv1D": (0, 1),
        "DepthwiseConv2D": (0, 1),
        "SeparableConv1D": (1, 2),
        "SeparableConv2D": (1, 2),
        "SimpleRNN": (0, 1, 2),
    },
    checked="weight order of keras 2.15 and keras 3.3.3 layers' build() (Dense/Conv: kernel, "
    "bias; SeparableConv: depthwise, pointwise, bias; SimpleRNN cell: kernel, recurrent, bias)",
)

# recurrent class -> (number of gates, gates using `recurrent_activation`, gates using `activation`
# where that is affine in the weights; None when it is not).
RECURRENT_GATES: dict[str, tuple[int, tuple[int, ...], tuple[int, ...] | None]] = fact(
    "keras_recurrent_gates",
    {
        "LSTM": (4, (0, 1, 3), None),  # i, f, c, o: tanh(c) is not affine in the weights
        "ConvLSTM2D": (4, (0, 1, 3), None),
        "GRU": (3, (0, 1), (2,)),  # z, r, h
    },
    checked="keras 2.15 keras/layers/rnn/lstm.py, gru.py, conv_lstm.py cell call(); keras 3.3.3 "
    "keras/src/layers/rnn/lstm.py, gru.py (same gate order)",
)

# tf.keras treats a functional model built from a one-element list of inputs or outputs as a
# single-input / single-output model (`Functional.__init__` unwraps them), but its `get_config`
# still writes `[[name, node, tensor]]`. Keras 3 reads a nested list as a list-valued structure and
# returns a one-element list, which breaks such a model nested in a Sequential (Teachable Machine,
# transfer learning). Keys whose one-element list is unwrapped:
UNNEST_SINGLE_ENDPOINTS: tuple[str, ...] = fact(
    "tf_keras_single_endpoint_keys",
    ("input_layers", "output_layers"),
    since="keras 3.0",
    checked="tf.keras 2.15 keras/engine/functional.py Functional._init_graph_network "
    "(len(nest.flatten(outputs)) == 1 -> outputs[0]) and get_config; keras 3.15.1 "
    "keras/src/models/functional.py functional_from_config map_tensors (leaf = [str, int, int])",
)

# Layers whose Keras 2 call folded extra tensors into a list input (`RNN.__call__`:
# `[inputs] + initial_state + constants`), so a tf.keras/Keras 2 inbound node lists them after
# the sequence; Keras 3 takes them as the `initial_state` keyword argument.
INITIAL_STATE_LAYERS: frozenset[str] = fact(
    "keras2_rnn_initial_state_layers",
    frozenset(
        {
            "RNN",
            "SimpleRNN",
            "LSTM",
            "GRU",
            "ConvLSTM1D",
            "ConvLSTM2D",
            "ConvLSTM3D",
            "CuDNNLSTM",
            "CuDNNGRU",
            "Bidirectional",
        }
    ),  # fmt: skip
    since="keras 3.0",
    checked="tf.keras 2.15 keras/layers/rnn/base_rnn.py RNN.__call__ (_standardize_args, "
    "full_input = [inputs] + additional_inputs); keras 3.15.1 keras/src/layers/rnn/rnn.py "
    "RNN.call(sequences, initial_state=None, mask=None, training=False)",
)

# tf.keras augmentation layers Keras 3 dropped that return their input unchanged at inference
# (`call(inputs, training)`: augment only when training), so `Identity` computes the same
# inference function; the converted model no longer augments when trained.
INFERENCE_IDENTITY_CLASSES: frozenset[str] = fact(
    "tf_keras_inference_identity_classes",
    frozenset({"RandomHeight", "RandomWidth"}),
    since="keras 3.0",
    checked="tf.keras 2.15 keras/layers/preprocessing/image_preprocessing.py RandomHeight.call, "
    "RandomWidth.call (training=False returns inputs); keras 3.15.1 keras/src/layers/core/"
    "identity.py",
)
