"""The test corpus: model definitions, artifact generators and the load probe (see README.md).

Constants shared by the generator, the probe and the tests live here; importing this package
imports only the stdlib-only TF-line table of `migrator.knowledge` (the regeneration driver runs
where neither NumPy nor TensorFlow exist).
"""

from __future__ import annotations

from pathlib import Path

from migrator.knowledge.tf_lines import TF_LINES

CORPUS = Path(__file__).resolve().parent
GENERATED = CORPUS / "generated"
MATRIX = CORPUS / "matrix.json"

# TF line -> tox env name. The matrix keys use the TF line ("2.12"), folders the env name. Derived
# from the one TF-line table (`migrator/knowledge/tf_lines.py`, stdlib only, so the regeneration
# driver can import it where neither NumPy nor TensorFlow exist).
ENVS: dict[str, str] = {t.line: t.env for t in TF_LINES}
