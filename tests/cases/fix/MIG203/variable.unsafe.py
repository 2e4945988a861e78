import tensorflow as tf

MODEL_PATH = "models/classifier.keras"  # where the app loads it from


def train(model):
    model.save(MODEL_PATH)


def serve():
    return tf.keras.models.load_model(MODEL_PATH)
