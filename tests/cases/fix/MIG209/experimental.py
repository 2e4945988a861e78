import tensorflow as tf

model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
tf.keras.experimental.export_saved_model(model, "exported")
again = tf.keras.experimental.load_from_saved_model("exported")
tf.keras.experimental.export_saved_model(model, "serving", serving_only=True)
