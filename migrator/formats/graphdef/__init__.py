"""GraphDef reader (format id ``graph-def``) and the graph walk the SavedModel reader shares.

A GraphDef is a bare TensorFlow graph: the ``.pb`` a TF1 ``freeze_graph`` /
``convert_variables_to_constants`` writes, or its text form (``.pbtxt``, ``tf.io.write_graph``
with ``as_text=True``). A loose MetaGraphDef is reported here with ``container: "MetaGraphDef"``;
a loose SavedModel proto goes to the SavedModel reader.

The package is split along its seams:

- `wire`: the protobuf wire format walked by hand over a memory-mapped file;
- `walk`: the graph walk (nodes, function library, `GraphFacts`), shared with the SavedModel and
  checkpoint readers, which never copies tensor bytes;
- `ops`: the op sets that decide `frozen`, inputs, likely outputs and recorded I/O strings;
- `sniff`: telling GraphDef, MetaGraphDef and SavedModel protos apart from their first bytes;
- `reading`: the reader itself; `details`: what it reports, documented field by field.

``raw`` keys: ``ops`` ({op type: sorted locations ``graph:<node>`` /
``function:<function>/<node>``}) and ``string_attrs`` ({location: strings}) for nodes whose op
touches files, prints or writes summaries (see ``ops.is_io_op``): their non-empty string attrs and
the string values of the ``Const`` nodes feeding them, bounded as `walk` says.
"""

from __future__ import annotations

from migrator.formats import register
from migrator.formats.graphdef.details import FORMAT, GraphDefDetails
from migrator.formats.graphdef.ops import (
    IO_OPS,
    PLACEHOLDER_OPS,
    VARIABLE_OPS,
    is_io_op,
)
from migrator.formats.graphdef.reading import (
    MAX_TEXT_BYTES,
    read,
    read_binary_graph,
    read_text_graph,
)
from migrator.formats.graphdef.sniff import SNIFF_BYTES, claim_file, sniff, sniff_text
from migrator.formats.graphdef.walk import (
    MAX_IO_LOCATIONS,
    MAX_OUTPUTS,
    MAX_STRING_CHARS,
    MAX_STRINGS,
    GraphFacts,
    graph_details,
    iter_node_defs,
    node_input_name,
    read_node,
    scan_graph_bytes,
    scan_graph_message,
    scan_meta_graph_bytes,
    shape_list,
)
from migrator.formats.graphdef.wire import (
    I32,
    I64,
    LEN,
    VARINT,
    MappedFile,
    WireError,
    iter_fields,
    read_varint,
)

register(__name__, formats=(FORMAT,), order=70)

__all__ = [
    "FORMAT",
    "I32",
    "I64",
    "IO_OPS",
    "LEN",
    "MAX_IO_LOCATIONS",
    "MAX_OUTPUTS",
    "MAX_STRINGS",
    "MAX_STRING_CHARS",
    "MAX_TEXT_BYTES",
    "PLACEHOLDER_OPS",
    "SNIFF_BYTES",
    "VARIABLE_OPS",
    "VARINT",
    "GraphDefDetails",
    "GraphFacts",
    "MappedFile",
    "WireError",
    "claim_file",
    "graph_details",
    "is_io_op",
    "iter_fields",
    "iter_node_defs",
    "node_input_name",
    "read",
    "read_binary_graph",
    "read_node",
    "read_text_graph",
    "read_varint",
    "scan_graph_bytes",
    "scan_graph_message",
    "scan_meta_graph_bytes",
    "shape_list",
    "sniff",
    "sniff_text",
]
