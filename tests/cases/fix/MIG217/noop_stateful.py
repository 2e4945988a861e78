# A fixed batch size (stateful RNN): Keras 3 needs `keras.Input(batch_shape=...)`, a person's edit.
from tensorflow import keras

lstm = keras.layers.LSTM(32, stateful=True, batch_input_shape=(16, 10, 8))
