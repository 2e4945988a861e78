# `load_model` imported by name: no `keras` namespace in the file to reach TFSMLayer through.
from tensorflow.keras.models import load_model

model = load_model("saved_model_dir")
