"""What the GraphDef reader reports (format id ``graph-def``), field by field, in report order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrator.formats.details import UNSET, Details

FORMAT = "graph-def"


@dataclass(frozen=True, eq=False)
class GraphDefDetails(Details):
    """A bare TensorFlow graph (frozen graph, `tf.io.write_graph`) or a loose MetaGraphDef."""

    container: Any = UNSET  # "GraphDef" or "MetaGraphDef"
    encoding: Any = UNSET  # "binary" or "text"
    # the graph has Const nodes and no variable nodes (Variable, VariableV2, VarHandleOp, ...)
    frozen: Any = UNSET
    node_count: Any = UNSET  # top-level graph nodes
    function_count: Any = UNSET  # functions in the library
    function_node_count: Any = UNSET  # nodes inside those functions
    # sorted op types of the graph nodes and of every library function's nodes (calls to library
    # functions are not op types and are left out)
    op_types: Any = UNSET
    variable_nodes: Any = UNSET  # count over the top-level graph
    const_nodes: Any = UNSET  # count over the top-level graph
    # GraphDef.versions numbers (GraphDef versions, not TensorFlow releases; None when the graph
    # records none)
    producer_version: Any = UNSET
    min_consumer: Any = UNSET
    # Placeholder nodes as {name, dtype, shape} (shape: ints with -1 for an unknown size, or
    # None when the rank is unknown or the attr is absent)
    inputs: Any = UNSET
    # top-level nodes nothing else consumes, leaving out bookkeeping ops (NoOp, assignments,
    # save/restore, constants, placeholders, variables): a heuristic, capped at MAX_OUTPUTS
    likely_outputs: Any = UNSET
    likely_output_count: Any = UNSET  # the uncapped count
    # a MetaGraphDef container only:
    tags: Any = UNSET
    tensorflow_version: Any = UNSET
    tensorflow_git_version: Any = UNSET
    signature_names: Any = UNSET
    note: Any = UNSET  # why a MetaGraphDef alone is not a whole model
