"""A SavedModel archive downloaded and extracted, loaded from the folder its name gives:
`get_file` returns the cache path ending in the file name, `splitext(...)[0]` drops `.tgz`."""
import os

import tensorflow as tf

archive_path = tf.keras.utils.get_file("SegmentationModel.tgz", "https://example.org/m.tgz", extract=True)
model_path = os.path.splitext(archive_path)[0]
model = tf.keras.models.load_model(model_path)  # expect: MIG207
