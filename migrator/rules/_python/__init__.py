"""Python files and notebooks for the code rules: parse once, resolve names, evaluate paths.

Nothing here runs the code it reads. A file is parsed with `ast`; a notebook's code cells are
joined into one module (so an import in cell 1 is known in cell 7) after IPython syntax is
neutralised: line magics, shell escapes (`!pip ...`, `x = !ls`) and help lines (`obj?`) become
`pass` on the same line, cell magics that hold Python (`%%time`, `%%capture`, `%%writefile x.py`)
lose only their first line, and other cell magics (`%%bash`, `%%html`, ...) are blanked. Line
numbers therefore stay those of the cell: a finding reports `cell` (1-based index in the
notebook's list of cells, markdown cells included) and `line` (1-based, inside that cell).

`CodeContext` is what a code rule receives next to its node. It answers three questions, all by
static reading:

- `qualname(expr)`: the dotted name an expression refers to through import aliases
  (`tf.keras.models.load_model`, `lm` from `from tensorflow.keras.models import load_model as lm`,
  `keras = tf.keras`), normalised by `canonical()` so every Keras spelling (`tensorflow.keras`,
  `tf_keras`, `tensorflow.python.keras`, `tensorflow.compat.v1.keras`) reads `keras.*`.
- `receiver_kind(expr)`: is this object a Keras model ("keras"), known to be something else
  ("other": a `tf.train.Checkpoint`, a NumPy/PyTorch/gensim object, a module), or "unknown"?
- `path(expr)`: what is known of a path argument: literals, f-strings, `+`, `%`, `.format`,
  `os.path.join`, `pathlib.Path(...) / "x"`, `.with_suffix`, and simple variables assigned in
  the same scope (the last assignment before the use; enclosing function scopes, then the module).

Modules: ``source`` (files and notebooks), ``names`` (Keras spellings, model names, bindings),
``paths`` (`PathValue`), ``context`` (`CodeContext`), ``runner`` (`check_file`). This package
re-exports what the rules and tests use.
"""

from __future__ import annotations

from migrator.rules._python.context import CodeContext
from migrator.rules._python.names import (
    KERAS_MODEL_CLASSES,
    KERAS_MODEL_FACTORIES,
    Binding,
    canonical,
    is_modelish,
    last_name,
    looks_like_dir_name,
    tf_api,
)
from migrator.rules._python.paths import PathValue
from migrator.rules._python.runner import check_file, run_rules
from migrator.rules._python.source import (
    Magic,
    Source,
    SourceError,
    inline_ignores,
    load_source,
    neutralise_ipython,
)

__all__ = [
    "Binding",
    "CodeContext",
    "KERAS_MODEL_CLASSES",
    "KERAS_MODEL_FACTORIES",
    "Magic",
    "PathValue",
    "Source",
    "SourceError",
    "canonical",
    "check_file",
    "inline_ignores",
    "is_modelish",
    "last_name",
    "load_source",
    "looks_like_dir_name",
    "neutralise_ipython",
    "run_rules",
    "tf_api",
]
