"""A wrapper that forwards its caller's `save_format` (no default of its own): the caller's call
is where a format is chosen, so the forwarding line gets no finding."""
import tensorflow as tf


def save(model: tf.keras.Model, filepath: str, save_format: str | None = None) -> None:
    tf.keras.models.save_model(model, filepath, save_format=save_format)


save(tf.keras.Sequential([tf.keras.layers.Dense(1)]), "model.keras")
