"""Our own minimal protobuf schemas for the TensorFlow files we read, built at run time.

Why not TensorFlow's generated `*_pb2` modules: auditing must run without TensorFlow, and protoc
output is tied to the protobuf release that generated it (5.x gencode refuses a 4.25 runtime).
Building descriptors from a small table works on every protobuf from 4.21 to 7.x.

Field numbers and types are facts about the formats, checked against TensorFlow's `.proto` files
(`tensorflow/core/protobuf/{saved_model,meta_graph,saved_object_graph,fingerprint,
tensor_bundle,saver}.proto`, `tensorflow/core/framework/{graph,node_def,function,op_def,tensor,
variable,attr_value,tensor_shape,types,versions}.proto`, `tensorflow/python/keras/protobuf/
saved_metadata.proto`). We declare only the fields we read. Everything else stays as unknown
fields, i.e. unparsed bytes, which is what keeps reading fast: heavy fields we never inspect
(tensor contents, for instance) are never decoded into Python objects.

The descriptors live in a private pool under the package `migrator.tf`, so they never clash with
TensorFlow's own `tensorflow.*` messages when a converter imports TensorFlow in the same process.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

PACKAGE = "migrator.tf"

_F = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    "double": _F.TYPE_DOUBLE,
    "float": _F.TYPE_FLOAT,
    "int64": _F.TYPE_INT64,
    "sint64": _F.TYPE_SINT64,
    "uint64": _F.TYPE_UINT64,
    "int32": _F.TYPE_INT32,
    "uint32": _F.TYPE_UINT32,
    "fixed32": _F.TYPE_FIXED32,
    "fixed64": _F.TYPE_FIXED64,
    "bool": _F.TYPE_BOOL,
    "string": _F.TYPE_STRING,
    "bytes": _F.TYPE_BYTES,
}

# message name -> list of (field name, number, type, label); label is "" (singular),
# "repeated", "map" (type is then "key_type,value_type"), or "oneof:<name>" (a singular field
# in that oneof: a zero value set there is still written, as in TensorFlow). Nested names use dots.
SCHEMA: dict[str, list[tuple[str, int, str, str]]] = {
    # versions.proto
    "VersionDef": [
        ("producer", 1, "int32", ""),
        ("min_consumer", 2, "int32", ""),
        ("bad_consumers", 3, "int32", "repeated"),
    ],
    # tensor_shape.proto
    "TensorShapeProto": [
        ("dim", 2, "TensorShapeProto.Dim", "repeated"),
        ("unknown_rank", 3, "bool", ""),
    ],
    "TensorShapeProto.Dim": [("size", 1, "int64", ""), ("name", 2, "string", "")],
    # attr_value.proto (only what signatures and op scans need; tensors stay unparsed)
    "AttrValue": [
        ("list", 1, "AttrValue.ListValue", "oneof:value"),
        ("s", 2, "bytes", "oneof:value"),
        ("i", 3, "int64", "oneof:value"),
        ("f", 4, "float", "oneof:value"),
        ("b", 5, "bool", "oneof:value"),
        ("type", 6, "DataType", "oneof:value"),
        ("shape", 7, "TensorShapeProto", "oneof:value"),
        ("tensor", 8, "TensorProto", "oneof:value"),
        ("placeholder", 9, "string", "oneof:value"),
        ("func", 10, "NameAttrList", "oneof:value"),
    ],
    "AttrValue.ListValue": [
        ("s", 2, "bytes", "repeated"),
        ("i", 3, "int64", "repeated"),
        ("f", 4, "float", "repeated"),
        ("b", 5, "bool", "repeated"),
        ("type", 6, "DataType", "repeated"),
        ("shape", 7, "TensorShapeProto", "repeated"),
        ("func", 9, "NameAttrList", "repeated"),
    ],
    # tensor.proto (readers decode tensors only for small string constants; see graphdef.py)
    "TensorProto": [
        ("dtype", 1, "DataType", ""),
        ("tensor_shape", 2, "TensorShapeProto", ""),
        ("version_number", 3, "int32", ""),
        ("tensor_content", 4, "bytes", ""),
        ("float_val", 5, "float", "repeated"),
        ("double_val", 6, "double", "repeated"),
        ("int_val", 7, "int32", "repeated"),
        ("string_val", 8, "bytes", "repeated"),
        ("int64_val", 10, "int64", "repeated"),
        ("bool_val", 11, "bool", "repeated"),
    ],
    "NameAttrList": [("name", 1, "string", ""), ("attr", 2, "string,AttrValue", "map")],
    # node_def.proto
    "NodeDef": [
        ("name", 1, "string", ""),
        ("op", 2, "string", ""),
        ("input", 3, "string", "repeated"),
        ("device", 4, "string", ""),
        ("attr", 5, "string,AttrValue", "map"),
    ],
    # op_def.proto
    "OpDef": [
        ("name", 1, "string", ""),
        ("input_arg", 2, "OpDef.ArgDef", "repeated"),
        ("output_arg", 3, "OpDef.ArgDef", "repeated"),
    ],
    "OpDef.ArgDef": [("name", 1, "string", ""), ("type", 3, "DataType", "")],
    "OpList": [("op", 1, "OpDef", "repeated")],
    # function.proto
    "FunctionDef": [
        ("signature", 1, "OpDef", ""),
        ("node_def", 3, "NodeDef", "repeated"),
        ("ret", 4, "string,string", "map"),
    ],
    "FunctionDefLibrary": [("function", 1, "FunctionDef", "repeated")],
    # graph.proto
    "GraphDef": [
        ("node", 1, "NodeDef", "repeated"),
        ("library", 2, "FunctionDefLibrary", ""),
        ("version", 3, "int32", ""),
        ("versions", 4, "VersionDef", ""),
    ],
    # meta_graph.proto
    "MetaGraphDef": [
        ("meta_info_def", 1, "MetaGraphDef.MetaInfoDef", ""),
        ("graph_def", 2, "GraphDef", ""),
        ("saver_def", 3, "SaverDef", ""),
        ("collection_def", 4, "string,CollectionDef", "map"),
        ("signature_def", 5, "string,SignatureDef", "map"),
        ("asset_file_def", 6, "AssetFileDef", "repeated"),
        ("object_graph_def", 7, "SavedObjectGraph", ""),
    ],
    "MetaGraphDef.MetaInfoDef": [
        ("meta_graph_version", 1, "string", ""),
        ("stripped_op_list", 2, "OpList", ""),
        ("tags", 4, "string", "repeated"),
        ("tensorflow_version", 5, "string", ""),
        ("tensorflow_git_version", 6, "string", ""),
        ("stripped_default_attrs", 7, "bool", ""),
        ("function_aliases", 8, "string,string", "map"),
    ],
    "CollectionDef": [
        ("node_list", 1, "CollectionDef.NodeList", ""),
        ("bytes_list", 2, "CollectionDef.BytesList", ""),
        ("int64_list", 3, "CollectionDef.Int64List", ""),
        ("float_list", 4, "CollectionDef.FloatList", ""),
        ("any_list", 5, "CollectionDef.AnyList", ""),
    ],
    "CollectionDef.NodeList": [("value", 1, "string", "repeated")],
    "CollectionDef.BytesList": [("value", 1, "bytes", "repeated")],
    "CollectionDef.Int64List": [("value", 1, "int64", "repeated")],
    "CollectionDef.FloatList": [("value", 1, "float", "repeated")],
    "CollectionDef.AnyList": [("value", 1, "Any", "repeated")],
    "Any": [("type_url", 1, "string", ""), ("value", 2, "bytes", "")],
    "TensorInfo": [
        ("name", 1, "string", ""),
        ("dtype", 2, "DataType", ""),
        ("tensor_shape", 3, "TensorShapeProto", ""),
        ("coo_sparse", 4, "TensorInfo.CooSparse", ""),
        ("composite_tensor", 5, "TensorInfo.CompositeTensor", ""),
    ],
    "TensorInfo.CooSparse": [
        ("values_tensor_name", 1, "string", ""),
        ("indices_tensor_name", 2, "string", ""),
        ("dense_shape_tensor_name", 3, "string", ""),
    ],
    "TensorInfo.CompositeTensor": [("components", 2, "TensorInfo", "repeated")],
    "SignatureDef": [
        ("inputs", 1, "string,TensorInfo", "map"),
        ("outputs", 2, "string,TensorInfo", "map"),
        ("method_name", 3, "string", ""),
    ],
    "AssetFileDef": [("tensor_info", 1, "TensorInfo", ""), ("filename", 2, "string", "")],
    # variable.proto (TF1 `variables` collections hold serialized VariableDefs)
    "VariableDef": [
        ("variable_name", 1, "string", ""),
        ("initializer_name", 2, "string", ""),
        ("snapshot_name", 3, "string", ""),
        ("is_resource", 5, "bool", ""),
        ("initial_value_name", 6, "string", ""),
        ("trainable", 7, "bool", ""),
    ],
    # saver.proto
    "SaverDef": [
        ("filename_tensor_name", 1, "string", ""),
        ("save_tensor_name", 2, "string", ""),
        ("restore_op_name", 3, "string", ""),
        ("max_to_keep", 4, "int32", ""),
        ("sharded", 5, "bool", ""),
        ("keep_checkpoint_every_n_hours", 6, "float", ""),
        ("version", 7, "SaverDef.CheckpointFormatVersion", ""),
    ],
    # saved_model.proto
    "SavedModel": [
        ("saved_model_schema_version", 1, "int64", ""),
        ("meta_graphs", 2, "MetaGraphDef", "repeated"),
    ],
    # saved_object_graph.proto
    "SavedObjectGraph": [
        ("nodes", 1, "SavedObject", "repeated"),
        ("concrete_functions", 2, "string,SavedConcreteFunction", "map"),
    ],
    "SavedObject": [
        ("children", 1, "SavedObject.ObjectReference", "repeated"),
        ("user_object", 4, "SavedUserObject", ""),
        ("asset", 5, "SavedAsset", ""),
        ("function", 6, "SavedFunction", ""),
        ("variable", 7, "SavedVariable", ""),
        ("bare_concrete_function", 8, "SavedBareConcreteFunction", ""),
        ("constant", 9, "SavedConstant", ""),
        ("resource", 10, "SavedResource", ""),
        ("registered_name", 13, "string", ""),
    ],
    "SavedObject.ObjectReference": [("node_id", 1, "int32", ""), ("local_name", 2, "string", "")],
    "SavedUserObject": [
        ("identifier", 1, "string", ""),
        ("version", 2, "VersionDef", ""),
        ("metadata", 3, "string", ""),
    ],
    "SavedAsset": [("asset_file_def_index", 1, "int32", "")],
    "SavedFunction": [("concrete_functions", 1, "string", "repeated")],
    "SavedBareConcreteFunction": [
        ("concrete_function_name", 1, "string", ""),
        ("argument_keywords", 2, "string", "repeated"),
    ],
    "SavedConcreteFunction": [
        ("bound_inputs", 2, "int32", "repeated"),
        ("canonicalized_input_signature", 3, "StructuredValue", ""),
    ],
    # struct.proto (concrete function signatures, as `saved_model_cli show --all` prints them)
    "StructuredValue": [
        ("none_value", 1, "NoneValue", "oneof:kind"),
        ("float64_value", 11, "double", "oneof:kind"),
        ("int64_value", 12, "sint64", "oneof:kind"),
        ("string_value", 13, "string", "oneof:kind"),
        ("bool_value", 14, "bool", "oneof:kind"),
        ("tensor_shape_value", 31, "TensorShapeProto", "oneof:kind"),
        ("tensor_dtype_value", 32, "DataType", "oneof:kind"),
        ("tensor_spec_value", 33, "TensorSpecProto", "oneof:kind"),
        ("type_spec_value", 34, "TypeSpecProto", "oneof:kind"),
        ("bounded_tensor_spec_value", 35, "TensorSpecProto", "oneof:kind"),
        ("list_value", 51, "ListValue", "oneof:kind"),
        ("tuple_value", 52, "ListValue", "oneof:kind"),
        ("dict_value", 53, "DictValue", "oneof:kind"),
        ("named_tuple_value", 54, "NamedTupleValue", "oneof:kind"),
    ],
    "NoneValue": [],
    "ListValue": [("values", 1, "StructuredValue", "repeated")],  # also TupleValue's shape
    "DictValue": [("fields", 1, "string,StructuredValue", "map")],
    "PairValue": [("key", 1, "string", ""), ("value", 2, "StructuredValue", "")],
    "NamedTupleValue": [("name", 1, "string", ""), ("values", 2, "PairValue", "repeated")],
    # BoundedTensorSpecProto shares fields 1-3 (its minimum/maximum stay unparsed)
    "TensorSpecProto": [
        ("name", 1, "string", ""),
        ("shape", 2, "TensorShapeProto", ""),
        ("dtype", 3, "DataType", ""),
    ],
    "TypeSpecProto": [
        ("type_spec_class", 1, "int32", ""),
        ("type_state", 2, "StructuredValue", ""),
        ("type_spec_class_name", 3, "string", ""),
        ("num_flat_components", 4, "int32", ""),
    ],
    "SavedConstant": [("operation", 1, "string", "")],
    "SavedResource": [("device", 1, "string", "")],
    "SavedVariable": [
        ("dtype", 1, "DataType", ""),
        ("shape", 2, "TensorShapeProto", ""),
        ("trainable", 3, "bool", ""),
        ("name", 6, "string", ""),
        ("device", 7, "string", ""),
    ],
    # fingerprint.proto
    "FingerprintDef": [
        ("saved_model_checksum", 1, "uint64", ""),
        ("graph_def_program_hash", 2, "uint64", ""),
        ("signature_def_hash", 3, "uint64", ""),
        ("saved_object_graph_hash", 4, "uint64", ""),
        ("checkpoint_hash", 5, "uint64", ""),
        ("version", 6, "VersionDef", ""),
        ("uuid", 7, "string", ""),
    ],
    # keras saved_metadata.proto (keras_metadata.pb)
    "SavedMetadata": [("nodes", 1, "SavedMetadata.SavedObject", "repeated")],
    "SavedMetadata.SavedObject": [
        ("node_id", 2, "int32", ""),
        ("node_path", 3, "string", ""),
        ("identifier", 4, "string", ""),
        ("metadata", 5, "string", ""),
        ("version", 6, "VersionDef", ""),
    ],
    # tensor_bundle.proto (checkpoint .index values)
    "BundleHeaderProto": [
        ("num_shards", 1, "int32", ""),
        ("endianness", 2, "BundleHeaderProto.Endianness", ""),
        ("version", 3, "VersionDef", ""),
    ],
    "BundleEntryProto": [
        ("dtype", 1, "DataType", ""),
        ("shape", 2, "TensorShapeProto", ""),
        ("shard_id", 3, "int32", ""),
        ("offset", 4, "int64", ""),
        ("size", 5, "int64", ""),
        ("crc32c", 6, "fixed32", ""),
        ("slices", 7, "TensorSliceProto", "repeated"),
    ],
    # checkpoint_state.proto (the text `checkpoint` file)
    "CheckpointState": [
        ("model_checkpoint_path", 1, "string", ""),
        ("all_model_checkpoint_paths", 2, "string", "repeated"),
        ("all_model_checkpoint_timestamps", 3, "double", "repeated"),
        ("last_preserved_timestamp", 4, "double", ""),
    ],
    # tensor_slice.proto (partitioned variables in bundles and V1 checkpoints)
    "TensorSliceProto": [("extent", 1, "TensorSliceProto.Extent", "repeated")],
    "TensorSliceProto.Extent": [("start", 1, "int64", ""), ("length", 2, "int64", "")],
    # saved_tensor_slice.proto (V1 checkpoints: the table of contents under the empty key; the
    # per-slice `data` field 2 is left out so tensor bytes are never decoded)
    "SavedTensorSlices": [("meta", 1, "SavedTensorSliceMeta", "")],
    "SavedTensorSliceMeta": [
        ("tensor", 1, "SavedSliceMeta", "repeated"),
        ("versions", 2, "VersionDef", ""),
    ],
    "SavedSliceMeta": [
        ("name", 1, "string", ""),
        ("shape", 2, "TensorShapeProto", ""),
        ("type", 3, "DataType", ""),
        ("slice", 4, "TensorSliceProto", "repeated"),
    ],
    # trackable_object_graph.proto (the _CHECKPOINTABLE_OBJECT_GRAPH tensor of TF2 checkpoints)
    "TrackableObjectGraph": [("nodes", 1, "TrackableObjectGraph.TrackableObject", "repeated")],
    "TrackableObjectGraph.TrackableObject": [
        ("children", 1, "TrackableObjectGraph.TrackableObject.ObjectReference", "repeated"),
        ("attributes", 2, "TrackableObjectGraph.TrackableObject.SerializedTensor", "repeated"),
        (
            "slot_variables",
            3,
            "TrackableObjectGraph.TrackableObject.SlotVariableReference",
            "repeated",
        ),
        ("registered_saver", 4, "RegisteredSaver", ""),
    ],
    "TrackableObjectGraph.TrackableObject.ObjectReference": [
        ("node_id", 1, "int32", ""),
        ("local_name", 2, "string", ""),
    ],
    "TrackableObjectGraph.TrackableObject.SerializedTensor": [
        ("name", 1, "string", ""),
        ("full_name", 2, "string", ""),
        ("checkpoint_key", 3, "string", ""),
        ("optional_restore", 4, "bool", ""),
    ],
    "TrackableObjectGraph.TrackableObject.SlotVariableReference": [
        ("original_variable_node_id", 1, "int32", ""),
        ("slot_name", 2, "string", ""),
        ("slot_variable_node_id", 3, "int32", ""),
    ],
    "RegisteredSaver": [("name", 1, "string", ""), ("object_name", 2, "string", "")],
    # tensorflow/contrib/session_bundle/manifest.proto (package tensorflow.serving): the Any in
    # tensorflow_hub module_def.proto: `tfhub_module.pb` of a TF1 Hub module (the Format enum as
    # its int32 wire value: FORMAT_V3 = 3)
    "ModuleDef": [
        ("format", 1, "int32", ""),
        ("required_features", 2, "string", "repeated"),
    ],
    # a SessionBundle's `serving_signatures` collection
    "ServingSignatures": [
        ("default_signature", 1, "ServingSignature", ""),
        ("named_signatures", 2, "string,ServingSignature", "map"),
    ],
    "ServingSignature": [
        ("regression_signature", 1, "ServingRegressionSignature", ""),
        ("classification_signature", 2, "ServingClassificationSignature", ""),
        ("generic_signature", 3, "ServingGenericSignature", ""),
    ],
    "ServingTensorBinding": [("tensor_name", 1, "string", "")],
    "ServingRegressionSignature": [
        ("input", 1, "ServingTensorBinding", ""),
        ("output", 2, "ServingTensorBinding", ""),
    ],
    "ServingClassificationSignature": [
        ("input", 1, "ServingTensorBinding", ""),
        ("classes", 2, "ServingTensorBinding", ""),
        ("scores", 3, "ServingTensorBinding", ""),
    ],
    "ServingGenericSignature": [("map", 1, "string,ServingTensorBinding", "map")],
}

# enum name -> {value name: number}; text protos spell enum values by name.
ENUMS: dict[str, dict[str, int]] = {
    "SaverDef.CheckpointFormatVersion": {"LEGACY": 0, "V1": 1, "V2": 2},
    "BundleHeaderProto.Endianness": {"LITTLE": 0, "BIG": 1},
}

# types.proto DataType numbers -> the names TensorFlow prints (saved_model_cli uses DT_*).
DTYPES: dict[int, str] = {
    0: "DT_INVALID",
    1: "DT_FLOAT",
    2: "DT_DOUBLE",
    3: "DT_INT32",
    4: "DT_UINT8",
    5: "DT_INT16",
    6: "DT_INT8",
    7: "DT_STRING",
    8: "DT_COMPLEX64",
    9: "DT_INT64",
    10: "DT_BOOL",
    11: "DT_QINT8",
    12: "DT_QUINT8",
    13: "DT_QINT32",
    14: "DT_BFLOAT16",
    15: "DT_QINT16",
    16: "DT_QUINT16",
    17: "DT_UINT16",
    18: "DT_COMPLEX128",
    19: "DT_HALF",
    20: "DT_RESOURCE",
    21: "DT_VARIANT",
    22: "DT_UINT32",
    23: "DT_UINT64",
    24: "DT_FLOAT8_E5M2",
    25: "DT_FLOAT8_E4M3FN",
    26: "DT_FLOAT8_E4M3FNUZ",
    27: "DT_FLOAT8_E4M3B11FNUZ",
    28: "DT_FLOAT8_E5M2FNUZ",
    29: "DT_INT4",
    30: "DT_UINT4",
    31: "DT_INT2",
    32: "DT_UINT2",
    33: "DT_FLOAT4_E2M1FN",
}


ENUMS["DataType"] = {name: number for number, name in DTYPES.items()}
ENUMS["DataType"].update({name + "_REF": number + 100 for number, name in DTYPES.items() if number})


def dtype_name(number: int) -> str:
    """`DT_FLOAT` for 1; reference dtypes (number + 100) get a `_REF` suffix, as TF prints them."""
    if number > 100:
        return DTYPES.get(number - 100, f"DT_{number - 100}") + "_REF"
    return DTYPES.get(number, f"DT_{number}")


def enum_name(enum: str, number: int) -> str:
    """The name of `number` in enum `enum` ("V2" for SaverDef.CheckpointFormatVersion 2), or the
    number as text when this schema does not know it (a value a later TensorFlow added)."""
    for name, value in ENUMS[enum].items():
        if value == number:
            return name
    return str(number)


def _file_descriptor() -> descriptor_pb2.FileDescriptorProto:
    fdp = descriptor_pb2.FileDescriptorProto(
        name="migrator_tf_minimal.proto", package=PACKAGE, syntax="proto3"
    )
    protos: dict[str, descriptor_pb2.DescriptorProto] = {}
    for name in sorted(SCHEMA, key=lambda n: n.count(".")):
        parent, _, short = name.rpartition(".")
        container = protos[parent].nested_type if parent else fdp.message_type
        protos[name] = container.add(name=short)
    for name, values in ENUMS.items():
        parent, _, short = name.rpartition(".")
        enum = (protos[parent].enum_type if parent else fdp.enum_type).add(name=short)
        for value_name, number in sorted(values.items(), key=lambda kv: kv[1]):
            enum.value.add(name=value_name, number=number)
    for name, fields in SCHEMA.items():
        msg = protos[name]
        for field_name, number, ftype, label in fields:
            if label == "map":
                key_type, value_type = ftype.split(",")
                entry_name = "".join(p.capitalize() for p in field_name.split("_")) + "Entry"
                entry = msg.nested_type.add(name=entry_name)
                entry.options.map_entry = True
                _add_field(entry, "key", 1, key_type, "")
                _add_field(entry, "value", 2, value_type, "")
                f = msg.field.add(name=field_name, number=number, label=_F.LABEL_REPEATED)
                f.type = _F.TYPE_MESSAGE
                f.type_name = f".{PACKAGE}.{name}.{entry_name}"
            elif label.startswith("oneof:"):
                group = label.partition(":")[2]
                groups = [decl.name for decl in msg.oneof_decl]
                if group not in groups:
                    msg.oneof_decl.add(name=group)
                    groups.append(group)
                _add_field(msg, field_name, number, ftype, "")
                msg.field[-1].oneof_index = groups.index(group)
            else:
                _add_field(msg, field_name, number, ftype, label)
    return fdp


def _add_field(msg: Any, name: str, number: int, ftype: str, label: str) -> None:
    f = msg.field.add(name=name, number=number)
    f.label = _F.LABEL_REPEATED if label == "repeated" else _F.LABEL_OPTIONAL
    if ftype in _SCALARS:
        f.type = _SCALARS[ftype]
    elif ftype in ENUMS:
        f.type = _F.TYPE_ENUM
        f.type_name = f".{PACKAGE}.{ftype}"
    else:
        f.type = _F.TYPE_MESSAGE
        f.type_name = f".{PACKAGE}.{ftype}"


@cache
def _pool() -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    pool.Add(_file_descriptor())
    return pool


@cache
def message_class(name: str) -> type:
    """The message class for `name` (e.g. "SavedModel", "MetaGraphDef.MetaInfoDef")."""
    return message_factory.GetMessageClass(_pool().FindMessageTypeByName(f"{PACKAGE}.{name}"))


def parse(name: str, data: bytes) -> Any:
    """Parse binary `data` as message `name`; raises google.protobuf.message.DecodeError."""
    msg = message_class(name)()
    msg.ParseFromString(data)
    return msg


def parse_text(name: str, text: str) -> Any:
    """Parse text-format `text` as message `name`, skipping fields our schema leaves out."""
    from google.protobuf import text_format

    msg = message_class(name)()
    text_format.Parse(text, msg, allow_unknown_field=True, descriptor_pool=_pool())
    return msg
