import os

import tensorflow as tf

checkpoint_path = "training_1/cp.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path)
cp_callback = tf.keras.callbacks.ModelCheckpoint(
    filepath=checkpoint_path, save_weights_only=True, verbose=1
)
model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.load_weights(checkpoint_path)
best = tf.keras.callbacks.ModelCheckpoint("best.keras", monitor="val_loss", save_best_only=True)
every = tf.keras.callbacks.ModelCheckpoint("weights.{epoch:02d}.weights.h5", save_weights_only=True)
