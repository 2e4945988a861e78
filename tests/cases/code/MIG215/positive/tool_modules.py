"""TF's freezing tool imported as a module (a copy next to the script, or TF's own), and the
graph_util implementation module."""
import freeze_graph
from tensorflow.python.framework import graph_util_impl

freeze_graph.freeze_graph("g.pb", "", True, "ckpt", "out", "", "", "frozen.pb", True, "")  # expect: MIG215
graph_util_impl.convert_variables_to_constants(None, None, ["out"])  # expect: MIG215
