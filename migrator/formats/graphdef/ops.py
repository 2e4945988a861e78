"""Which ops matter to a reading: variables, placeholders, bookkeeping, and file/print I/O.

These sets decide `frozen`, `inputs`, `likely_outputs` and which nodes' strings are recorded for
the rules (ops that read or write files, print, or write summaries).
"""

from __future__ import annotations

from functools import cache

VARIABLE_OPS = frozenset(
    {
        "Variable",
        "VariableV2",
        "VarHandleOp",
        "_VarHandlesOp",
        "AutoReloadVariable",
        "TemporaryVariable",
    }
)
PLACEHOLDER_OPS = frozenset({"Placeholder", "PlaceholderV2"})
# Ops whose unconsumed instances are bookkeeping, not model outputs.
NOT_OUTPUTS = frozenset(
    {
        "NoOp",
        "Const",
        "Placeholder",
        "PlaceholderV2",
        "PlaceholderWithDefault",
        "Assign",
        "AssignAdd",
        "AssignSub",
        "AssignVariableOp",
        "AssignAddVariableOp",
        "AssignSubVariableOp",
        "SaveV2",
        "Save",
        "SaveSlices",
        "RestoreV2",
        "Restore",
        "RestoreSlice",
        "MergeV2Checkpoints",
        "VarIsInitializedOp",
        "IsVariableInitialized",
        "Identity",
        "ReadVariableOp",
    }
    | VARIABLE_OPS
)
# Ops that read or write files, print, or write summaries/debug data (exact names), plus name
# fragments that catch their relatives (TFRecordDatasetV2, WriteScalarSummary, ...).
IO_OPS = frozenset(
    {
        "ReadFile",
        "WriteFile",
        "MatchingFiles",
        "Save",
        "SaveV2",
        "SaveSlices",
        "Restore",
        "RestoreV2",
        "RestoreSlice",
        "MergeV2Checkpoints",
        "ShardedFilename",
        "ShardedFilespec",
        "PrintV2",
        "Print",
        "ImmutableConst",
        "DistributedSave",
        "InitializeTableFromTextFile",
        "InitializeTableFromTextFileV2",
        "EncodeProto",
        "DecodeProtoV2",
    }
)
_IO_FRAGMENTS = (
    "File",
    "Save",
    "Restore",
    "Dataset",
    "Print",
    "Debug",
    "Summary",
    "Reader",
    "Writer",
    "Immutable",
    "Checkpoint",
    "Record",
)


@cache
def is_io_op(op: str) -> bool:
    """True for ops that touch files, print, or write summaries (their strings are recorded)."""
    return op in IO_OPS or any(fragment in op for fragment in _IO_FRAGMENTS)
