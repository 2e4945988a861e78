"""Name what a payload would run, without running it.

Scanners people compare us with say "pickle calls `os.system`" or "bytecode references
`os.system`"; saying only that a pickle or a Lambda is present leaves the reader to guess. The two
modules here read the payload bytes as data and return the names they mention:

- ``pickles``: a pickle disassembled with ``pickletools.genops`` (the opcode stream only, never
  ``pickle.load``) to the callables it imports (``GLOBAL``, ``STACK_GLOBAL``, ``INST``) and
  whether it calls anything (``REDUCE``, ``INST``, ``OBJ``, ``NEWOBJ``, ``BUILD``).
- ``bytecode``: a marshalled code object (Keras Lambda bytecode, Python 2.7 and 3.x layouts)
  parsed by our own bounded reader of the marshal format (never ``marshal.loads``) to the names,
  string constants and nested code objects it holds.

Judging which names are dangerous is the security rules' business (``migrator.rules.security``);
these modules only describe.
"""

from __future__ import annotations
