import tensorflow as tf

model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
model.save("model.h5")
model.save(
    "best.hdf5",  # a comment after the removed argument stays
)
tf.keras.models.save_model(model, 'other.h5', overwrite=True)
model.save("a.h5")
model.save("a.hdf5")  # renaming both would give two saves one name: neither is renamed
