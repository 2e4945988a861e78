# The path is a parameter (its value comes from the callers) and a loop variable: left alone.
import tensorflow as tf


def save(model, path="model.h5"):
    model.save(path)


for name in ("a.h5", "b.h5"):
    tf.keras.Sequential().save(name)
