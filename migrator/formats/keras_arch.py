"""Keras architecture files: ``model.to_json()`` (keras-json) and ``model.to_yaml()`` (keras-yaml).

Both hold a model config and nothing else: ``{"class_name": ..., "config": ...}`` plus, since
Keras 1.2, ``keras_version`` and (Keras 2) ``backend``; Keras 3's ``to_json`` writes the new
serialization (``module``, ``class_name``, ``config``, ``registered_name``) without a version.
``to_yaml`` existed up to Keras/tf.keras 2.5 and was removed in 2.6 because ``model_from_yaml``
used an unsafe YAML loader.

A file is claimed only when its content really is a Keras model config: a ``.json`` file (or any
file whose first bytes are a JSON object opening with a Keras key) whose first key is one of
``class_name``/``config``/``keras_version``/``backend``/``module`` and which parses to a model
config (a model class, a Keras 1 layer list, a ``layers`` list, or a ``keras_version``); a
``.yaml``/``.yml`` file (or one starting with such a top-level key) with top-level ``class_name:``
and ``config:`` lines that parses to the same. A file that looks like one of these but does not
parse (invalid JSON, a YAML tag that would construct Python objects) is claimed too, so the audit
reports it instead of skipping it, and so is an empty ``.json``/``.yaml`` file with "model" in
its name. Claims read at most 64 MB; a random ``metadata.json`` or ``package.json`` is never
claimed.

YAML is parsed with a safe loader that maps ``!!python/tuple`` (written by ``yaml.dump`` for
Keras' tuples) to lists and rejects every other ``!!python/...`` tag: nothing is ever constructed
or executed. Lambda code in the config is reported, never decoded.

``producer``: top-level ``keras_version`` and ``backend``, verbatim.

``details``: `ArchitectureDetails` below, field by field.

``raw``: ``model_config`` (the parsed dict).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from migrator.errors import ArtifactError
from migrator.formats import LazyModule, keras_config, register
from migrator.formats.details import UNSET
from migrator.formats.keras_config import ConfigSummary
from migrator.model import Candidate, Reading

register(__name__, formats=("keras-json", "keras-yaml"), order=80)

yaml = LazyModule("yaml")

MAX_BYTES = 64 * 1024 * 1024
# Claiming runs in the main process during discovery: it parses only files up to this size (a
# 60 MB YAML took 96 s and 4.4 GB there); bigger Keras-shaped files are claimed by their first
# bytes and parsed by read(), in a worker under the deadline and memory limit.
CLAIM_PARSE_BYTES = 1024 * 1024
# YAML anchors let a 1 KB file stand for 10**9 nodes (billion laughs) or a cycle; a document whose
# alias-expanded size passes this (or that refers to itself) is refused before anything walks it.
MAX_EXPANDED_NODES = 2_000_000
_SNIFF_BYTES = 64 * 1024
# More layer entries than this (after YAML aliases are expanded) is an alias bomb, not a model.
MAX_LAYER_ENTRIES = 200_000
_JSON_SUFFIXES = (".json",)
_YAML_SUFFIXES = (".yaml", ".yml")
_TOP_KEYS = r"(?:class_name|config|keras_version|backend|module)"
_JSON_START = re.compile(r'^\ufeff?\s*\{\s*"' + _TOP_KEYS + r'"\s*:')
_YAML_START = re.compile(r"^\ufeff?(?:#[^\n]*\n|---[^\n]*\n|\s*\n)*" + _TOP_KEYS + r":")
_YAML_CLASS = re.compile(r"^class_name:", re.M)
_YAML_CONFIG = re.compile(r"^config:", re.M)
_TUPLE_TAG = "tag:yaml.org,2002:python/tuple"


@dataclass(frozen=True, eq=False, kw_only=True)
class ArchitectureDetails(ConfigSummary):
    """`details` of keras-json and keras-yaml readings: summarize's keys, then these.

    `lambda_layers` holds `keras_config.lambda_layers` dicts (the code is never decoded).
    """

    # 1/2/3 from keras_version; without it, inferred from config_style (the evidence says so);
    # None when neither tells
    keras_major: int | None
    tf_keras: bool  # keras_version has the -tf suffix
    config_style: str | None  # "keras1" | "keras2" | "keras3" | None (keras_config.config_style)
    uses_lambda: bool
    yaml_tags: list[str] = UNSET  # keras-yaml only: non-standard tags used ("!!python/tuple")
    extension: str  # the lower-cased suffix (facts.extension_matches judges it)


@cache
def _yaml_loader() -> type:
    """Safe YAML loader that also accepts ``!!python/tuple`` (as a list) and nothing else.

    Built on first use so that importing this reader does not import yaml.
    """
    base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class KerasYamlLoader(base):  # type: ignore[misc,valid-type]
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.tags_used: set[str] = set()

    def construct_tuple(loader: Any, node: Any) -> list[Any]:
        loader.tags_used.add("!!python/tuple")
        return loader.construct_sequence(node, deep=True)

    KerasYamlLoader.add_constructor(_TUPLE_TAG, construct_tuple)
    return KerasYamlLoader


# --- claiming ---------------------------------------------------------------------------------


def claim_file(path: Path, head: bytes) -> bool:
    kind = _sniff_kind(path, head)
    if kind is None:
        return False
    try:
        size = path.stat().st_size
        if size == 0:
            # An empty "model.json"/"model.yaml" is a lost architecture: report it.
            return "model" in path.name.lower()
        with path.open("rb") as fh:
            prefix = fh.read(_SNIFF_BYTES).decode("utf-8", "replace")
    except OSError:
        return False
    if kind == "json":
        if not _JSON_START.match(prefix):
            return False
        looks_keras = '"class_name"' in prefix
    else:
        if not (_YAML_CLASS.search(prefix) and _YAML_CONFIG.search(prefix)):
            return False
        looks_keras = True
    if size > CLAIM_PARSE_BYTES:
        return looks_keras  # read() parses it (or reports the size) in a worker
    try:
        data, _ = _parse(path, kind)
    except ArtifactError:
        return looks_keras  # broken but Keras-shaped: claim it so the audit reports it
    return _is_model_config(data)


def _sniff_kind(path: Path, head: bytes) -> str | None:
    """Say "json" or "yaml" from the name, or from the first bytes for names without a hint."""
    lower = path.name.lower()
    if lower.endswith(_JSON_SUFFIXES):
        return "json"
    if lower.endswith(_YAML_SUFFIXES):
        return "yaml"
    text = head.decode("utf-8", "replace")
    if _JSON_START.match(text):
        return "json"
    if _YAML_START.match(text):
        return "yaml"
    return None


def _is_model_config(data: Any) -> bool:
    """A whole-model config: a class name and a config that is a model's, not a lone layer's."""
    if not keras_config.is_layer_entry(data):
        return False
    config = data.get("config")
    if isinstance(config, list):  # Keras 1 / early Keras 2 Sequential
        return all(keras_config.is_layer_entry(c) for c in config)
    if not isinstance(config, Mapping):
        return False
    return (
        data["class_name"] in keras_config.MODEL_CLASSES
        or isinstance(config.get("layers"), list)
        or "keras_version" in data
    )


# --- reading ----------------------------------------------------------------------------------


def read(candidate: Candidate) -> Reading:
    path = candidate.location
    kind = _content_kind(path)
    fmt = f"keras-{kind}"
    data, tags = _parse(path, kind)
    if not _is_model_config(data):
        what = type(data).__name__ if not isinstance(data, Mapping) else "an object"
        keys = ", ".join(sorted(str(k) for k in data)[:6]) if isinstance(data, Mapping) else ""
        raise _error(
            path,
            fmt,
            f"{kind.upper()} is valid but {what} that is not a Keras model config"
            + (f" (keys: {keys})" if keys else ""),
            "an architecture file holds {class_name, config} as written by model.to_json()",
        )
    try:
        for count, _ in enumerate(keras_config.iter_layers(data), start=1):
            if count > MAX_LAYER_ENTRIES:
                raise _error(
                    path,
                    fmt,
                    f"config expands to more than {MAX_LAYER_ENTRIES} layer entries "
                    "(YAML aliases repeating layers?)",
                    "this is not a model anyone saved; do not load it",
                )
        summary = keras_config.summarize(data)
        style, markers = keras_config.config_style(data)
        lambdas = keras_config.lambda_layers(data)
    except RecursionError:
        raise _error(
            path, fmt, "config is nested too deeply to be a model", "do not load it"
        ) from None

    evidence = [_shape_evidence(kind, data)]
    producer: dict[str, str] = {}
    for key in ("keras_version", "backend"):
        if key in data and data[key] is not None:
            producer[key] = str(data[key])
            evidence.append(f"top-level {key}={producer[key]!r}")
    version = producer.get("keras_version")
    major, said = keras_config.keras_major_from(version, style, markers, "keras_version key")
    if said:
        evidence.append(said)
    suffixes = _JSON_SUFFIXES if kind == "json" else _YAML_SUFFIXES
    extension = path.suffix.lower()
    matches = extension in suffixes
    if not matches:
        evidence.append(f"{kind.upper()} content under a {extension or 'missing'} extension")
    if kind == "yaml":
        evidence.append(
            "YAML architecture (model.to_yaml, removed in Keras 2.6 because model_from_yaml "
            "used an unsafe loader)"
        )

    details = ArchitectureDetails(
        **{**summary, "lambda_layers": lambdas},
        keras_major=major,
        tf_keras=bool(version) and str(version).endswith("-tf"),
        config_style=style,
        uses_lambda=bool(lambdas),
        yaml_tags=sorted(tags) if kind == "yaml" else UNSET,
        extension=extension,
    )
    return Reading(
        fmt,
        producer=producer,
        details=details,
        evidence=tuple(evidence),
        raw={"model_config": data},
    )


def _content_kind(path: Path) -> str:
    """Say "json" or "yaml": by the extension, else JSON when the text opens an object."""
    lower = path.name.lower()
    if lower.endswith(_JSON_SUFFIXES):
        return "json"
    if lower.endswith(_YAML_SUFFIXES):
        return "yaml"
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise ArtifactError(
            path, f"cannot read file ({exc.strerror or exc})", "check permissions"
        ) from None
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    return "json" if text.startswith("{") else "yaml"


def _parse(path: Path, kind: str) -> tuple[Any, set[str]]:
    """Parse the file as `kind`; every failure is a one-line ArtifactError with the format set."""
    fmt = f"keras-{kind}"
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _error(
                path,
                fmt,
                f"file is {size / 2**20:.0f} MB, more than the {MAX_BYTES // 2**20} MB an "
                "architecture file can plausibly be",
                "check that it is really a model.to_json()/to_yaml() output",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ArtifactError(
            path, f"cannot read file ({exc.strerror or exc})", "check permissions"
        ) from None
    if not data.strip():
        raise ArtifactError(
            path,
            f"file is empty ({len(data)} bytes)",
            "re-export the architecture with model.to_json() or remove the file",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(
            path,
            fmt,
            f"file is not UTF-8 text ({exc.reason} at byte {exc.start})",
            "check that the file was not truncated or replaced",
        ) from None
    if kind == "json":
        try:
            return json.loads(text), set()
        except RecursionError:
            raise _error(
                path, fmt, "JSON is nested too deeply to be a model config", "do not load it"
            ) from None
        except ValueError as exc:
            raise _error(
                path,
                fmt,
                f"invalid JSON ({exc})",
                "the file is truncated or damaged; re-export it with model.to_json()",
            ) from None
    loader = _yaml_loader()(text)
    try:
        data = loader.get_single_data()
        problem = _expansion_problem(data)
        if problem:
            raise _error(
                path,
                fmt,
                f"YAML {problem} (an alias bomb: model.to_yaml never writes that)",
                "this is not a model anyone saved; do not load it",
            )
        return data, loader.tags_used
    except yaml.constructor.ConstructorError as exc:
        tag = _python_tag(exc)
        if tag:
            raise _error(
                path,
                fmt,
                f"YAML uses the tag {tag}, which would construct Python objects (code "
                "execution) if loaded with an unsafe loader; migrator does not construct it",
                "treat the file as hostile; rebuild the architecture from trusted code",
            ) from None
        raise _error(
            path,
            fmt,
            f"YAML cannot be read safely ({_one_line(exc)})",
            "re-export the architecture with model.to_json()",
        ) from None
    except RecursionError:
        raise _error(
            path, fmt, "YAML is nested too deeply to be a model config", "do not load it"
        ) from None
    except yaml.YAMLError as exc:
        raise _error(
            path,
            fmt,
            f"invalid YAML ({_one_line(exc)})",
            "the file is truncated or damaged; re-export it",
        ) from None
    finally:
        loader.dispose()


def _expansion_problem(data: Any) -> str | None:
    """Why an alias-expanded YAML document must not be walked, or None.

    Counts the nodes a full walk would visit, sharing the count of a node reached through several
    aliases (memoized by identity, iteratively: linear in the distinct nodes, whatever the depth).
    """
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, done = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        key = id(node)
        children = list(node.values()) + list(node.keys()) if isinstance(node, dict) else node
        if done:
            open_.discard(key)
            total = 1
            for child in children:
                total += sizes.get(id(child), 1) if isinstance(child, (dict, list)) else 1
            if total > MAX_EXPANDED_NODES:
                return f"expands to more than {MAX_EXPANDED_NODES:,} nodes through its aliases"
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in open_:
            return "refers to itself through an alias (a cycle)"
        open_.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if isinstance(child, (dict, list)))
    return None


def load_yaml(text: str) -> Any:
    """Parse `text` with the safe loader (no Python tags); raises yaml.YAMLError when it cannot."""
    loader = _yaml_loader()(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_bounded_yaml(text: str) -> Any:
    """Parse `text` as `load_yaml` does and refuse alias bombs and cycles, for the YAML other
    readers meet (MLflow's `MLmodel`, `conda.yaml`). Raises yaml.YAMLError (invalid, or a tag that
    would construct Python objects), ValueError (alias bomb or cycle) or RecursionError."""
    data = load_yaml(text)
    problem = _expansion_problem(data)
    if problem:
        raise ValueError(f"YAML {problem} (an alias bomb)")
    return data


def _python_tag(exc: yaml.constructor.ConstructorError) -> str | None:
    match = re.search(r"'tag:yaml\.org,2002:(python/[^']*)'", str(exc.problem or ""))
    if match:
        return "!!" + match.group(1)
    match = re.search(r"'(![^']*)'", str(exc.problem or ""))
    return match.group(1) if match else None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."


def _shape_evidence(kind: str, data: Mapping[str, Any]) -> str:
    config = data.get("config")
    if isinstance(config, list):
        shape = f"a list of {len(config)} layers (Keras 1 / early Keras 2 Sequential)"
    elif isinstance(config, Mapping) and isinstance(config.get("layers"), list):
        shape = f"'layers' ({len(config['layers'])})"
    else:
        shape = "an object"
    name = data["class_name"]
    return f"{kind.upper()} object with class_name {name!r} and config holding {shape}"


def _error(path: Path, fmt: str, problem: str, remedy: str) -> ArtifactError:
    return ArtifactError(path, problem, remedy, format=fmt)
