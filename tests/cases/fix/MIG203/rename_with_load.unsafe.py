from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(1)])
model.save('my_model.keras')  # HDF5
loaded = keras.models.load_model('my_model.keras')
model.save(f"runs/model.hdf5")
