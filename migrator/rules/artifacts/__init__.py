"""Artifact rules (MIG1xx): model files and folders that current TensorFlow/Keras cannot load as-is.

One module per kind of artifact: ``savedmodel`` (MIG101-107), ``keras_config`` (Keras configs of
every era, legacy HDF5 files and misleading names: MIG108-114), ``weights`` (weights, checkpoints
and compile state), ``deployment`` (legacy and deployment formats). The rules registry imports
them all (``migrator.rules._load``).

Each rule is one decorated function that reads only what the format readers recorded
(``Reading.details``, ``Reading.raw``, ``Reading.producer``) and the judgements of
``migrator.facts``: no file is opened here, nothing is loaded, and TensorFlow is never imported.
Messages name the culprit (the file's own version strings, the layers, the missing files) and end
with the remedy.

Behaviour quoted in the docs was checked by loading files under Keras 3.15.1 / TF 2.21.0 and
tf.keras 2.15.1 / TF 2.15.1 (legacy HDF5 optimizer state, Keras 2 JSON architectures, TF-op
layers, mislabeled weights and checkpoints), and read in the sources of keras-team/keras
(``saving_api.py``, ``legacy/saving/legacy_h5_format.py``), tf_keras 2.21
(``saving/legacy/hdf5_format.py``, ``saved_model/load.py``) and TensorFlow
(``saved_model/load_v1_in_v2.py``).
"""
