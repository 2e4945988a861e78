"""Where the audit's reads and the conversions run: registered backends, chosen by name.

The pipelines (`audit.py`, `convert/tree.py`) never talk to an engine directly: they ask
`get(name)` for a `Backend` and hand it their work. `local` runs it on this machine (the forked
reader pool of `workers.py`, the threads of `convert/batch.py`); `ray` runs the same work as
tasks on a Ray cluster. A backend is one module in this package that subclasses `Backend` and
decorates it with `@register("name")`; the package imports its modules on first use, so adding
one is one file and `--backend` accepts it.

Whatever the backend, the contract is the local one: every item ends as exactly one result in
input order, and an item whose reader or conversion dies, hangs or runs out of memory costs one
error line for that item, never the batch. That is what makes the reports of a tree identical
whichever backend produced them.
"""

from __future__ import annotations

import importlib
import pkgutil
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from migrator.errors import UsageError

if TYPE_CHECKING:
    from migrator.convert import Options
    from migrator.convert.converter import Converter

T = TypeVar("T")
DEFAULT = "local"

_REGISTRY: dict[str, type[Backend]] = {}
_LOADED = False


@dataclass(frozen=True)
class ReadLimits:
    """How one item is read wherever it runs: the audit's per-artifact isolation settings.

    `jobs` reader processes (0: in the process that runs the task, without a deadline),
    `timeout` seconds, `memory_mb` per reader process (None: sized for the machine, 0: none),
    `deadline(item)` the seconds of one item (HDF5 reads get less than `timeout`).
    """

    jobs: int
    timeout: float
    memory_mb: int | None = None
    deadline: Callable[[Any], float] | None = None


class Backend(ABC):
    """An engine that runs the audit's reads and the conversions of a batch."""

    name: str = ""
    # Its workers are forks of this process, so they share what a fork inherits (the audit's
    # progress counter in shared memory); a cluster's workers share nothing with it.
    forks: bool = False
    # Told how many items finished, in this process, as they do (the audit's progress line,
    # for backends whose workers cannot reach this process's memory).
    observer: Callable[[int], None] | None = None

    @abstractmethod
    def read(
        self, work: Callable[[T], Any], items: Iterable[T], limits: ReadLimits
    ) -> Iterator[tuple[T, Any]]:
        """Yield (item, work(item)) in input order, pulling `items` lazily.

        An item whose work died, overran its deadline or ran out of memory yields a `Reading`
        holding one error line instead of the work's result.
        """

    @abstractmethod
    def converters(self, out_root: Path, options: Options) -> Callable[[], Converter]:
        """A factory of converters for the batch's threads (each thread calls it once)."""

    @abstractmethod
    def convert_jobs(self, requested: int | None) -> int:
        """How many conversions run at once: `requested` (--jobs) or the backend's default."""

    def publishes_to(self, local_out: Path, out: Any) -> None:
        """The batch converting into the work folder `local_out` publishes to `out`, a store.

        Here, the driver publishes once a version is built (storage/convert.py); a backend whose
        tasks run on other machines has each task publish from its own node instead.
        """
        return None

    def close(self) -> None:
        """Release what the backend started (a local Ray instance); safe to call twice."""
        return None

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def register(name: str) -> Callable[[type[Backend]], type[Backend]]:
    """Class decorator: this `Backend` subclass is the backend called `name`."""

    def decorate(cls: type[Backend]) -> type[Backend]:
        known = _REGISTRY.get(name)
        if known is not None and known is not cls:
            raise ValueError(f"two backends registered as {name!r}")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorate


def _load() -> None:
    global _LOADED
    if not _LOADED:
        for info in pkgutil.iter_modules(__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{__name__}.{info.name}")
        _LOADED = True


def names() -> list[str]:
    """Every registered backend name, sorted (what `--backend` accepts)."""
    _load()
    return sorted(_REGISTRY)


def get(name: str | None = None, **settings: Any) -> Backend:
    """A new backend called `name` (default: local), built with its `settings` (ray: address)."""
    _load()
    chosen = name or DEFAULT
    cls = _REGISTRY.get(chosen)
    if cls is None:
        raise UsageError(f"unknown backend {chosen!r}; choose one of {', '.join(names())}")
    return cls(**settings)
