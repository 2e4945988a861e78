"""The test corpus: model definitions, artifact generators and the load probe (see README.md).

Constants shared by the generator, the probe and the tests live here; importing this package
imports nothing else (the regeneration driver runs where neither NumPy nor TensorFlow exist, and
converted models are loaded with the corpus's custom layers but without migrator).
"""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parent
GENERATED = CORPUS / "generated"
MATRIX = CORPUS / "matrix.json"
# Every cell of the other runtimes (migrator/knowledge/runtimes.py): `tox -e matrix` measures it.
MATRIX_EXTENDED = CORPUS / "matrix_extended.json"

# TF line -> tox env name. The matrix keys use the TF line ("2.12"), folders the env name. A copy
# of the one TF-line table (`migrator/knowledge/tf_lines.py`), held to it by
# tests/test_knowledge.py: the corpus's model code is imported by the fresh-process load checks
# of converted models, which must prove that loading them needs no migrator import.
ENVS: dict[str, str] = {"2.12": "tf212", "2.15": "tf215", "2.16": "tf216", "2.21": "tf221"}
