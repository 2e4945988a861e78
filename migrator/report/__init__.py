"""Report renderers, found by registration: one module per output format.

A renderer module decorates its `render(report, ...) -> str` with `@register("name")`; this
package imports its modules on first use, so adding a report format is one file (plus its test)
and `--format` accepts it. Modules that do not register (`common`, `inspect`) are shared helpers.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from typing import Any

Renderer = Callable[..., str]

_REGISTRY: dict[str, Renderer] = {}
_LOADED = False


def register(name: str) -> Callable[[Renderer], Renderer]:
    """Decorator: `render` is the renderer of the output format `name`."""

    def decorate(render: Renderer) -> Renderer:
        known = _REGISTRY.get(name)
        if known is not None and known is not render:
            raise ValueError(f"two renderers registered for report format {name!r}")
        _REGISTRY[name] = render
        return render

    return decorate


def _load() -> None:
    global _LOADED
    if not _LOADED:
        for info in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{info.name}")
        _LOADED = True


class _Renderers(Mapping[str, Renderer]):
    """Format name -> render function, in alphabetical order (imports the renderers once)."""

    def __getitem__(self, name: str) -> Renderer:
        _load()
        return _REGISTRY[name]

    def __iter__(self) -> Iterator[str]:
        _load()
        return iter(sorted(_REGISTRY))

    def __len__(self) -> int:
        _load()
        return len(_REGISTRY)

    def __repr__(self) -> str:
        return f"RENDERERS({', '.join(self)})"


RENDERERS: Mapping[str, Renderer] = _Renderers()


def renderer(name: str) -> Callable[..., Any]:
    """The `render` function of the output format `name`."""
    if name not in RENDERERS:
        raise KeyError(f"unknown report format {name!r}; choose one of {', '.join(RENDERERS)}")
    return RENDERERS[name]
