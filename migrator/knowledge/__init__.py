"""Facts about TensorFlow and Keras releases: each stated once, with where it was checked.

migrator's value is what it knows about what each release writes and accepts. Readers record what
the bytes say; rules, loadability verdicts and conversion steps read the facts from here, so a
fact changes in one place and every judge follows.

- ``versions``: the one parser of version strings ("2.2.4-tf", "3.0.0.dev2023", "1.2.2").
- ``runtimes``: every runtime the extended matrix measures (each TF minor 2.12-2.21, each Keras 3
  minor 3.0-3.15), with its pins, Python bounds and how it is run.
- ``tf_lines``: the TensorFlow lines migrator measures and runs, with their Keras/tf-keras pairs
  (tox's pins, the conversion runtimes, the loadability columns and the corpus envs derive from
  it or are checked against it by a test).
- ``keras3``: what Keras 3 removed, renamed or rejects (loss aliases, layers, arguments, internal
  module paths, optimizer keys).
- ``keras1``: Keras 1 history: its layer classes and arguments, the renames Keras 2.0 applied,
  Theano kernel flips, and how to tell a Keras 1 config.
- ``keras2``: what the Keras 2 line (tf.keras, tf_keras) accepts that Keras 3 does not, and back.
- ``keras2_to_3``: what converting a Keras 2 config to Keras 3 may drop or rename, and the weight
  layouts the hard_sigmoid rescaling relies on.
- ``loaders``: the releases where a loader gained or lost a capability (safe_mode checks on legacy
  HDF5 Lambdas, unzipped ``.keras`` folders, sharded weights, ``keras_metadata.pb``...).
- ``keras_names``: every public name Keras defines (generated from the installed releases).
- ``tf_api``: the internal module paths of the saving APIs in each TF/Keras release (`tf.contrib.keras`,
  `tensorflow.python.training.saver`, ...), mapped to the public names the code rules match.

Every fact is registered with `fact()`, which records its provenance (the release where it starts
or stops and where it was checked: a source file of Keras/TF or a matrix cell) and returns the
value unchanged, so callers use plain frozensets and dicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Provenance:
    """Where a fact holds and how we know: `since`/`until` are releases ("keras 3.0"), `checked`
    names the source file or measurement that shows it."""

    name: str
    checked: str
    since: str = ""
    until: str = ""


PROVENANCE: dict[str, Provenance] = {}


def fact(name: str, value: T, *, checked: str, since: str = "", until: str = "") -> T:
    """Register a fact's provenance and return the value itself."""
    if not checked:
        raise ValueError(f"fact {name!r} must say where it was checked")
    if name in PROVENANCE:
        raise ValueError(f"fact {name!r} is stated twice; keep one home for it")
    PROVENANCE[name] = Provenance(name, checked, since, until)
    return value
