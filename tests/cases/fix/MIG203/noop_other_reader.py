# The same file name is read by something else: renaming it here would break that reader.
import os

from tensorflow import keras

model = keras.Sequential([keras.layers.Dense(1)])
model.save("model.h5")
print(os.path.getsize("model.h5"))
