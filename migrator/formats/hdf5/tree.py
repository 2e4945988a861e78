"""The structure of an HDF5 file: groups and dataset metadata, walked through hard links only.

Links are inspected with ``getlink=True`` and only hard links are followed, so an external link
to another file is reported, never opened, and a soft link cannot make the walk loop. Dataset
contents are never read: shapes and dtypes come from dataset metadata.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from migrator.formats import LazyModule
from migrator.formats.hdf5.attrs import text

h5py = LazyModule("h5py")
np = LazyModule("numpy")


@dataclass
class Tree:
    """Every object reachable through hard links, and every link that was not followed."""

    groups: list[str] = field(default_factory=list)
    datasets: dict[str, tuple[list[int], str]] = field(default_factory=dict)
    external_links: list[dict[str, str]] = field(default_factory=list)
    soft_links: list[dict[str, str]] = field(default_factory=list)
    # Keras 3.x (recent) records the owner's name as a `name` attribute on each `vars` group.
    vars_names: dict[str, str] = field(default_factory=dict)


def walk(root: h5py.Group) -> Tree:
    tree = Tree()
    seen = {root.id}
    stack: list[tuple[str, h5py.Group]] = [("", root)]
    while stack:
        prefix, group = stack.pop()
        for name in group:
            path = f"{prefix}/{name}" if prefix else name
            link = group.get(name, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                tree.external_links.append(
                    {"path": path, "file": str(link.filename), "target": str(link.path)}
                )
                continue
            if isinstance(link, h5py.SoftLink):
                tree.soft_links.append({"path": path, "target": str(link.path)})
                continue
            if not isinstance(link, h5py.HardLink):
                continue
            obj = group[name]
            if isinstance(obj, h5py.Group):
                if obj.id in seen:
                    continue
                seen.add(obj.id)
                tree.groups.append(path)
                stack.append((path, obj))
                if name == "vars" and "name" in obj.attrs:
                    owner_name = text(obj.attrs["name"])
                    if owner_name is not None:
                        tree.vars_names[path] = owner_name
            elif isinstance(obj, h5py.Dataset):
                tree.datasets[path] = (list(obj.shape or ()), dtype_name(obj))
    tree.groups.sort()
    tree.external_links.sort(key=lambda item: item["path"])
    tree.soft_links.sort(key=lambda item: item["path"])
    return tree


def resolve(group: h5py.Group, relpath: str) -> Any:
    """The object at `relpath` below `group`, following hard links only; a link object where a
    soft or external link stops the walk; None where nothing is."""
    obj: Any = group
    for part in (p for p in relpath.split("/") if p):
        if not isinstance(obj, h5py.Group):
            return None
        link = obj.get(part, getlink=True)
        if link is None:
            return None
        if not isinstance(link, h5py.HardLink):
            return link
        obj = obj[part]
    return obj


def dtype_name(ds: h5py.Dataset) -> str:
    """The dataset's dtype from its metadata; Keras 3 stores bfloat16 as raw bits + a dtype attr."""
    if "dtype" in ds.attrs and text(ds.attrs["dtype"]) == "bfloat16":
        return "bfloat16"
    try:
        return ds.dtype.name
    except (TypeError, ValueError):  # a datatype numpy cannot represent
        return "unsupported"


def nbytes(shape: list[int], dtype: str) -> int:
    if dtype == "bfloat16":
        itemsize = 2
    else:
        try:
            itemsize = np.dtype(dtype).itemsize
        except TypeError:
            itemsize = 0
    return math.prod(shape) * itemsize
