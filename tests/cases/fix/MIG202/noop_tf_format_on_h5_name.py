# save_format="tf" on a `.h5` name wrote a SavedModel *folder* called model.h5 in tf.keras 2.x:
# removing the argument or renaming the path would change what is written. Left for a person.
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.save("model.h5", save_format="tf")
