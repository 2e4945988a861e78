"""Format readers, found by registration: adding a format is one module plus its test.

A reader is a module (or package) in this folder that calls `register()` at import time, naming
the format ids it reports and its place in the claiming order, and exposes some of these, all
pure functions of the bytes on disk:

- ``claim_dir(path, names) -> bool``: this folder as a whole is one artifact (a SavedModel,
  an unzipped ``.keras`` folder, a SessionBundle export). Discovery does not descend into it.
- ``claim_group(path, names) -> list[tuple[str, tuple[str, ...]]]``: artifacts made of several
  files in one folder (a checkpoint's ``.index``/``.data-*``/``.meta``, a TF.js ``model.json`` and
  its shards): ``(main name, member names)``; members are not offered to other readers.
- ``claim_file(path, head) -> bool``: this single file is ours; ``head`` is its first 64 bytes.
- ``read(candidate) -> Reading``: read it. Raise ``ArtifactError`` for anything unreadable.

Modules here that do not register (``keras_config``, ``sstable``, ``protos``) are helpers the
readers share. Readers never import TensorFlow, never read weight data and never judge: they
record what the bytes say; rules and loadability decide what it means.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class ReaderSpec:
    """A registered reader: its module name, the format ids it reports, its claiming order."""

    name: str
    formats: tuple[str, ...]
    order: int  # lower claims first: the first reader to claim a folder or file wins


_REGISTRY: dict[str, ReaderSpec] = {}
_LOADED = False
# Discovery asks every reader about every file and folder: the claiming order and the modules are
# worked out once (and again only if a reader registers later), not on each question.
_ORDERED: list[ReaderSpec] | None = None
_MODULES: list[tuple[str, ModuleType]] | None = None


def register(module_name: str, *, formats: tuple[str, ...], order: int) -> None:
    """Called by a reader module at import: `register(__name__, formats=(...), order=N)`."""
    name = module_name.rsplit(".", 1)[-1]
    existing = _REGISTRY.get(name)
    spec = ReaderSpec(name, tuple(formats), order)
    if existing is not None and existing != spec:
        raise ValueError(f"reader {name!r} registered twice with different specs")
    for other in _REGISTRY.values():
        if other.name != name and other.order == order:
            raise ValueError(f"readers {other.name!r} and {name!r} share claiming order {order}")
    global _ORDERED, _MODULES
    _REGISTRY[name] = spec
    _ORDERED = _MODULES = None


def _load() -> None:
    """Import every module of this package once, so each reader registers itself."""
    global _LOADED
    if _LOADED:
        return
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    _LOADED = True


def specs() -> list[ReaderSpec]:
    """Every registered reader, in claiming order."""
    global _ORDERED
    _load()
    if _ORDERED is None:
        _ORDERED = sorted(_REGISTRY.values(), key=lambda s: s.order)
    return list(_ORDERED)


def reader_names() -> tuple[str, ...]:
    return tuple(s.name for s in specs())


def format_ids() -> tuple[str, ...]:
    """Every format id a reader may report, in claiming order; "unknown" (errors only) last."""
    out: list[str] = []
    for spec in specs():
        out.extend(f for f in spec.formats if f not in out)
    return (*out, "unknown")


class LazyModule:
    """A module imported on first attribute access.

    Discovery imports every reader to ask it about each file, but most audits never need h5py,
    numpy or yaml (150-300 ms of start-up together); readers bind them through this instead.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> object:
        if attr.startswith("__") or "_name" not in self.__dict__:  # copy/pickle probing
            raise AttributeError(attr)
        module = self.__dict__.get("_module")
        if module is None:
            module = self.__dict__["_module"] = importlib.import_module(self._name)
        return getattr(module, attr)


def reader(name: str) -> ModuleType:
    """The reader module called `name`."""
    if name not in reader_names():
        raise KeyError(f"no reader named {name!r}; known: {', '.join(reader_names())}")
    return importlib.import_module(f"{__name__}.{name}")


def readers() -> list[tuple[str, ModuleType]]:
    """(name, module) of every reader, in claiming order."""
    global _MODULES
    _load()
    if _MODULES is None:
        _MODULES = [
            (spec.name, importlib.import_module(f"{__name__}.{spec.name}")) for spec in specs()
        ]
    return list(_MODULES)
