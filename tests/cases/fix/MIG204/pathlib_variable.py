from pathlib import Path

import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
weights_path = Path("artifacts") / "weights" / "ckpt"
weights_path.parent.mkdir(parents=True, exist_ok=True)
model.save_weights(weights_path)
model.load_weights(weights_path)
