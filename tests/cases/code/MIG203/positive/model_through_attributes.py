"""The model reached through attributes, known to be Keras only from how it was built or loaded:
`self.model = self._build_model()`, `agent.main_network` of an instance of a local class,
`self.model = load_model(...)`, a keras.applications model, a local builder function."""
import keras
from keras.models import Sequential, load_model


def make_network() -> keras.Model:
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(2)(inputs))


class DQN:
    def __init__(self) -> None:
        self.main_network = make_network()
        self.target = None
        self.target = self._build_model()
        self.backbone = keras.applications.MobileNetV2(weights=None)

    def _build_model(self) -> Sequential:
        model = Sequential([keras.layers.Dense(2)])
        return model

    def load(self, name: str) -> None:
        self.restored = load_model(name)

    def save(self) -> None:
        self.target.save("target.h5")  # expect: MIG203
        self.backbone.save("backbone.hdf5")  # expect: MIG203
        self.restored.save("restored.h5")  # expect: MIG203


agent = DQN()
agent.main_network.save("main.h5")  # expect: MIG203
