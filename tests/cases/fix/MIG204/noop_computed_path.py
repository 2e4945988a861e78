# A path built at run time: no literal to rename consistently.
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
run = "exp1"
model.save_weights("ckpt/" + run)
