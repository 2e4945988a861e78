import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.save("model.h5", save_format="h5")  # migrator: ignore
