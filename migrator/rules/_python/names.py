"""What names mean to the code rules: every spelling of the Keras API read as `keras.*`, the calls
and classes that make Keras models, names that read as models or folders, and the index of where
each name is bound in which scope.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from migrator.knowledge.keras3 import KERAS_PACKAGES
from migrator.knowledge.tf_api import keras_public, tf_public, tool_module

if TYPE_CHECKING:
    from migrator.rules._python.context import CodeContext


# --- names --------------------------------------------------------------------------------------


def canonical(qualname: str | None) -> str | None:
    """`tensorflow.keras.models.load_model` -> `keras.models.load_model`; others unchanged.

    Every spelling of the Keras package and the Keras-internal saving modules read as the public
    `keras.*` name, and TF tool modules imported by their bare name (`import freeze_graph`) as
    their TensorFlow path (`knowledge.tf_api`).
    """
    if not qualname:
        return qualname
    return keras_public(tool_module(qualname))


def tf_api(qualname: str | None) -> tuple[str, str]:
    """(public `tensorflow.X` name, how it was reached) for the TF1-API rules.

    How: "compat.v1" through `tf.compat.v1`, "internal" through an implementation module
    (`tensorflow.python.training.saver.Saver`), "" as written. Both of the first still run in
    TF 2.21 where the plain TF1 alias is gone.
    """
    q = qualname or ""
    how = ""
    for prefix in ("tensorflow.compat.v1.", "tensorflow.compat.v2."):
        if q.startswith(prefix):
            q, how = "tensorflow." + q[len(prefix) :], "compat.v1" if prefix.endswith("v1.") else ""
            break
    public = tf_public(q)
    if public is not None:
        return public, how or "internal"
    return q, how


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
    value: ast.expr | None = None  # for a parameter: its default
    owner: ast.AST | None = None  # for a parameter: its function


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
            elif kind is ast.Call:
                func = node.func  # type: ignore[attr-defined]
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if called:
                    ctx.calls.setdefault(called, []).append(node)  # type: ignore[arg-type]
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
            positional = (*args.posonlyargs, *args.args)
            defaults: dict[str, ast.expr] = {
                a.arg: d for a, d in zip(positional[::-1], args.defaults[::-1], strict=False)
            }
            defaults.update(
                (a.arg, d)
                for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                if d is not None
            )
            for a in (*positional, *args.kwonlyargs, args.vararg, args.kwarg):
                if a is not None:
                    self._add(scope, a.arg, Binding(start, "param", defaults.get(a.arg), node))
            if not isinstance(node, ast.Lambda):
                self._add(outer, node.name, Binding(start, "other"))
                ctx.functions.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.ClassDef):
            ctx.classes[node.name] = node
            self._add(outer, node.name, Binding((node.lineno, node.col_offset), "other"))

    def _bind_target(
        self, scope: ast.AST | None, target: ast.expr, value: ast.expr, end: tuple[int, int]
    ) -> None:
        if isinstance(target, ast.Attribute):  # `self.path = ...`, `agent.net = ...`
            self.ctx.attr_assigns.setdefault(target.attr, []).append((target, value))
        elif isinstance(target, ast.Name):
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
