# `export` has no `signatures=`/`options=`: a person must port these.
import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.save("export_dir", signatures={"serving_default": model.call})
model.save("export_dir2", include_optimizer=False)
