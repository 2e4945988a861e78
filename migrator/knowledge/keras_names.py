"""Names Keras itself defines, so a config entry outside them needs the user's code to load.

Generated, not hand-picked: ``tests/fixtures/artifact_rules/dump_keras_names.py`` listed the public
names of ``keras``, ``tf_keras`` and ``tensorflow.keras`` (``layers``, ``layers.experimental``,
``layers.experimental.preprocessing``, ``models``, ``losses``, ``metrics``, ``optimizers`` (+
``legacy``/``experimental``/``schedules``), ``initializers``, ``regularizers``, ``constraints``,
``activations``) under TF 2.12.1 (keras 2.12), TF 2.15.1 (keras 2.15), TF 2.16.2 (Keras 3.3.3,
tf_keras 2.16) and TF 2.21.0 (Keras 3.15.1, tf_keras 2.21), and the union is pasted below. Added by
hand: the classes Keras serializes without exporting them (``TensorFlowOpLayer`` of TF 2.0-2.3),
and the Keras 1.x/0.x layer classes, read in the Keras 1.2.2 sources (``keras/layers/*.py``,
``keras/engine/topology.py``, ``keras/legacy/models.py``).
"""

from __future__ import annotations

from migrator.knowledge import fact

# fmt: off
# Layer and model classes (``class_name`` of a layer entry or of the model itself).
LAYER_CLASSES: frozenset[str] = fact(
    "keras_layer_classes",
    frozenset(
    {
        "AbstractRNNCell", "Activation", "ActivityRegularization", "AdaptiveAveragePooling1D",
        "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D", "AdaptiveMaxPooling1D",
        "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D", "Add", "AdditiveAttention",
        "AlphaDropout", "Attention", "AugMix", "AutoContrast", "Average", "AveragePooling1D",
        "AveragePooling2D", "AveragePooling3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
        "BatchNormalization", "BatchNormalizationV1", "BatchNormalizationV2", "Bidirectional",
        "CategoryEncoding", "CenterCrop", "ClassMethod", "Concatenate",
        "ContrastLimitedAdaptiveHistogramEqualization", "Conv1D", "Conv1DTranspose", "Conv2D",
        "Conv2DTranspose", "Conv3D", "Conv3DTranspose", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
        "Convolution1D", "Convolution1DTranspose", "Convolution2D", "Convolution2DTranspose",
        "Convolution3D", "Convolution3DTranspose", "Cropping1D", "Cropping2D", "Cropping3D",
        "CuDNNGRU", "CuDNNLSTM", "CutMix", "Dense", "DenseFeatures", "DepthwiseConv1D",
        "DepthwiseConv2D", "DeviceWrapper", "Discretization", "Dot", "Dropout", "DropoutWrapper",
        "DynamicEmbedding", "DynamicLookup", "ELU", "EinsumDense", "Embedding", "Equalization",
        "Flatten", "FlaxLayer", "Functional", "GRU", "GRUCell", "GRUCellV1", "GRUCellV2", "GRUV1",
        "GRUV2", "GaussianDropout", "GaussianNoise", "GlobalAveragePooling1D",
        "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalAvgPool1D", "GlobalAvgPool2D",
        "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
        "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GroupNormalization",
        "GroupQueryAttention", "HashedCrossing", "Hashing", "Identity", "Input", "InputLayer",
        "InputSpec", "InstanceMethod", "InstanceProperty", "IntegerLookup", "JaxLayer", "LSTM",
        "LSTMCell", "LSTMCellV1", "LSTMCellV2", "LSTMV1", "LSTMV2", "Lambda", "Layer",
        "LayerNormalization", "LeakyReLU", "LocallyConnected1D", "LocallyConnected2D", "Masking",
        "MaxNumBoundingBoxes", "MaxPool1D", "MaxPool2D", "MaxPool3D", "MaxPooling1D",
        "MaxPooling2D", "MaxPooling3D", "Maximum", "MelSpectrogram", "Minimum", "MixUp", "Model",
        "MultiHeadAttention", "Multiply", "Normalization", "PReLU", "Permute", "Pipeline",
        "PreprocessingLayer", "RMSNormalization", "RNN", "RandAugment", "RandomBrightness",
        "RandomColorDegeneration", "RandomColorJitter", "RandomContrast", "RandomCrop",
        "RandomElasticTransform", "RandomErasing", "RandomFlip", "RandomFourierFeatures",
        "RandomGaussianBlur", "RandomGrayscale", "RandomHeight", "RandomHue", "RandomInvert",
        "RandomPerspective", "RandomPosterization", "RandomRotation", "RandomSaturation",
        "RandomSharpness", "RandomShear", "RandomTranslation", "RandomWidth", "RandomZoom",
        "ReLU", "RepeatVector", "Rescaling", "Reshape", "ResidualWrapper", "Resizing",
        "ReversibleEmbedding", "STFTSpectrogram", "SeparableConv1D", "SeparableConv2D",
        "SeparableConvolution1D", "SeparableConvolution2D", "Sequential",
        "SharpnessAwareMinimization", "SimpleRNN", "SimpleRNNCell", "SlicingOpLambda", "Softmax",
        "Solarization", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
        "SpectralNormalization", "StackedRNNCells", "StringLookup", "Subtract",
        "SyncBatchNormalization", "TFOpLambda", "TFSMLayer", "TextVectorization",
        "ThresholdedReLU", "TimeDistributed", "TorchModuleWrapper", "UnitNormalization",
        "UpSampling1D", "UpSampling2D", "UpSampling3D", "VersionAwareLayers", "Wrapper",
        "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    }
) | frozenset(
    {
        # serialized but not exported (tf.keras TF 2.0-2.3 op layers)
        "TensorFlowOpLayer",
        # Keras 1.x / 0.x
        "AtrousConvolution1D", "AtrousConvolution2D", "ConvRecurrent2D", "Container",
        "Deconvolution2D", "Graph", "Highway", "MaxoutDense", "Merge", "ParametricSoftplus",
        "Recurrent", "SReLU", "ThresholdedLinear", "TimeDistributedDense",
    }
),
    checked="tests/fixtures/artifact_rules/dump_keras_names.py under TF 2.12.1, 2.15.1, 2.16.2, 2.21.0",
)

# Classes of the other objects a config names: losses, metrics, optimizers, learning-rate
# schedules, initializers, regularizers, constraints.
OBJECT_CLASSES: frozenset[str] = fact(
    "keras_object_classes",
    frozenset(
    {
        "ACC", "AUC", "Accuracy", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax",
        "BCE", "BinaryAccuracy", "BinaryCrossentropy", "BinaryFocalCrossentropy", "BinaryIoU",
        "CTC", "CategoricalAccuracy", "CategoricalCrossentropy", "CategoricalFocalCrossentropy",
        "CategoricalGeneralizedCrossEntropy", "CategoricalHinge", "Circle",
        "ConcordanceCorrelation", "Constant", "ConstantV2", "Constraint", "CosineDecay",
        "CosineDecayRestarts", "CosineSimilarity", "Dice", "ExponentialDecay", "F1Score",
        "FBetaScore", "FalseNegatives", "FalsePositives", "Ftrl", "GlorotNormal",
        "GlorotNormalV2", "GlorotUniform", "GlorotUniformV2", "HeNormal", "HeNormalV2",
        "HeUniform", "HeUniformV2", "Hinge", "Huber", "Identity", "IdentityInitializer",
        "IdentityV2", "Initializer", "InverseTimeDecay", "IoU", "KLD", "KLDivergence", "L1",
        "L1L2", "L2", "LABEL_DTYPES_FOR_LOSSES", "Lamb", "LearningRateSchedule", "LecunNormal",
        "LecunNormalV2", "LecunUniform", "LecunUniformV2", "Lion", "LogCosh", "LogCoshError",
        "Loss", "LossFunctionWrapper", "LossScaleOptimizer", "MAE", "MAPE", "MSE", "MSLE",
        "MaxNorm", "Mean", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanIoU",
        "MeanMetricWrapper", "MeanRelativeError", "MeanSquaredError",
        "MeanSquaredLogarithmicError", "MeanTensor", "Metric", "MinMaxNorm", "MultiOptimizer",
        "Muon", "Nadam", "NonNeg", "OneHotIoU", "OneHotMeanIoU", "Ones", "OnesV2", "Optimizer",
        "OptimizerMap", "Orthogonal", "OrthogonalInitializer", "OrthogonalRegularizer",
        "OrthogonalV2", "PearsonCorrelation", "PiecewiseConstantDecay", "Poisson",
        "PolynomialDecay", "Precision", "PrecisionAtRecall", "R2Score", "RMSprop",
        "RadialConstraint", "RandomNormal", "RandomNormalV2", "RandomUniform", "RandomUniformV2",
        "Recall", "RecallAtPrecision", "Reduce", "Reduction", "Regularizer",
        "RootMeanSquaredError", "SGD", "STFT", "STFTInitializer", "ScheduleFreeAdamW",
        "SensitivityAtSpecificity", "SensitivitySpecificityBase", "SparseCategoricalAccuracy",
        "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy",
        "SpecificityAtSensitivity", "SquaredHinge", "Sum", "SumOverBatchSize",
        "SumOverBatchSizeMetricWrapper", "TFOptimizer", "TopKCategoricalAccuracy",
        "TrueNegatives", "TruePositives", "TruncatedNormal", "TruncatedNormalV2", "Tversky",
        "UnitNorm", "VarianceScaling", "VarianceScalingV2", "Zeros", "ZerosV2",
    }
),
    checked="tests/fixtures/artifact_rules/dump_keras_names.py under TF 2.12.1, 2.15.1, 2.16.2, 2.21.0",
)

# Function identifiers (lower case) of losses, metrics, activations, initializers, regularizers
# and constraints, as Keras 1/2 write them in configs and training configs.
FUNCTION_NAMES: frozenset[str] = fact(
    "keras_function_names",
    frozenset(
    {
        "acc", "accuracy", "bce", "binary_accuracy", "binary_crossentropy",
        "binary_focal_crossentropy", "categorical_accuracy", "categorical_crossentropy",
        "categorical_focal_crossentropy", "categorical_generalized_cross_entropy",
        "categorical_hinge", "celu", "circle", "concordance_correlation", "constant",
        "cosine_proximity", "cosine_similarity", "ctc", "dice", "elu", "exponential", "gelu",
        "glorot_normal", "glorot_normalV2", "glorot_uniform", "glorot_uniformV2", "glu",
        "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "he_normal",
        "he_normalV2", "he_uniform", "he_uniformV2", "hinge", "huber", "huber_loss", "identity",
        "kl_divergence", "kld", "kullback_leibler_divergence", "l1", "l1_l2", "l2", "leaky_relu",
        "lecun_normal", "lecun_normalV2", "lecun_uniform", "lecun_uniformV2", "linear",
        "log_cosh", "log_sigmoid", "log_softmax", "logcosh", "mae", "mape", "max_norm", "maxnorm",
        "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
        "mean_squared_logarithmic_error", "min_max_norm", "mish", "mse", "msle", "non_neg",
        "nonneg", "normal", "one", "ones", "orthogonal", "orthogonal_regularizer",
        "pearson_correlation", "poisson", "radial_constraint", "random_normal", "random_uniform",
        "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus",
        "softsign", "sparse_categorical_accuracy", "sparse_categorical_crossentropy",
        "sparse_plus", "sparse_sigmoid", "sparse_top_k_categorical_accuracy", "sparsemax",
        "squared_hinge", "squareplus", "stft", "swish", "tanh", "tanh_shrink", "threshold",
        "top_k_categorical_accuracy", "truncated_normal", "tversky", "uniform", "unit_norm",
        "unitnorm", "variance_scaling", "zero", "zeros",
    }
),
    checked="tests/fixtures/artifact_rules/dump_keras_names.py under TF 2.12.1, 2.15.1, 2.16.2, 2.21.0",
)
# fmt: on
