"""Keras' HDF5 attributes as text: the helpers every HDF5 reader and converter shares.

h5py gives a string attribute as ``str`` (variable-length) or ``bytes`` (fixed-length), a
string list as a numpy array (h5py 2 wrote an empty list as an empty float64 array), and Keras
splits a string-list attribute larger than HDF5's 64 KB object header limit
(``HDF5_OBJECT_HEADER_LIMIT = 64512``) into ``<name>0``, ``<name>1``, ...; `list_attr` and
`text_attr` join such chunks back, so ``layer_names``, ``weight_names`` and even
``model_config`` read the same whether split or not. Public: `migrator.convert` reads the same
attributes when it copies weights.
"""

from __future__ import annotations

from typing import Any

from migrator.formats import LazyModule

h5py = LazyModule("h5py")
np = LazyModule("numpy")


def text(value: Any) -> str | None:
    """A string attribute value as text: h5py gives str (variable-length) or bytes (fixed)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "OSU":
        return text(value.reshape(-1)[0])
    if isinstance(value, np.generic) and value.dtype.kind in "OSU":
        return text(value.item())
    return None


def strings(value: Any) -> list[str]:
    """A string-list attribute as texts. h5py 2 wrote an empty list as an empty float64 array."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        single = text(arr.item())
        return [single] if single is not None else []
    return [t for t in (text(v) for v in arr.reshape(-1)) if t is not None]


def has_attr(obj: h5py.HLObject, name: str) -> bool:
    """The attribute is there, whole or split into ``name0..N``."""
    return name in obj.attrs or f"{name}0" in obj.attrs


def list_attr(obj: h5py.HLObject, name: str) -> tuple[list[str], int]:
    """Keras' string-list attribute, joined from ``name0..N`` when split; (values, chunks or 0)."""
    if name in obj.attrs:
        return strings(obj.attrs[name]), 0
    out: list[str] = []
    chunks = 0
    while f"{name}{chunks}" in obj.attrs:
        out.extend(strings(obj.attrs[f"{name}{chunks}"]))
        chunks += 1
    return out, chunks


def text_attr(obj: h5py.HLObject, name: str) -> tuple[str | None, int]:
    """A string attribute, joined from ``name0..N`` when split; (text or None, chunks or 0)."""
    if name in obj.attrs:
        return text(obj.attrs[name]), 0
    parts: list[str] = []
    while f"{name}{len(parts)}" in obj.attrs:
        parts.append(text(obj.attrs[f"{name}{len(parts)}"]) or "")
    return ("".join(parts) if parts else None), len(parts)
