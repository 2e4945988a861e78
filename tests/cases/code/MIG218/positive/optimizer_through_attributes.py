"""TF1 optimizers from the implementation modules or set in `__init__`, handed to compile()."""
import tensorflow as tf
from tensorflow.python.training import rmsprop
from tensorflow.python.training.adam import AdamOptimizer


class Trainer:
    def __init__(self) -> None:
        self.optimizer = tf.compat.v1.train.MomentumOptimizer(0.01, 0.9)
        self.model = tf.keras.Sequential([tf.keras.layers.Dense(1)])

    def compile(self) -> None:
        self.model.compile(optimizer=self.optimizer, loss="mse")  # expect: MIG218


model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.compile(optimizer=AdamOptimizer(1e-3), loss="mse")  # expect: MIG218
model.compile(rmsprop.RMSPropOptimizer(1e-3), "mse")  # expect: MIG218
