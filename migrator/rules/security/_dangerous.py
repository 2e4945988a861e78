"""Which Python names give a payload process, file or network access: one table for the rules.

A security fact, not a release fact, so it lives here rather than in `migrator.knowledge`: it
does not change with Keras or TensorFlow versions. Used by MIG302 (modules a config names),
MIG301 (what Lambda bytecode references) and MIG304 (what a pickle imports).

The modules are those scanners flag as unsafe to import from a pickle (modelscan's and
fickling's lists: process, file, network, code loading, introspection), under every name the
interpreter records them by (`posix`/`nt` are what `os.system` pickles as).
"""

from __future__ import annotations

from collections.abc import Sequence

DANGEROUS_MODULES = frozenset(
    {
        "os",
        "posix",
        "nt",
        "subprocess",
        "sys",
        "shutil",
        "socket",
        "importlib",
        "runpy",
        "pickle",
        "_pickle",
        "marshal",
        "ctypes",
        "code",
        "codeop",
        "pty",
        "webbrowser",
        "multiprocessing",
        "http",
        "urllib",
        "urllib2",
        "requests",
        "io",
        "pathlib",
        "tempfile",
        "commands",
        "platform",
        "signal",
        "types",
        "bdb",
        "pdb",
        "asyncio",
        "ftplib",
        "smtplib",
        "telnetlib",
        "pip",
        "setuptools",
    }
)
DANGEROUS_BUILTINS = frozenset(
    {
        "eval",
        "exec",
        "execfile",
        "compile",
        "open",
        "file",
        "__import__",
        "getattr",
        "setattr",
        "delattr",
        "globals",
        "locals",
        "vars",
        "input",
        "breakpoint",
        "exit",
        "quit",
        "help",
        "reload",
    }
)
BUILTIN_MODULES = frozenset({"builtins", "__builtin__", "__builtins__"})

# Callables the pickles NumPy and Keras write themselves import: rebuilding arrays and dicts.
PICKLE_EXPECTED_PREFIXES = ("numpy.", "collections.OrderedDict", "_codecs.encode", "copy_reg.")
PICKLE_EXPECTED_BUILTINS = frozenset(
    {"dict", "list", "tuple", "set", "frozenset", "bytearray", "complex", "slice", "object"}
)


def dangerous_callable(qualname: str) -> bool:
    """``module.name`` as a pickle imports it: from a dangerous module, or a dangerous builtin."""
    module, _, name = qualname.rpartition(".")
    if module in BUILTIN_MODULES:
        return name in DANGEROUS_BUILTINS
    return module.split(".", 1)[0] in DANGEROUS_MODULES


def expected_in_pickle(qualname: str) -> bool:
    """A callable the pickles NumPy and Keras write import (array and dict reconstruction)."""
    module, _, name = qualname.rpartition(".")
    if module in BUILTIN_MODULES:
        return name in PICKLE_EXPECTED_BUILTINS
    return qualname.startswith(PICKLE_EXPECTED_PREFIXES)


def bytecode_references(names: Sequence[str], strings: Sequence[str]) -> list[str]:
    """The dangerous things code refers to: `os.system`, `eval`, `__import__` + the module named.

    ``names`` are co_names in order (a module access `os.system` puts `os` then `system`);
    ``strings`` are string constants (`__import__("os")` names its module there).
    """
    found: dict[str, None] = {}
    for index, name in enumerate(names):
        top = name.split(".", 1)[0]
        if top in DANGEROUS_MODULES:
            after = names[index + 1] if index + 1 < len(names) else None
            found.setdefault(f"{name}.{after}" if after else name)
        elif name in DANGEROUS_BUILTINS:
            found.setdefault(name)
    loaders = {"__import__", "import_module", "getattr", "eval", "exec"}
    if loaders & set(names):
        for text in strings:
            if text.split(".", 1)[0] in DANGEROUS_MODULES:
                found.setdefault(f"{text} (by name)")
    return list(found)
