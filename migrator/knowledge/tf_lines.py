"""The TensorFlow lines migrator measures and runs: one table, everything else derives from it.

Each line is the newest patch release of a TensorFlow minor with the Keras and tf-keras that pip
pairs with it, pinned. The tox env of a line (``tf212``...) installs exactly these pins (its
constraints file, ``corpus/constraints/<env>.txt``, is the pip freeze of the env that measured
``corpus/matrix.json``); `migrator.convert.runtimes` names its interpreters after the envs; the
loadability columns are the lines; the corpus generators write one folder per env. A test
(``tests/test_knowledge.py``) fails when ``tox.ini``, the constraints files or the runtime names
disagree with this table.

Until TF 2.15, ``tf.keras`` *is* the ``keras`` package of the Keras 2 line (keras 2.12/2.15);
from TF 2.16 ``keras`` is Keras 3 and the Keras 2 line lives on as ``tf_keras``.
"""

from __future__ import annotations

from dataclasses import dataclass

from migrator.knowledge import fact
from migrator.knowledge.versions import minor_line


@dataclass(frozen=True)
class TFLine:
    """One TensorFlow line: its pins, its tox env and the Python it needs."""

    line: str  # "2.12": the loadability column and matrix key
    tensorflow: str  # pinned release of the `tensorflow-cpu` wheel
    keras: str  # pinned `keras` package: Keras 2 (tf.keras) up to TF 2.15, Keras 3 from 2.16
    tf_keras: str | None = None  # pinned `tf-keras`, where TF pairs one (2.16 on)
    python_max: str = "3.12"  # newest Python the TF wheels of this line exist for

    @property
    def env(self) -> str:
        """The tox env and runtime name: "tf212"."""
        return "tf" + self.line.replace(".", "")

    @property
    def keras3(self) -> bool:
        """`keras` is Keras 3 in this line (tf.keras is Keras 2 otherwise)."""
        return self.keras.split(".")[0] == "3"

    def pins(self) -> dict[str, str]:
        """The distribution pins tox installs for this line (name -> version)."""
        out = {"tensorflow-cpu": self.tensorflow}
        if self.keras3:
            out["keras"] = self.keras
        if self.tf_keras:
            out["tf-keras"] = self.tf_keras
        return out


TF_LINES: tuple[TFLine, ...] = fact(
    "tf_lines",
    (
        TFLine("2.12", tensorflow="2.12.1", keras="2.12.0", python_max="3.11"),
        TFLine("2.15", tensorflow="2.15.1", keras="2.15.0", python_max="3.11"),
        TFLine("2.16", tensorflow="2.16.2", keras="3.3.3", tf_keras="2.16.0", python_max="3.12"),
        TFLine("2.21", tensorflow="2.21.0", keras="3.15.1", tf_keras="2.21.0", python_max="3.13"),
    ),
    checked="corpus/constraints/<env>.txt (pip freeze of each measuring env); PyPI wheel tags "
    "for python_max",
)

LINE_NAMES: tuple[str, ...] = tuple(t.line for t in TF_LINES)
ENV_NAMES: tuple[str, ...] = tuple(t.env for t in TF_LINES)


def by_line(line: str) -> TFLine:
    for tf_line in TF_LINES:
        if tf_line.line == line:
            return tf_line
    raise KeyError(f"unknown TF line {line!r}; known: {', '.join(LINE_NAMES)}")


def by_env(env: str) -> TFLine:
    for tf_line in TF_LINES:
        if tf_line.env == env:
            return tf_line
    raise KeyError(f"unknown runtime {env!r}; known: {', '.join(ENV_NAMES)}")


def line_of(tensorflow_version: str | None) -> TFLine | None:
    """The known line a TensorFlow release belongs to ("2.15.0" -> 2.15), or None."""
    parsed = minor_line(tensorflow_version)
    if parsed is None:
        return None
    for tf_line in TF_LINES:
        if minor_line(tf_line.line) == parsed:
            return tf_line
    return None


def newest() -> TFLine:
    return TF_LINES[-1]
