"""Values reached through the same flows, all current: no finding. A bare word reaching a path
through a parameter (`weights="imagenet"`) is a mode handled before the use, not a path."""
import os

import tensorflow as tf

OUT_DIR = "runs"


def build(weights: str | None = "imagenet") -> tf.keras.Model:
    model = tf.keras.Sequential([tf.keras.layers.Dense(2)])
    if weights == "imagenet":
        pass
    elif weights is not None:
        model.load_weights(weights)
    return model


class Agent:
    def __init__(self) -> None:
        self.actor = build()
        self.actor_path = os.path.join(OUT_DIR, "actor.weights.h5")

    def save(self, name: str) -> None:
        self.actor.save_weights(name)

    def checkpoint(self, step: int, path: str = "agent/critic.weights.h5") -> None:
        self.actor.save_weights(path)
        self.actor.save_weights(self.actor_path)
        self.actor.save_weights(f"{OUT_DIR}/step_{step}.weights.h5")
        self.actor.save_weights("actor_" + str(step) + ".weights.h5")

    def run(self) -> None:
        self.save("cartpole.weights.h5")
        self.checkpoint(3)


def export(out_dir: str) -> None:
    # an unknown path stays unknown: no guess about `str(out_dir)`
    build().save_weights(str(out_dir))
