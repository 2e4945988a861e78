import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.export("export/")  # serving
model.export("saved_model")
model.export("out_dir")
model.export(  # the comment stays
    "serving/1",
)
