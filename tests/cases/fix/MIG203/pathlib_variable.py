import os
from pathlib import Path

import tensorflow as tf

model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(1)])
h5_path = Path("artifacts") / "my_model" / "h5" / "v1" / "model.h5"
h5_path.parent.mkdir(parents=True, exist_ok=True)
model.save(h5_path)  # HDF5 single file
joined = os.path.join("artifacts", "final.hdf5")
model.save(joined)
reloaded = tf.keras.models.load_model(joined)
