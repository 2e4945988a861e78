# `save_weights_only` decided at run time, and a path read by something else: left alone.
import tensorflow as tf

weights_only = True
a = tf.keras.callbacks.ModelCheckpoint("a.ckpt", save_weights_only=weights_only)
path = "b.h5"
b = tf.keras.callbacks.ModelCheckpoint(path)
print("checkpoints go to", path)
