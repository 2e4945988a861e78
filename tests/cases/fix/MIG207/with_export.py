import tensorflow as tf

model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(1)])
export_dir = "artifacts/model"
model.save(export_dir)
reloaded = tf.keras.models.load_model(export_dir)
other = tf.keras.models.load_model(  # from elsewhere
    "serving/model",
    custom_objects={"Custom": object},
)
