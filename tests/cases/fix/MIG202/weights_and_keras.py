from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(1)])
model.save_weights("run/w.weights.h5", save_format="h5")  # keep this comment
model.save("model.keras", save_format="keras")
