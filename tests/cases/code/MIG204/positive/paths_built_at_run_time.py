"""save_weights() names built at run time: concatenation with str(n), %-templates, .format,
f-strings, "sep".join, module-level values, values set in __init__, class attributes and
parameter defaults, and arguments passed by the calls of a method in the same file."""
import os

import tensorflow as tf

OUT_DIR = "runs"
WEIGHTS_NAME = "policy.h5"


def build() -> tf.keras.Model:
    model = tf.keras.Sequential([tf.keras.layers.Dense(2)])
    return model


net = build()
for n in range(3):
    net.save_weights("snapshot_" + str(n) + ".h5")  # expect: MIG204
    net.save_weights("dir/%s_%d.h5" % ("run", n))  # expect: MIG204
    net.save_weights("{}.h5".format(n))  # expect: MIG204
    net.save_weights(f"{OUT_DIR}/epoch_{n}.h5")  # expect: MIG204
    net.save_weights(OUT_DIR + "/ckpt." + str(n))  # expect: MIG204
    net.save_weights("_".join(["agent", str(n), "weights.h5"]))  # expect: MIG204
net.save_weights(os.path.join(OUT_DIR, WEIGHTS_NAME))  # expect: MIG204


class Agent:
    best_name = "best_actor.h5"

    def __init__(self, out_dir: str) -> None:
        self.actor = build()
        self.actor_path = os.path.join(out_dir, "actor.h5")

    def save(self, name: str) -> None:
        self.actor.save_weights(name)  # expect: MIG204

    def checkpoint(self, path: str = "agent/critic.h5") -> None:
        self.actor.save_weights(path)  # expect: MIG204
        self.actor.save_weights(self.actor_path)  # expect: MIG204
        self.actor.save_weights(self.best_name)  # expect: MIG204

    def run(self) -> None:
        self.save("cartpole-dqn.h5")
        self.checkpoint()
