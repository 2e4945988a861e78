"""`migrator inspect`: everything known about one artifact, for a person to read.

For a SavedModel the signatures, ops and concrete functions are printed exactly as
`saved_model_cli show --all` prints them (TF 2.21 checked line for line in `tests/test_inspect.py`),
so someone used to that tool can compare the two without running TensorFlow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrator.model import Artifact
from migrator.report.common import range_lines, stop_text


def render(artifact: Artifact) -> str:
    title = artifact.location.as_posix() if artifact.path == "." else artifact.path
    out = [title, f"  format: {artifact.format}"]
    if artifact.producer:
        out.append("  producer:")
        out.extend(f"    {k}: {v}" for k, v in sorted(artifact.producer.items()))
    if artifact.reading.evidence:
        out.append("  evidence:")
        out.extend(f"    - {e}" for e in artifact.reading.evidence)
    for error in artifact.errors:
        out.append(f"  error: {error}")
    details = dict(artifact.details)
    meta_graphs = details.pop("meta_graphs", None)
    if details:
        out.append("  details:")
        out.extend(_tree(details, indent=4))
    if meta_graphs:
        out.extend(
            saved_model_cli_text(meta_graphs, artifact.reading.raw.get("concrete_functions"))
        )
        out.append("")
    if artifact.findings:
        out.append("  findings:")
        for f in artifact.findings:
            where = f" line {f.line}" if f.line else ""
            out.append(f"    [{f.severity}] {f.rule}{where}: {f.message}")
    if artifact.loadability:
        out.append("  loadability:")
        for key, cell in sorted(artifact.loadability.items()):
            out.append(f"    {key}: {cell.get('verdict')}  {cell.get('reason', '')}".rstrip())
    ranges = range_lines(artifact)
    if ranges:
        out.append("  loads in:")
        out.extend(f"    {loader}: {where}" for loader, where in ranges)
        stop = stop_text(artifact, reason=True)
        if stop:
            out.append(f"    {stop}")
    return "\n".join(out) + "\n"


def _tree(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            if isinstance(v, Mapping) and v:
                lines.append(f"{pad}{k}:")
                lines.extend(_tree(v, indent + 2))
            elif (
                isinstance(v, (list, tuple))
                and v
                and any(isinstance(x, (Mapping, list)) for x in v)
            ):
                lines.append(f"{pad}{k}:")
                for item in v:
                    sub = _tree(item, indent + 4)
                    if sub:
                        sub[0] = f"{pad}  - " + sub[0].lstrip()
                    lines.extend(sub)
            else:
                lines.append(f"{pad}{k}: {_scalar(v)}")
    elif isinstance(value, (list, tuple)):
        lines.append(f"{pad}{_scalar(value)}")
    else:
        lines.append(f"{pad}{_scalar(value)}")
    return lines


def _scalar(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        text = ", ".join(str(x) for x in v)
        return f"[{text}]" if len(text) < 200 else f"[{text[:200]}... ({len(v)} items)]"
    return str(v)


def _shape(shape: Any) -> str:
    """As saved_model_cli prints it: `(-1, 784)`, `(0)` (no tuple comma), `()`, `unknown_rank`."""
    if shape is None:
        return "unknown_rank"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def saved_model_cli_text(
    meta_graphs: list[Mapping[str, Any]], functions: list[Mapping[str, Any]] | None = None
) -> list[str]:
    """What `saved_model_cli show --all` prints, from our own reading, line for line.

    Signatures as `_show_inputs_outputs` prints them (a COO sparse input has an empty `name:`,
    as its TensorInfo.name is empty), the ops line as `_show_ops_in_metagraph_mgd` (a Python set
    there, sorted here), and the "Concrete Functions" section of `_show_defined_functions`.
    """
    lines: list[str] = []
    # saved_model_cli lists tag-sets sorted, whatever their order in the file.
    for mg in sorted(meta_graphs, key=lambda m: list(m.get("tags", []))):
        tags = list(mg.get("tags", []))
        lines.append("")
        lines.append(
            f"MetaGraphDef with tag-set: '{', '.join(tags)}' contains the following SignatureDefs:"
        )
        for name, sig in sorted(mg.get("signatures", {}).items()):
            lines.append("")
            lines.append(f"signature_def['{name}']:")
            for kind, label in (("inputs", "input(s)"), ("outputs", "output(s)")):
                lines.append(f"  The given SavedModel SignatureDef contains the following {label}:")
                for key, info in sorted(sig.get(kind, {}).items()):
                    lines.append(f"    {kind}['{key}'] tensor_info:")
                    lines.append(f"        dtype: {info.get('dtype')}")
                    lines.append(f"        shape: {_shape(info.get('shape'))}")
                    name = "" if info.get("sparse") else info.get("name") or ""
                    lines.append(f"        name: {name}")
            lines.append(f"  Method name is: {sig.get('method_name', '')}")
        ops = ", ".join(repr(op) for op in sorted(mg.get("op_types") or []))
        lines.append(
            f"The MetaGraph with tag set {tags!r} contains the following ops: "
            + ("{" + ops + "}" if ops else "set()")
        )
    if functions is not None:
        lines.append("")
        lines.append("Concrete Functions:")
        for index, function in enumerate(functions):
            if index:
                lines.append("")
            lines.append(f"  Function Name: '{function.get('name')}'")
            for number, option in enumerate(function.get("options") or [], 1):
                lines.extend(_option_lines(number, option))
    return lines


def _option_lines(number: int, option: Mapping[str, Any]) -> list[str]:
    args, kwargs = option.get("args"), option.get("kwargs")
    items = list(args["v"]) if isinstance(args, Mapping) and args.get("v") else []
    if not items and not kwargs:
        items = [{"t": "keyword", "v": k} for k in option.get("arg_keywords") or []]
    out = []
    if items:
        out += [f"    Option #{number}", "      Callable with:"]
        out += _argument_lines(items, "Argument")
    named = kwargs.get("v") if isinstance(kwargs, Mapping) else None
    if named:
        out += _argument_lines([{"t": "keyword", "v": k} for k in named], "Named Argument")
    return out


def _argument_lines(items: list[Mapping[str, Any]], label: str) -> list[str]:
    """saved_model_cli's `_print_args` at indent 4, including its backspace-closed lists."""
    pad = " " * 8
    out = []
    for index, item in enumerate(items, 1):
        out.append(f"{pad}{label} #{index}")
        kind = item.get("t")
        if kind == "keyword":
            out.append(f"{pad}  {item.get('v')}")
        elif kind == "tensor_spec" and not item.get("bounded"):
            out.append(f"{pad}  {item.get('name')}: {_repr(item)}")
        elif kind in ("list", "tuple"):
            values = "".join(f"{_quoted(v)}, " for v in item.get("v") or [])
            out += [f"{pad}  DType: {kind}", f"{pad}  Value: [{values}\b\b]"]
        elif kind == "dict":
            values = "".join(f"'{k}': {_quoted(v)}, " for k, v in (item.get("v") or {}).items())
            out += [f"{pad}  DType: dict", f"{pad}  Value: {{{values}\b\b}}"]
        else:
            out += [f"{pad}  DType: {_type_name(item)}", f"{pad}  Value: {_str(item)}"]
    return out


_PY_TYPES = {"none": "NoneType", "float": "float", "int": "int", "str": "str", "bool": "bool",
             "shape": "TensorShape", "dtype": "DType", "namedtuple": "tuple"}  # fmt: skip


def _type_name(item: Mapping[str, Any]) -> str:
    kind = str(item.get("t"))
    if kind == "type_spec":
        return str(item.get("class"))
    if kind == "tensor_spec":
        return "BoundedTensorSpec" if item.get("bounded") else "TensorSpec"
    if kind == "namedtuple":
        return str(item.get("name"))
    return _PY_TYPES.get(kind, kind)


def _quoted(item: Mapping[str, Any]) -> str:
    """`_maybe_add_quotes`: strings in quotes, the rest as `str()`."""
    return f"'{item.get('v')}'" if item.get("t") == "str" else _str(item)


def _str(item: Mapping[str, Any]) -> str:
    """`str(value)` of a decoded StructuredValue, as Python and TensorFlow print it."""
    kind = item.get("t")
    if kind == "none":
        return "None"
    if kind in ("int", "float", "str", "bool"):
        return str(item.get("v"))
    if kind == "shape":
        dims = item.get("v")
        if dims is None:
            return "<unknown>"
        text = ", ".join("None" if d is None else str(d) for d in dims)
        return f"({text},)" if len(dims) == 1 else f"({text})"
    return _repr(item)


def _repr(item: Mapping[str, Any]) -> str:
    """`repr(value)`: TensorSpec(shape=(None, 3), dtype=tf.float32, name='a'), TypeSpecs, ..."""
    kind = item.get("t")
    if kind == "str":
        return repr(item.get("v"))
    if kind == "shape":
        dims = item.get("v")
        inner = "None" if dims is None else "[" + ", ".join(str(d) for d in dims) + "]"
        return f"TensorShape({inner})"
    if kind == "dtype":
        return f"tf.{item.get('v')}"
    if kind == "tensor_spec":
        name = item.get("name")
        shape = _str({"t": "shape", "v": item.get("shape")})
        head = "BoundedTensorSpec" if item.get("bounded") else "TensorSpec"
        return f"{head}(shape={shape}, dtype=tf.{item.get('dtype')}, name={name!r})"
    if kind == "type_spec":
        state = item.get("state")
        inner = _repr(state) if isinstance(state, Mapping) else "()"
        return f"{item.get('class')}{inner if inner.startswith('(') else '(' + inner + ')'}"
    if kind in ("list", "tuple", "namedtuple"):
        values = item.get("v") or []
        parts = [_repr(v[1] if kind == "namedtuple" else v) for v in values]
        if kind == "list":
            return "[" + ", ".join(parts) + "]"
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    if kind == "dict":
        values = item.get("v") or {}
        return "{" + ", ".join(f"{k!r}: {_repr(v)}" for k, v in values.items()) + "}"
    return _str(item)
