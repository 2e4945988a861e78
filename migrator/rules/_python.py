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
"""

from __future__ import annotations

import ast
import io
import json
import re
import string
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from migrator.knowledge.keras3 import KERAS_PACKAGES
from migrator.model import Finding, SourceFile

if TYPE_CHECKING:
    from migrator.rules import Hit, Rule

# --- loading ------------------------------------------------------------------------------------


class SourceError(Exception):
    """A file the code rules cannot read; `str()` is the one-line report error."""


@dataclass(frozen=True)
class Magic:
    """An IPython line magic that was neutralised, kept for rules that care (`%env`)."""

    line: int  # line in the joined source
    col: int  # 0-based
    name: str  # "env", "pip", "!" for shell escapes, ...
    args: str


@dataclass
class Source:
    """What the code rules walk: the (joined) text, its AST, and how to map lines back."""

    text: str
    tree: ast.Module
    cells: list[tuple[int, int]] | None = None  # joined line - 1 -> (cell number, line in cell)
    magics: list[Magic] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def where(self, line: int) -> tuple[int | None, int]:
        """(cell, line) of a joined-source line; (None, line) for a plain file."""
        if self.cells is None or not 1 <= line <= len(self.cells):
            return None, line
        return self.cells[line - 1]


# Cell magics whose body is Python that IPython runs (or writes to a .py file).
_PY_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "python", "python3"})
_MAGIC_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<body>(?:%|!|\?).*)$")
_ASSIGNED_MAGIC = re.compile(r"^(?P<indent>[ \t]*)[A-Za-z_][\w.]*\s*=\s*(?P<body>[%!].*)$")
_HELP_LINE = re.compile(r"^(?P<indent>[ \t]*)[A-Za-z_][\w.]*\?{1,2}\s*$")


def load_source(path: Path) -> Source | None:
    """Parse `path` (`.py` or `.ipynb`); None for a notebook whose kernel is not Python."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read file ({exc.strerror or exc}); check permissions") from exc
    if path.suffix.lower() == ".ipynb":
        return _load_notebook(data)
    text = _decode(data)
    tree = _parse(text, where="")
    return Source(text=text, tree=tree)


def _decode(data: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise SourceError(
            f"cannot decode as Python source ({exc}); save the file as UTF-8 or fix its "
            "`# -*- coding: ... -*-` line"
        ) from exc


def _parse(text: str, where: str) -> ast.Module:
    if "\x00" in text:
        raise SourceError(
            f"{where}cannot parse as Python source (it contains NUL bytes); check that this is a "
            "text Python file"
        )
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        snippet = (exc.text or "").strip()
        shown = f": `{snippet[:60]}`" if snippet else ""
        raise SourceError(
            f"{where}cannot parse as Python 3 ({exc.msg} at line {exc.lineno}{shown}); code rules "
            "skipped here: fix the syntax (Python 2 code: port it, e.g. with `2to3`) and audit again"
        ) from exc
    except (RecursionError, MemoryError) as exc:
        raise SourceError(
            f"{where}cannot parse: nested too deeply for Python's parser ({type(exc).__name__}); "
            "code rules skipped for this file"
        ) from exc
    except ValueError as exc:
        raise SourceError(
            f"{where}cannot parse as Python source ({type(exc).__name__}: {exc}); check that this "
            "is a text Python file"
        ) from exc


def _load_notebook(data: bytes) -> Source | None:
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(
            f"not a readable notebook (invalid JSON: {exc}); open and re-save it in Jupyter"
        ) from exc
    if not isinstance(nb, dict):
        raise SourceError("not a notebook (the JSON is not an object); check the file")
    if not _python_kernel(nb):
        return None
    raw_cells = nb.get("cells")
    if raw_cells is None:  # nbformat 3: cells live in worksheets, code in "input"
        raw_cells = [
            c
            for ws in nb.get("worksheets") or []
            if isinstance(ws, dict)
            for c in ws.get("cells") or []
        ]
    if not isinstance(raw_cells, list):
        raise SourceError("not a notebook (no list of cells); open and re-save it in Jupyter")
    pieces: list[tuple[int, str, list[Magic]]] = []
    for number, cell in enumerate(raw_cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            raise SourceError(f"cell {number}: source is not text; open and re-save the notebook")
        try:
            ast.parse(source)
            code, magics = source, []
        except (SyntaxError, ValueError):
            code, magics = neutralise_ipython(source)
        pieces.append((number, code, magics))

    errors: list[str] = []
    good = []
    for number, code, magics in pieces:
        try:
            _parse(code, where=f"cell {number}: ")
        except SourceError as exc:
            errors.append(str(exc))
            continue
        good.append((number, code, magics))
    text_parts: list[str] = []
    cells: list[tuple[int, int]] = []
    all_magics: list[Magic] = []
    for number, code, magics in good:
        if code and not code.endswith("\n"):
            code += "\n"
        offset = len(cells)
        lines = code.splitlines(keepends=True)
        text_parts.extend(lines)
        cells.extend((number, i) for i in range(1, len(lines) + 1))
        all_magics.extend(Magic(m.line + offset, m.col, m.name, m.args) for m in magics)
    text = "".join(text_parts)
    tree = _parse(text, where="")  # valid cells joined stay valid: each is a whole module
    return Source(text=text, tree=tree, cells=cells, magics=all_magics, errors=errors)


def _python_kernel(nb: dict) -> bool:
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    for key, sub in (("kernelspec", "language"), ("language_info", "name")):
        value = meta.get(key)
        if isinstance(value, dict) and isinstance(value.get(sub), str):
            return value[sub].lower().startswith("python")
    if isinstance(meta.get("language"), str):  # nbformat 3
        return meta["language"].lower().startswith("python")
    return True


def neutralise_ipython(source: str) -> tuple[str, list[Magic]]:
    """Make one cell parseable without changing its line numbers; return the neutralised magics."""
    lines = source.splitlines()
    magics: list[Magic] = []
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        words = lines[first].strip()[2:].split()
        name = words[0] if words else ""
        python_body = name in _PY_CELL_MAGICS or (
            name in ("writefile", "file") and words[-1].endswith(".py")
        )
        magics.append(Magic(first + 1, 0, "%%" + name, " ".join(words[1:])))
        lines[first] = ""
        if not python_body:
            return "\n".join("" for _ in lines) + "\n", magics
    continued = False
    for i, line in enumerate(lines):
        if continued:
            continued = line.endswith("\\")
            lines[i] = ""
            continue
        match = _MAGIC_LINE.match(line) or _ASSIGNED_MAGIC.match(line) or _HELP_LINE.match(line)
        if not match:
            continue
        indent = match.group("indent")
        body = match.groupdict().get("body") or line.strip()
        if body.startswith("%"):
            name, _, args = body.lstrip("%").partition(" ")
        elif body.startswith("!"):
            name, args = "!", body[1:]
        else:
            name, args = "?", body
        magics.append(Magic(i + 1, len(indent), name, args.strip()))
        lines[i] = f"{indent}pass"
        continued = line.endswith("\\")
    return "\n".join(lines) + ("\n" if lines else ""), magics


def inline_ignores(text: str) -> dict[int, frozenset[str] | None]:
    """`# migrator: ignore[ID, ...]` comments by line; None means every rule on that line."""
    out: dict[int, frozenset[str] | None] = {}
    if "migrator:" not in text:
        return out
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return out
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        for m in _IGNORE.finditer(tok.string):
            line = tok.start[0]
            if m.group("ids") is None:
                out[line] = None
            elif line not in out or out[line] is not None:
                ids = frozenset(x for x in re.split(r"[,\s]+", m.group("ids")) if x)
                out[line] = (out.get(line) or frozenset()) | ids
    return out


_IGNORE = re.compile(r"migrator:\s*ignore(?:\[(?P<ids>[^\]]*)\])?")


# --- names --------------------------------------------------------------------------------------

# Every spelling of the Keras API, mapped to `keras`. Longest first.
_KERAS_SPELLINGS = (
    ("tensorflow.compat.v1.keras", "keras"),
    ("tensorflow.compat.v2.keras", "keras"),
    ("tensorflow.python.keras", "keras"),
    ("tensorflow.keras", "keras"),
    ("keras.api._v2.keras", "keras"),
    ("keras.api._v1.keras", "keras"),
    ("keras._tf_keras.keras", "keras"),
    ("tf_keras", "keras"),
)


def canonical(qualname: str | None) -> str | None:
    """`tensorflow.keras.models.load_model` -> `keras.models.load_model`; others unchanged."""
    if not qualname:
        return qualname
    for prefix, to in _KERAS_SPELLINGS:
        if qualname == prefix or qualname.startswith(prefix + "."):
            return to + qualname[len(prefix) :]
    return qualname


def tf_api(qualname: str | None) -> tuple[str, bool]:
    """(`tensorflow.X` without compat, reached through `tf.compat.v1`?) for TF1-API rules."""
    q = qualname or ""
    for prefix in ("tensorflow.compat.v1.", "tensorflow.compat.v2."):
        if q.startswith(prefix):
            return "tensorflow." + q[len(prefix) :], prefix.endswith("v1.")
    return q, False


# Calls that return a Keras model (canonical names).
KERAS_MODEL_FACTORIES = frozenset(
    {
        "keras.Sequential",
        "keras.Model",
        "keras.models.Sequential",
        "keras.models.Model",
        "keras.models.load_model",
        "keras.saving.load_model",
        "keras.models.model_from_json",
        "keras.models.model_from_yaml",
        "keras.models.model_from_config",
        "keras.models.clone_model",
        "keras.experimental.load_from_saved_model",
        "keras.engine.training.Model",
        "keras.engine.sequential.Sequential",
        "keras.engine.functional.Functional",
        "keras.src.models.model.Model",
        "keras.src.models.sequential.Sequential",
        "tensorflow.contrib.saved_model.load_keras_model",
        "tensorflow_model_optimization.quantization.keras.quantize_model",
        "tensorflow_model_optimization.sparsity.keras.prune_low_magnitude",
        "tensorflow_model_optimization.sparsity.keras.strip_pruning",
    }
)
KERAS_MODEL_CLASSES = frozenset(
    q
    for q in KERAS_MODEL_FACTORIES
    if q.rsplit(".", 1)[-1] in ("Model", "Sequential", "Functional")
)
_KERAS_MODEL_PREFIXES = (
    "keras.applications.",
    "keras_cv.models.",
    "keras_nlp.models.",
    "keras_hub.models.",
    "transformers.TF",
)
# Import roots whose objects are never Keras models (so `x.save(...)` on them is not Keras').
_OTHER_ROOTS = frozenset(
    """numpy torch torchvision gensim sklearn joblib pickle dill cloudpickle PIL matplotlib pandas
    polars h5py xgboost lightgbm catboost spacy json os sys pathlib shutil tempfile io scipy
    statsmodels onnx onnxruntime jax flax optax orbax safetensors cv2 imageio zipfile tarfile csv
    sqlite3 yaml ruamel pydantic omegaconf hydra wandb mlflow tqdm transformers datasets tokenizers
    sentencepiece fasttext lightning pytorch_lightning paddle mxnet tensorflow_hub seaborn plotly
    bokeh docx openpyxl xlsxwriter requests boto3 google re collections logging configparser
    shelve dbm gzip bz2 lzma fitz reportlab pygame skimage""".split()
)
# Import roots that make a file a TensorFlow/Keras one: Keras' own packages and TensorFlow.
_KERAS_ROOTS = KERAS_PACKAGES | {"tensorflow"}
# Libraries whose model objects also have `.save(path)`: in a file that imports one of them, an
# object of unknown origin called `model` may be theirs, so the name alone decides nothing.
_OTHER_SAVERS = frozenset(
    """torch gensim statsmodels mxnet paddle sentence_transformers spacy fasttext flax
    lightning pytorch_lightning""".split()
)

_MODELISH = re.compile(
    r"(?i)model|^(net|network|autoencoder|encoder|decoder|generator|discriminator|classifier|"
    r"regressor|critic|actor)\d*$|(^|_)(net|autoencoder|encoder|decoder|generator|discriminator|"
    r"classifier|regressor)\d*$"
)
_NOT_MODELISH = re.compile(
    r"(?i)(path|dir|directory|folder|file|filename|name|url|uri|config|cfg|json|yaml|str|type|"
    r"id|checkpoint|ckpt|manager|registry|card|store|repo|info|meta|metadata|args|params|"
    r"kwargs|spec|version|list|dict|s)$|checkpoint|ckpt"
)
_DIR_HINT = re.compile(r"(?i)(^|_)(dir|directory|folder|export_base|base_dir)$|dir$")


def is_modelish(name: str) -> bool:
    """Does an identifier look like it holds a model (`model`, `new_model`, `self.net`, `gan`)?"""
    return bool(_MODELISH.search(name)) and not _NOT_MODELISH.search(name)


def looks_like_dir_name(name: str) -> bool:
    return bool(name) and bool(_DIR_HINT.search(name))


def last_name(expr: ast.AST) -> str:
    """The identifier an expression ends with: `model` for `self.model`, `m` for `m`."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant):
        return str(expr.slice.value)
    return ""


@dataclass(frozen=True)
class Binding:
    """One assignment of a name in a scope. `value` is None when the value is not an expression."""

    end: tuple[int, int]  # the binding holds after this position
    kind: str  # "assign", "with", "param", "loop", "other"
    value: ast.expr | None = None


_SCOPES = (
    ast.Module,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


_BINDING_NODES = (
    ast.Import,
    ast.ImportFrom,
    ast.Assign,
    ast.AnnAssign,
    ast.AugAssign,
    ast.NamedExpr,
    ast.For,
    ast.AsyncFor,
    ast.comprehension,
    ast.With,
    ast.AsyncWith,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
)


class _Indexer:
    """One pass over the tree: imports, scopes, bindings, classes (iterative: no depth limit)."""

    def __init__(self, ctx: CodeContext) -> None:
        self.ctx = ctx

    def run(self, tree: ast.AST) -> None:
        ctx = self.ctx
        scope_types = frozenset(_SCOPES)
        binders = frozenset(_BINDING_NODES)
        todo: list[tuple[ast.AST, ast.AST | None]] = [(tree, None)]
        while todo:
            node, scope = todo.pop()
            inner = scope
            if scope is not None:
                ctx.scope_of[id(node)] = scope
            kind = type(node)
            if kind in scope_types:
                if scope is not None:
                    ctx.parent_scope[id(node)] = scope
                ctx.bindings[id(node)] = {}
                inner = node
            if kind in binders:
                self._bind(node, inner, scope)
            todo.extend((child, inner) for child in ast.iter_child_nodes(node))
        for names in ctx.bindings.values():  # lookups rely on source order
            for found in names.values():
                found.sort(key=lambda b: b.end)

    def _add(self, scope: ast.AST | None, name: str, binding: Binding) -> None:
        if scope is not None:
            self.ctx.bindings[id(scope)].setdefault(name, []).append(binding)

    def _bind(self, node: ast.AST, scope: ast.AST | None, outer: ast.AST | None) -> None:
        """Record what `node` binds; `scope` holds its names, `outer` encloses a def/class."""
        ctx = self.ctx
        end = (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    ctx.imports[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    ctx.imports[root] = root
                ctx.import_roots.add(alias.name.split(".")[0])
                ctx.import_lines.append((node.lineno, alias.name))
        elif isinstance(node, ast.ImportFrom):
            if not node.module or node.level != 0:
                return
            ctx.import_roots.add(node.module.split(".")[0])
            ctx.import_lines.append((node.lineno, node.module))
            for alias in node.names:
                if alias.name == "*":
                    ctx.star_modules.append(node.module)
                else:
                    ctx.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                self._bind_target(scope, target, node.value, end)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._bind_target(scope, node.target, node.value, end)
        elif isinstance(node, ast.AugAssign):
            if isinstance(node.target, ast.Name):
                left = ast.copy_location(ast.Name(id=node.target.id, ctx=ast.Load()), node)
                if scope is not None:
                    ctx.scope_of[id(left)] = scope  # kept alive by the binding below
                value = ast.copy_location(ast.BinOp(left=left, op=node.op, right=node.value), node)
                self._add(scope, node.target.id, Binding(end, "assign", value))
        elif isinstance(node, ast.NamedExpr):
            self._add(scope, node.target.id, Binding(end, "assign", node.value))
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            for name in _names_in(node.target):
                self._add(
                    scope, name, Binding((node.target.lineno, node.target.col_offset), "loop")
                )
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name):
                    binding = Binding(end, "with", item.context_expr)
                    self._add(scope, item.optional_vars.id, binding)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            args = node.args
            start = (node.lineno, node.col_offset)
            for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                if a is not None:
                    self._add(scope, a.arg, Binding(start, "param"))
            if not isinstance(node, ast.Lambda):
                self._add(outer, node.name, Binding(start, "other"))
        elif isinstance(node, ast.ClassDef):
            ctx.classes[node.name] = node
            self._add(outer, node.name, Binding((node.lineno, node.col_offset), "other"))

    def _bind_target(
        self, scope: ast.AST | None, target: ast.expr, value: ast.expr, end: tuple[int, int]
    ) -> None:
        if isinstance(target, ast.Name):
            self._add(scope, target.id, Binding(end, "assign", value))
        elif isinstance(target, ast.Tuple | ast.List):
            if isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(target.elts):
                for t, v in zip(target.elts, value.elts, strict=True):
                    self._bind_target(scope, t, v, end)
            else:
                for name in _names_in(target):
                    self._add(scope, name, Binding(end, "other"))


def _names_in(target: ast.AST) -> Iterator[str]:
    for node in ast.walk(target):
        if isinstance(node, ast.Name):
            yield node.id


# --- paths --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathValue:
    """What static reading knows about a path: its known end (`tail`) and whether that is all.

    `kind` is "dir" for values that are folders by construction (`tempfile.mkdtemp()`),
    "checkpoint" for `tf.train.latest_checkpoint(...)`. `hint` is the identifier the value came
    through (`export_dir`), for rules that may guess from a name when the value is unknown.
    """

    tail: str = ""
    complete: bool = False
    kind: str = ""
    pathlib: bool = False
    hint: str = ""

    @property
    def known(self) -> bool:
        return self.complete or bool(self.tail) or bool(self.kind)

    def may_end_with(self, *suffixes: str) -> bool:
        """Could the full path end with one of `suffixes`, given what is known?"""
        if self.kind:
            return False
        for s in suffixes:
            if self.tail.endswith(s) or (not self.complete and s.endswith(self.tail)):
                return True
        return False

    def ends_with(self, *suffixes: str) -> bool:
        return not self.kind and self.tail.endswith(suffixes)

    @property
    def is_folder(self) -> bool:
        """Known to name a folder: a trailing slash, or made by `mkdtemp()` and the like."""
        return self.kind == "dir" or self.tail.endswith(("/", "\\"))

    def with_hint(self, hint: str) -> PathValue:
        return PathValue(self.tail, self.complete, self.kind, self.pathlib, hint or self.hint)


_UNKNOWN = PathValue()
_PATH_CLASSES = frozenset(
    f"pathlib.{c}"
    for c in ("Path", "PurePath", "PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath")
)
_SAME_PATH_FUNCS = frozenset(
    {
        "str",
        "os.fspath",
        "os.path.abspath",
        "os.path.realpath",
        "os.path.normpath",
        "os.path.expanduser",
        "os.path.expandvars",
    }
)
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[a-zA-Z%]")


def _join(left: PathValue, right: PathValue, pathlib: bool) -> PathValue:
    if right.kind:
        return right
    if not right.complete:
        return PathValue(right.tail, False, "", pathlib)
    if right.tail.startswith("/"):
        return PathValue(right.tail, True, "", pathlib)
    if left.kind == "dir":
        return PathValue("/" + right.tail, False, "", pathlib)
    head = left.tail.rstrip("/")
    if left.complete and not left.tail:
        return PathValue(right.tail, True, "", pathlib)
    tail = f"{head}/{right.tail}" if (head or not left.complete) else right.tail
    return PathValue(tail, left.complete, "", pathlib)


# --- the context --------------------------------------------------------------------------------


class CodeContext:
    """Static facts about one source file, for the code rules (see the module docstring)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.tree = source.tree
        self.imports: dict[str, str] = {}
        self.import_roots: set[str] = set()
        self.import_lines: list[tuple[int, str]] = []
        self.star_modules: list[str] = []
        self.scope_of: dict[int, ast.AST] = {}
        self.parent_scope: dict[int, ast.AST] = {}
        self.bindings: dict[int, dict[str, list[Binding]]] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self._qualnames: dict[int, str | None] = {}
        _Indexer(self).run(self.tree)
        self.uses_keras = bool(self.import_roots & _KERAS_ROOTS)
        # Keras 3.12+ also saves/loads Orbax checkpoint folders (no extension, like a TF prefix).
        self.uses_orbax = "orbax" in source.text.lower()
        self.keras_classes = self._keras_classes()

    # names

    def lookup(self, node: ast.Name) -> Binding | None:
        """The binding `node` refers to: last one before it in its scope, then outer scopes."""
        scope = self.scope_of.get(id(node))
        pos = (node.lineno, node.col_offset)
        first = True
        while scope is not None:
            if first or not isinstance(scope, ast.ClassDef):
                found = self._in_scope(scope, node.id, pos, before_only=first)
                if found is not None:
                    return found
            first = False
            scope = self.parent_scope.get(id(scope))
        return None

    def _in_scope(
        self, scope: ast.AST, name: str, pos: tuple[int, int], before_only: bool
    ) -> Binding | None:
        found = self.bindings.get(id(scope), {}).get(name)
        if not found:
            return None
        before = [b for b in found if b.end <= pos]
        if before:
            return before[-1]
        if before_only:
            # Only a parameter or a loop variable can be used "before" its binding position.
            return None
        return found[-1] if len(found) == 1 else None

    def value(self, expr: ast.expr, depth: int = 0) -> ast.expr:
        """Follow a simple variable to the expression assigned to it (or return `expr`)."""
        while isinstance(expr, ast.Name) and depth < 8:
            b = self.lookup(expr)
            if b is None or b.kind != "assign" or b.value is None:
                return expr
            expr, depth = b.value, depth + 1
        return expr

    def qualname(self, expr: ast.AST) -> str | None:
        """The canonical dotted name `expr` refers to through imports, or None."""
        key = id(expr)
        if key not in self._qualnames:  # every rule asks about the same call: answer once
            self._qualnames[key] = canonical(self._raw_qualname(expr))
        return self._qualnames[key]

    def _raw_qualname(self, expr: ast.AST, depth: int = 0) -> str | None:
        if depth > 8:
            return None
        if isinstance(expr, ast.Name):
            b = self.lookup(expr)
            if b is not None:
                if b.kind == "assign" and isinstance(b.value, ast.Name | ast.Attribute):
                    return self._raw_qualname(b.value, depth + 1)
                return None
            if expr.id in self.imports:
                return self.imports[expr.id]
            for module in self.star_modules:
                if module.split(".")[0] in _KERAS_ROOTS:
                    return f"{module}.{expr.id}"
            return None
        if isinstance(expr, ast.Attribute):
            base = self._raw_qualname(expr.value, depth + 1)
            return f"{base}.{expr.attr}" if base else None
        return None

    def builtin(self, expr: ast.AST) -> str | None:
        """The name of a builtin (`str`, `open`) that `expr` calls, when not shadowed."""
        if isinstance(expr, ast.Name) and expr.id not in self.imports and self.lookup(expr) is None:
            return expr.id
        return None

    def is_module_ref(self, expr: ast.AST) -> bool:
        """Does `expr` name an imported module or function (`np`, `tf.saved_model`)?"""
        return self._raw_qualname(expr) is not None

    # objects

    def _keras_classes(self) -> set[str]:
        found: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, cls in self.classes.items():
                if name in found:
                    continue
                for base in cls.bases:
                    q = self.qualname(base)
                    if q in KERAS_MODEL_CLASSES or (
                        isinstance(base, ast.Name) and base.id in found
                    ):
                        found.add(name)
                        changed = True
                        break
        return found

    def _class_kind(self, cls: ast.ClassDef, seen: frozenset[str] = frozenset()) -> str:
        """A class of this file that is not a Keras model: "other" if all its bases are known."""
        for base in cls.bases:
            if self.builtin(base) in ("object", "dict", "list", "Exception"):
                continue
            q = self.qualname(base)
            if q is None:
                name = base.id if isinstance(base, ast.Name) else ""
                if name in self.classes and name not in seen and name != cls.name:
                    if self._class_kind(self.classes[name], seen | {cls.name}) == "other":
                        continue
                return "unknown"
            if q.split(".")[0] not in _OTHER_ROOTS:
                return "unknown"
        return "other"

    def enclosing_class(self, node: ast.AST) -> ast.ClassDef | None:
        scope = self.scope_of.get(id(node))
        while scope is not None and not isinstance(scope, ast.ClassDef):
            scope = self.parent_scope.get(id(scope))
        return scope

    def receiver_kind(self, expr: ast.expr, depth: int = 0) -> str:
        """Classify an object: "keras" (a Keras model), "other" (surely not one) or "unknown"."""
        if depth > 8:
            return "unknown"
        if isinstance(expr, ast.Name):
            if expr.id == "self":
                cls = self.enclosing_class(expr)
                if cls is None:
                    return "unknown"
                if cls.name in self.keras_classes:
                    return "keras"
                return self._class_kind(cls)
            b = self.lookup(expr)
            if b is None:
                return "other" if expr.id in self.imports else "unknown"
            if b.kind in ("assign", "with") and b.value is not None:
                return self._value_kind(b.value, depth + 1)
            return "unknown"
        if isinstance(expr, ast.Attribute):
            return "other" if self.is_module_ref(expr) else "unknown"
        return self._value_kind(expr, depth + 1)

    def _value_kind(self, value: ast.expr, depth: int) -> str:
        if isinstance(value, ast.Name | ast.Attribute):
            return self.receiver_kind(value, depth)
        if isinstance(value, ast.Constant):
            return "unknown" if value.value is None else "other"
        if isinstance(
            value,
            ast.List
            | ast.Tuple
            | ast.Dict
            | ast.Set
            | ast.JoinedStr
            | ast.BinOp
            | ast.ListComp
            | ast.DictComp
            | ast.SetComp
            | ast.Compare,
        ):
            return "other"
        if not isinstance(value, ast.Call):
            return "unknown"
        q = self.qualname(value.func)
        if q:
            if (
                q in KERAS_MODEL_FACTORIES
                or q.startswith(_KERAS_MODEL_PREFIXES)
                or (q.endswith(".from_config") and q[: -len(".from_config")] in KERAS_MODEL_CLASSES)
            ):
                return "keras"
            root = q.split(".")[0]
            if root in _OTHER_ROOTS or root in _KERAS_ROOTS:
                return "other"
            return "unknown"  # the user's own package: it may build Keras models
        if isinstance(value.func, ast.Name):
            if value.func.id in self.keras_classes:
                return "keras"
            if value.func.id in self.classes:
                return self._class_kind(self.classes[value.func.id])
            if self.builtin(value.func) in ("open", "str", "dict", "list", "set", "tuple"):
                return "other"
        return "unknown"

    def is_keras_model(self, expr: ast.expr) -> bool:
        """A Keras model for sure, or (in a file that imports TF/Keras) a name that reads as one."""
        kind = self.receiver_kind(expr)
        if kind == "keras":
            return True
        if kind == "other" or not self.uses_keras or self.import_roots & _OTHER_SAVERS:
            return False
        return is_modelish(last_name(expr))

    # paths

    def path(self, expr: ast.expr | None, depth: int = 0) -> PathValue:
        """What is known of the path `expr` evaluates to (see `PathValue`)."""
        if expr is None or depth > 12:
            return _UNKNOWN
        if isinstance(expr, ast.Constant):
            if isinstance(expr.value, str):
                return PathValue(expr.value, True)
            if isinstance(expr.value, bytes):
                return PathValue(expr.value.decode("latin-1"), True)
            return _UNKNOWN
        if isinstance(expr, ast.JoinedStr):
            return self._fstring(expr, depth)
        if isinstance(expr, ast.BinOp):
            return self._binop(expr, depth)
        if isinstance(expr, ast.Call):
            return self._call_path(expr, depth)
        if isinstance(expr, ast.Name):
            b = self.lookup(expr)
            if b is not None and b.kind == "assign" and b.value is not None:
                return self.path(b.value, depth + 1).with_hint(expr.id)
            if b is not None and b.kind == "with" and b.value is not None:
                inner = (
                    self._call_path(b.value, depth + 1)
                    if isinstance(b.value, ast.Call)
                    else _UNKNOWN
                )
                return inner.with_hint(expr.id)
            return PathValue(hint=expr.id)
        if isinstance(expr, ast.Attribute):
            return PathValue(hint=expr.attr)
        if isinstance(expr, ast.Subscript):
            return PathValue(hint=last_name(expr))
        return _UNKNOWN

    def _fstring(self, expr: ast.JoinedStr, depth: int) -> PathValue:
        tail, complete = "", True
        for part in expr.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                tail += part.value
                continue
            inner = _UNKNOWN
            if isinstance(part, ast.FormattedValue) and part.format_spec is None:
                inner = self.path(part.value, depth + 1)
            if inner.complete and not inner.kind:
                tail += inner.tail
            else:
                tail, complete = inner.tail if not inner.kind else "", False
        return PathValue(tail, complete)

    def _binop(self, expr: ast.BinOp, depth: int) -> PathValue:
        if isinstance(expr.op, ast.Add):
            left, right = self.path(expr.left, depth + 1), self.path(expr.right, depth + 1)
            if right.kind:
                return _UNKNOWN
            if right.complete:
                if left.kind:
                    return PathValue(right.tail, False)
                return PathValue(left.tail + right.tail, left.complete, "", left.pathlib)
            return PathValue(right.tail, False)
        if isinstance(expr.op, ast.Div):
            left, right = self.path(expr.left, depth + 1), self.path(expr.right, depth + 1)
            return _join(left, right, pathlib=True)
        if (
            isinstance(expr.op, ast.Mod)
            and isinstance(expr.left, ast.Constant)
            and isinstance(expr.left.value, str)
        ):
            return _template(_PERCENT_SPEC.split(expr.left.value.replace("%%", "\0")), "\0")
        return _UNKNOWN

    def _call_path(self, call: ast.Call, depth: int) -> PathValue:
        func = call.func
        args = call.args
        if isinstance(func, ast.Attribute):
            if func.attr == "format":  # "{}/model.h5".format(d), or a variable holding the template
                template = self.path(func.value, depth + 1)
                return _format_template(template.tail) if template.complete else _UNKNOWN
            q = self.qualname(func)
            if q is None and func.attr in (
                "joinpath",
                "with_suffix",
                "with_name",
                "resolve",
                "absolute",
                "expanduser",
                "as_posix",
                "with_stem",
            ):
                base = self.path(func.value, depth + 1)
                if func.attr == "joinpath":
                    out = base
                    for a in args:
                        out = _join(out, self.path(a, depth + 1), pathlib=True)
                    return out
                if func.attr in ("with_suffix", "with_name", "with_stem") and args:
                    new = self.path(args[0], depth + 1)
                    if not new.complete:
                        return PathValue(pathlib=True)
                    if base.complete and base.tail:
                        p = PurePosixPath(base.tail)
                        try:
                            changed = getattr(p, func.attr)(new.tail)
                        except ValueError:
                            return PathValue(pathlib=True)
                        return PathValue(str(changed), True, "", True)
                    if func.attr == "with_suffix":
                        return PathValue(new.tail, False, "", True)
                    if func.attr == "with_name":
                        return PathValue("/" + new.tail, False, "", True)
                    return PathValue(pathlib=True)
                complete = base.complete and func.attr in ("as_posix",)
                return PathValue(base.tail, complete, base.kind, func.attr != "as_posix")
        q = self.qualname(func) or self.builtin(func)
        if q is None:
            return _UNKNOWN
        stripped, _ = tf_api(q)
        if (
            q in ("os.path.join", "posixpath.join", "ntpath.join", "tensorflow.io.gfile.join")
            and args
        ):
            out = self.path(args[0], depth + 1)
            for a in args[1:]:
                out = _join(out, self.path(a, depth + 1), pathlib=False)
            return out
        if q in _PATH_CLASSES:
            if not args:
                return PathValue(".", True, "", True)
            out = self.path(args[0], depth + 1)
            out = PathValue(out.tail, out.complete, out.kind, True, out.hint)
            for a in args[1:]:
                out = _join(out, self.path(a, depth + 1), pathlib=True)
            return out
        if q in _SAME_PATH_FUNCS and args:
            inner = self.path(args[0], depth + 1)
            complete = inner.complete and q in ("str", "os.fspath", "os.path.normpath")
            tail = (
                inner.tail.rstrip("/")
                if q == "os.path.normpath" and inner.tail != "/"
                else inner.tail
            )
            return PathValue(tail, complete, inner.kind, False, inner.hint)
        if q in ("tempfile.mkdtemp", "tempfile.gettempdir", "tempfile.TemporaryDirectory"):
            return PathValue(kind="dir")
        if stripped == "tensorflow.train.latest_checkpoint":
            return PathValue(kind="checkpoint")
        return _UNKNOWN

    # text

    def code(self, node: ast.AST, limit: int = 60) -> str:
        """The source text of `node` on one line, shortened to about `limit` characters."""
        text = " ".join((ast.get_source_segment(self.source.text, node) or "").split())
        if len(text) <= limit:
            return text
        if isinstance(node, ast.Call):
            head = self.code(node.func, limit)
            parts: list[str] = []
            used = len(head) + 2
            for index, arg in enumerate([*node.args, *node.keywords]):
                piece = " ".join((ast.get_source_segment(self.source.text, arg) or "").split())
                if index == 0 and len(piece) > 50:
                    piece = self.code(arg, 40)  # the first argument matters: keep its start
                elif index > 0 and used + len(piece) > limit:
                    parts.append("…")
                    break
                parts.append(piece)
                used += len(piece) + 2
            return f"{head}({', '.join(parts)})"
        return text[: limit - 1] + "…"

    def imported_before(self, line: int, root: str) -> bool:
        return any(n < line and module.split(".")[0] == root for n, module in self.import_lines)


def _template(pieces: Sequence[str], escape: str = "") -> PathValue:
    """A string built from literal `pieces` with an unknown value between each two."""
    last = pieces[-1].replace(escape, "%") if escape else pieces[-1]
    return PathValue(last, len(pieces) == 1)


def _format_template(template: str) -> PathValue:
    tail, complete = "", True
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return _UNKNOWN
    for literal, field_name, _spec, _conv in parsed:
        tail += literal
        if field_name is not None:
            tail, complete = "", False
    return PathValue(tail, complete)


# --- running the rules --------------------------------------------------------------------------


def check_file(rel: str, path: Path, rules: Sequence[Rule]) -> SourceFile:
    """Run `rules` (all code rules) over one file; unreadable files become an error line."""
    try:
        source = load_source(path)
    except SourceError as exc:
        return SourceFile(rel, path, errors=(str(exc),))
    if source is None:
        return SourceFile(rel, path)
    return SourceFile(rel, path, *run_rules(source, rules))


def run_rules(source: Source, rules: Sequence[Rule]) -> tuple[tuple[Finding, ...], tuple[str, ...]]:
    from migrator.rules import _hits

    by_type: dict[type, list[Rule]] = {}
    for rule in rules:
        for node_type in rule.nodes:
            by_type.setdefault(node_type, []).append(rule)
    ctx = CodeContext(source)
    ignores = inline_ignores(source.text)
    errors = list(source.errors)
    found: dict[tuple, Finding] = {}
    for node in ast.walk(source.tree):
        for rule in by_type.get(type(node), ()):
            try:
                hits = _hits(rule.check(node, ctx))
            except Exception as exc:  # a rule bug must not stop the audit
                cell, line = source.where(getattr(node, "lineno", 0))
                where = f"cell {cell}, line {line}" if cell else f"line {line}"
                errors.append(
                    f"internal error in rule {rule.id} at {where} ({type(exc).__name__}: {exc}); "
                    "please report this file to the migrator maintainers"
                )
                continue
            for hit in hits:
                finding = _finding(rule, hit, node, source, ignores)
                if finding is not None:
                    key = (finding.cell or 0, finding.line, finding.col, finding.rule)
                    found.setdefault(key, finding)
    ordered = tuple(
        found[k] for k in sorted(found, key=lambda k: (k[0], k[1] or 0, k[2] or 0, k[3]))
    )
    return ordered, tuple(errors)


def _finding(
    rule: Rule,
    hit: Hit,
    node: ast.AST,
    source: Source,
    ignores: dict[int, frozenset[str] | None],
) -> Finding | None:
    target = hit.node if hit.node is not None else node
    line = hit.line if hit.line is not None else getattr(target, "lineno", 1)
    col = hit.col if hit.col is not None else getattr(target, "col_offset", 0)
    last = getattr(target, "end_lineno", None) or line
    for n in range(line, max(line, last) + 1):
        if n in ignores:
            wanted = ignores[n]
            if wanted is None or rule.id in wanted or rule.name in wanted:
                return None
    cell, cell_line = source.where(line)
    return Finding(
        rule=rule.id,
        severity=hit.severity or rule.severity,
        message=hit.message,
        fix=hit.remedy,
        line=cell_line,
        col=col,
        cell=cell,
    )
