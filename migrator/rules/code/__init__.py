"""Code rules (MIG2xx): save/load/export patterns in Python and notebooks that current TF/Keras break.

Each rule is one decorated function, or one row of `TF1_API_ROWS` (APIs that are simply gone or
only reachable through `tf.compat.v1`), in one of the modules ``save_load`` (Keras saving and
loading), ``tf1_api`` (the API table) and ``legacy_apis`` (Keras 2 and TF1 habits); the rules
registry imports them all (``migrator.rules._load``). Checks run on the AST, so comments, strings
and docstrings that contain code are never flagged. Receivers are decided with care: `x.save(...)`
is Keras' only when `x` is a Keras model (built, loaded, or a subclass in the file), or, in a
file that imports TensorFlow/Keras, when its origin is unknown and its name reads as a model;
`tf.train.Checkpoint(...).save`, `np.save`, `torch.save`, `f.save` are never Keras'.

Versions quoted below were checked by running the calls under TF 2.12.1 / 2.15.1 (tf.keras 2.x)
and TF 2.16.2 (Keras 3.3.3) / 2.21.0 (Keras 3.15.1), and against keras-team/keras
`keras/src/saving/saving_api.py` and TensorFlow's API docs and release notes.
"""
