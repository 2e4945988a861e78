from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(1)])
model.save('my_model.h5')  # HDF5
loaded = keras.models.load_model('my_model.h5')
model.save(f"runs/model.hdf5")
