import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.save("export/")  # serving
model.save("saved_model", save_format="tf")
tf.keras.models.save_model(model, "out_dir", save_format="tf")
tf.keras.models.save_model(  # the comment stays
    model,
    "serving/1",
)
