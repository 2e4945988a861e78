"""Security rules about code a Keras config carries or names (MIG301-MIG303): Lambda layers with
marshalled bytecode, `module` entries outside Keras, and models whose behaviour lives in custom
code that loading imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from migrator.facts import (
    custom_classes,
    model_config,
    short_list,
)
from migrator.formats import keras_config
from migrator.knowledge.keras3 import KERAS_PACKAGES
from migrator.model import Artifact
from migrator.payload.bytecode import BytecodeError, decode_keras_code, read_code_names
from migrator.rules import Hit, artifact_rule
from migrator.rules.security import LOAD
from migrator.rules.security._dangerous import (
    DANGEROUS_BUILTINS,
    DANGEROUS_MODULES,
    bytecode_references,
)

# --- Lambda layers and other code in configs ---------------------------------------------------


@artifact_rule(
    "MIG301",
    "lambda-layer",
    title="Lambda layer or marshalled Python code in a model config",
    severity="critical",
    deprecated_in="Keras 2.13 / Keras 3 (`safe_mode=True` refuses `.keras` Lambda bytecode)",
    breaks_in=f"{LOAD}: tf.keras/Keras 2 unmarshal and run the bytecode while rebuilding the "
    "model; Keras 3 runs it with `safe_mode=False` and in legacy HDF5 files",
    formats=("keras-h5", "keras-json", "keras-yaml", "keras-v3", "saved-model", "tfjs-layers"),
)
def lambda_layer(artifact: Artifact) -> Iterable[Hit]:
    """A Lambda layer, at any nesting depth, or any other config field holding Python bytecode.

    Keras serializes a Lambda's function as marshalled bytecode (Keras 1/2: `function_type:
    "lambda"`, in HDF5, JSON/YAML, `keras_metadata.pb`; Keras 3: a `__lambda__` entry in
    `config.json`) or as the name of a function to look up (`function_type: "function"`). Loading
    unmarshals the bytecode and calls it while rebuilding the model, so a crafted file runs
    arbitrary code (CVE-2024-3660 class). A Lambda that names a function runs whatever the
    loading process defines under that name. Keras 1 `Merge` layers can carry marshalled `mode`
    functions the same way.

    Fix: never load the file with Keras unless you trust its source; rebuild the Lambda as a
    registered custom layer in reviewed code and load only the weights into it
    (`migrator convert` refuses Lambda layers unless `--unsafe` is given).
    """
    found = model_config(artifact)
    entries = _lambda_entries(artifact)
    if found is None and not entries:
        return
    where = found.where if found else "config.json"
    marshalled = [i for i in entries if i["marshalled"]]
    named = [i for i in entries if not i["marshalled"]]
    if marshalled:
        paths = [_named_payload(i) for i in marshalled]
        yield Hit(
            f"{len(marshalled)} layer(s) with marshalled Python bytecode in {where}: "
            f"{short_list(paths, 3)}: loading unmarshals and runs it",
            "do not load this file with Keras unless you trust its source; rebuild the Lambda "
            "as reviewed code and load only the weights",
        )
    if named:
        paths = [f"{i['path']} -> {i['function']}" for i in named]
        yield Hit(
            f"{len(named)} Lambda layer(s) in {where} calling functions by name: "
            f"{short_list(paths)}: loading runs whatever the loading process defines under "
            "that name",
            "load only with the function's reviewed code imported, or rebuild the layer as a "
            "registered custom layer",
            severity="high",
        )


def _lambda_entries(artifact: Artifact) -> list[dict[str, Any]]:
    """Every Lambda/marshalled entry: path, fields, marshalled, function (name or '?'), codes."""
    out: dict[str, dict[str, Any]] = {}
    found = model_config(artifact)
    if found is not None:
        layers = dict(keras_config.iter_layers(found.config))
        for item in keras_config.lambda_layers(found.config):
            function = _function_name(found.config, item["path"])
            out[item["path"]] = {
                "path": item["path"],
                "fields": item["marshalled_fields"] or ["function"],
                "marshalled": bool(item["marshalled"]),
                "function": function,
                "codes": _layer_codes(layers.get(item["path"], {})),
            }
    if artifact.format == "keras-v3":  # `__lambda__` anywhere, compile_config included
        roots = {"": artifact.reading.raw.get("model_config")}
        roots["compile_config"] = artifact.reading.raw.get("compile_config")
        entries = {
            path: entry
            for root, value in roots.items()
            if value is not None
            for path, entry in keras_config.serialized_objects(value, root)
        }
        known = {code for item in out.values() for _, code in item["codes"]}
        for path in artifact.details.get("lambda_entries") or []:
            inner = entries.get(path, {}).get("config")
            code = inner.get("code") if isinstance(inner, Mapping) else None
            if code in known or any(path.startswith(p) or p in path for p in out):
                continue
            if isinstance(code, str):
                known.add(code)
            out[path] = {
                "path": path,
                "fields": ["__lambda__"],
                "marshalled": True,
                "codes": [("__lambda__", code)] if isinstance(code, str) else [],
            }
    return list(out.values())


def _layer_codes(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, code string) of every marshalled function in one layer's config."""
    config = entry.get("config")
    if not isinstance(config, Mapping):
        return []
    out = []
    for key, value in config.items():
        if isinstance(value, Mapping) and value.get("class_name") == "__lambda__":
            inner = value.get("config")
            code = inner.get("code") if isinstance(inner, Mapping) else None
        elif config.get(f"{key}_type") == "lambda":
            code = value[0] if isinstance(value, list | tuple) and value else value
        else:
            continue
        if isinstance(code, str):
            out.append((str(key), code))
    return out


def _named_payload(item: Mapping[str, Any]) -> str:
    """`lambda_1` (function): bytecode references `os.system`, or why the names are unknown."""
    label = f"`{item['path']}`"
    codes = item.get("codes") or []
    if not codes:
        return f"{label} ({', '.join(item['fields'])}): bytecode present, its code string not found"
    parts = []
    for field, code in codes:
        try:
            names = read_code_names(decode_keras_code(code))
        except BytecodeError as exc:
            parts.append(f"{field}: bytecode present, names could not be read ({exc})")
            continue
        references = bytecode_references(names.names, names.strings)
        if references:
            shown = ", ".join(f"`{r}`" for r in references[:6])
            parts.append(f"{field}: bytecode references {shown}")
        else:
            seen = ", ".join(f"`{n}`" for n in names.names[:6]) or "no global names"
            parts.append(f"{field}: bytecode (Python {names.python}) references {seen}")
        if names.strings and references:
            parts[-1] += f" with {short_list([repr(t[:60]) for t in names.strings], 2)}"
    return f"{label} {'; '.join(parts)}"


def _function_name(config: Mapping[str, Any], path: str) -> str:
    for layer_path, entry in keras_config.iter_layers(config):
        if layer_path != path:
            continue
        inner = entry.get("config")
        function = inner.get("function") if isinstance(inner, Mapping) else None
        if isinstance(function, str):
            return function
        if isinstance(function, Mapping):  # Keras 3: {"class_name": "function", "config": name}
            value = function.get("config")
            return value if isinstance(value, str) else str(function.get("class_name"))
    return "?"


@artifact_rule(
    "MIG302",
    "config-module-outside-keras",
    title="Config entry naming a Python module outside Keras",
    severity="high",
    breaks_in="Keras <= 3.8 and tf.keras 2.13-2.15 import any `module` a `.keras` config names "
    "and call the class found there (CVE-2025-1550); Keras 3.9+ refuse modules outside Keras",
    formats=("keras-v3", "keras-h5", "keras-json", "keras-yaml", "saved-model", "tfjs-layers"),
)
def config_module_outside_keras(artifact: Artifact) -> Hit | None:
    """A serialized object whose `module` is not a Keras package, or a `builtins` function entry
    that names a Python builtin such as `eval` or `open`.

    Keras 3 configs record `module` + `class_name` for every object. Up to Keras 3.8 (and
    tf.keras 2.13-2.15), deserialization ran `importlib.import_module(module)` for any module and
    called `class_name` from it with the config as arguments, so a crafted `.keras` file can
    import an installed module and invoke its callables; the `builtins` lookup for function
    entries likewise returned `eval`/`exec`. Keras 3.9+ only import Keras' own packages, but older
    runtimes stay exposed. A legitimate custom module still means running that module's code.

    Fix: load only with a Keras >= 3.9 (safe_mode on) and only when the named module is your own
    reviewed code; otherwise treat the file as hostile and rebuild the model from trusted code.
    """
    found = model_config(artifact)
    if found is None:
        return None
    roots: list[tuple[str, Any]] = [("", found.config)]
    compile_config = artifact.reading.raw.get("compile_config")
    if compile_config is not None:
        roots.append(("compile_config", compile_config))
    dangerous, foreign = [], []
    for root, value in roots:
        for path, entry in keras_config.serialized_objects(value, root):
            if not isinstance(entry.get("module"), str):
                continue
            path = path or "(model)"
            module = str(entry["module"])
            name = entry["class_name"]
            top = module.split(".", 1)[0]
            if top == "builtins":
                target = entry.get("config") if name == "function" else name
                if isinstance(target, str) and target in DANGEROUS_BUILTINS:
                    dangerous.append(f"{path}: builtins.{target}")
                continue
            if top in KERAS_PACKAGES:
                continue
            item = f"{path}: {module}.{name}"
            (dangerous if top in DANGEROUS_MODULES else foreign).append(item)
    if not dangerous and not foreign:
        return None
    culprits = dangerous + foreign
    problem = (
        f"{found.where} names code outside Keras ({short_list(culprits, 3)}): Keras <= 3.8 and "
        "tf.keras 2.13-2.15 import that module and call it while loading"
    )
    remedy = (
        "treat the file as hostile unless the module is your own reviewed code; load it only "
        "with Keras >= 3.9 and safe_mode on"
    )
    return Hit(problem, remedy, severity="critical" if dangerous else None)


@artifact_rule(
    "MIG303",
    "opaque-custom-model",
    title="Model defined entirely by code outside the artifact",
    severity="medium",
    breaks_in=f"{LOAD}: loading calls the class registered under that name with the saved "
    "weights; what the model computes is decided by that code, not by the file",
    formats=("keras-h5", "keras-json", "keras-yaml", "keras-v3", "tfjs-layers"),
)
def opaque_custom_model(artifact: Artifact) -> Hit | None:
    """A subclassed or custom model whose config is just a class name: no layers to audit.

    Its architecture and behaviour live in the class that the loading process provides
    (`custom_objects`, a registered package, a module named in the config). The artifact itself
    cannot be reviewed, and loading it executes that class's code (`__init__`, `build`, `call`)
    with the file's weights; whoever controls the class (or the package that registers the name)
    controls what the model does. Published malicious models use exactly this shape.

    Fix: load it only with the defining code from a reviewed source pinned by version, or
    rebuild the model as a functional/Sequential model whose config describes every layer and
    save that.
    """
    found = model_config(artifact)
    if found is None:
        return None
    config = found.config
    cls = config.get("class_name")
    if not isinstance(cls, str) or keras_config.children(config):
        return None
    custom = [name for path, name in custom_classes(config) if path == "(model)"]
    if not custom:
        return None
    origin = config.get("module") or config.get("registered_name")
    origin_text = f" ({origin})" if isinstance(origin, str) and origin else ""
    return Hit(
        f"custom model class `{cls}`{origin_text} with no layers in {found.where}: what it "
        "computes is whatever code provides that class at load time, which cannot be audited here",
        "load it only with reviewed, version-pinned defining code, or rebuild it as a "
        "functional model whose config lists its layers",
    )


# TF API names a tf.keras TFOpLambda/SlicingOpLambda may call (its `function` field) that read
# or write files, reach the network, or run Python.
