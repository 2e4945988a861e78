"""Attributes holding objects that are surely not Keras models, or current saves: no finding."""
import keras
import numpy as np


class Recorder:
    def __init__(self) -> None:
        self.frames = np.zeros(3)
        self.history = []
        self.model = keras.Sequential([keras.layers.Dense(1)])

    def save(self) -> None:
        np.save("frames.h5", self.frames)
        self.model.save("model.keras")


recorder = Recorder()
recorder.save()
