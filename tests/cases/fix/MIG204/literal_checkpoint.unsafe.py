import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.save_weights("./checkpoints/my_checkpoint.weights.h5")
model.load_weights("./checkpoints/my_checkpoint.weights.h5")
model.save_weights("w.weights.h5")
