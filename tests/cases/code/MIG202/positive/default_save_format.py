"""A wrapper whose own default picks the legacy format: its `save_format=` line is flagged."""
import tensorflow as tf


def export(model: tf.keras.Model, export_path: str, save_format: str = "tf") -> None:
    tf.keras.models.save_model(model, export_path, save_format=save_format)  # expect: MIG202
