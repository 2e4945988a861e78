import tensorflow as tf

model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(1)])
export_dir = "artifacts/model"
model.export(export_dir)
reloaded = tf.keras.layers.TFSMLayer(export_dir, call_endpoint="serve")
other = tf.keras.layers.TFSMLayer(  # from elsewhere
    "serving/model",
    call_endpoint="serving_default",
)
