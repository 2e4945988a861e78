import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.save_weights("./checkpoints/my_checkpoint")
model.load_weights("./checkpoints/my_checkpoint")
model.save_weights("w.h5")
