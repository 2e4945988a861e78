from tensorflow import keras

model = keras.Sequential([
    keras.layers.Dense(8, input_shape=(16,)),  # the input
    keras.layers.Dense(1),
])
inputs = keras.layers.InputLayer(batch_shape=(None, 4, 3))
conv = keras.layers.Conv2D(4, 3, input_shape=(28, 28, 1))
