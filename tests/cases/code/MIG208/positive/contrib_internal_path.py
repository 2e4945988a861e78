"""`tf.contrib.saved_model.save_keras_model` through its implementation module (TF 1.12-1.13),
and Keras reached as `tf.contrib.keras` (TF 1.1-1.3) or `tensorflow.python.keras._impl`
(TF 1.4-1.9)."""
from tensorflow.contrib.keras.python.keras.models import load_model
from tensorflow.contrib.saved_model.python.saved_model import keras_saved_model
from tensorflow.python.keras._impl.keras.models import Sequential

model = Sequential()
keras_saved_model.save_keras_model(model, "export")  # expect: MIG208
restored = load_model("export/1540000000")  # expect: MIG207
model.save("model_dir")  # expect: MIG201
