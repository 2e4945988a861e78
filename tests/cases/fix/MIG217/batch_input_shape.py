from tensorflow import keras

model = keras.Sequential([
    keras.layers.Dense(8, batch_input_shape=(None, 16)),  # the input
    keras.layers.Dense(1),
])
inputs = keras.layers.InputLayer(batch_input_shape=(None, 4, 3))
conv = keras.layers.Conv2D(4, 3, batch_input_shape=[None, 28, 28, 1])
