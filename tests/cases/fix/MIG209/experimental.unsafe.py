import tensorflow as tf

model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
model.export("exported")
again = tf.keras.layers.TFSMLayer("exported", call_endpoint="serving_default")
tf.keras.experimental.export_saved_model(model, "serving", serving_only=True)
