"""A TF1 graph's serving interface told from its nodes (`graph_interface`), without TensorFlow.

Graphs are built as GraphDef NodeDefs with migrator's own protobuf schema, shaped as TF 1.x's
Python API wrote them (`<var>/read` Identity, `gradients/` scope, `save/` ops, `init` NoOp,
optimizer `Apply*` ops); the Saver checkpoints TF itself wrote are tested in
`test_convert_graph_io.py` and `../shared/realworld2`.
"""

from __future__ import annotations

import pytest

from migrator.convert.graph_interface import Ambiguous, collections_of, infer_interface
from migrator.formats import protos


def _node(name: str, op: str, *inputs: str):
    node = protos.message_class("NodeDef")()
    node.name, node.op = name, op
    node.input.extend(inputs)
    return node


def _variable(name: str) -> list:
    return [
        _node(name, "VariableV2"),
        _node(f"{name}/Assign", "Assign", name, f"{name}/initial_value"),
        _node(f"{name}/initial_value", "Const"),
        _node(f"{name}/read", "Identity", name),
    ]


def _model(*, dropout: bool = False) -> list:
    """x -> [dropout(keep_prob)] -> MatMul(W) + b -> Sigmoid 'pred', with a Saver and init."""
    nodes = [_node("x", "Placeholder"), *_variable("W"), *_variable("b")]
    first = "x"
    if dropout:
        nodes += [
            _node("keep_prob", "Placeholder"),
            _node("dropout/random_uniform", "RandomUniform", "dropout/Shape"),
            _node("dropout/Shape", "Shape", "x"),
            _node("dropout/add", "Add", "keep_prob", "dropout/random_uniform"),
            _node("dropout/Floor", "Floor", "dropout/add"),
            _node("dropout/div", "RealDiv", "x", "keep_prob"),
            _node("dropout/mul", "Mul", "dropout/div", "dropout/Floor"),
        ]
        first = "dropout/mul"
    nodes += [
        _node("MatMul", "MatMul", first, "W/read"),
        _node("add", "Add", "MatMul", "b/read"),
        _node("pred", "Sigmoid", "add"),
        _node("init", "NoOp", "^W/Assign", "^b/Assign"),
        _node("save/Const", "Const"),
        _node("save/SaveV2", "SaveV2", "save/Const", "W", "b"),
        _node("save/RestoreV2", "RestoreV2", "save/Const"),
        _node("save/Assign", "Assign", "W", "save/RestoreV2"),
    ]
    return nodes


def _training(loss_inputs: tuple[str, ...]) -> list:
    """A loss over `loss_inputs`, its gradients and a GradientDescent update (`minimize`)."""
    return [
        _node("sub", "Sub", *loss_inputs),
        _node("Square", "Square", "sub"),
        _node("Const", "Const"),
        _node("Mean", "Mean", "Square", "Const"),
        _node("gradients/Shape", "Shape", "Mean"),
        _node("gradients/Fill", "Fill", "gradients/Shape"),
        _node("gradients/Mean_grad/Tile", "Tile", "gradients/Fill", "Square"),
        _node("gradients/MatMul_grad/MatMul", "MatMul", "gradients/Mean_grad/Tile", "x"),
        _node(
            "GradientDescent/update_W/ApplyGradientDescent",
            "ApplyGradientDescent",
            "W",
            "GradientDescent/learning_rate",
            "gradients/MatMul_grad/MatMul",
        ),
        _node("GradientDescent/learning_rate", "Const"),
        _node("GradientDescent", "NoOp", "^GradientDescent/update_W/ApplyGradientDescent"),
    ]


def test_inference_graph_serves_its_unconsumed_node():
    found = infer_interface(_model())
    assert (found.inputs, found.outputs, found.how) == (("x:0",), ("pred:0",), "inference graph")


def test_training_graph_serves_what_the_loss_compares_with_the_labels():
    nodes = _model(dropout=True) + [_node("y", "Placeholder")] + _training(("pred", "y"))
    found = infer_interface(nodes, {"train_op": ["GradientDescent"]})
    assert found.outputs == ("pred:0",)
    assert found.inputs == ("keep_prob:0", "x:0")  # the dropout switch is fed too, not y
    assert "labels ['y']" in found.how


def test_training_graph_without_labels_is_ambiguous_and_says_why():
    nodes = _model() + [_node("target", "Const")] + _training(("pred", "target"))
    with pytest.raises(Ambiguous, match="no label placeholder") as caught:
        infer_interface(nodes, {"train_op": ["GradientDescent"]})
    assert "'x'" in str(caught.value) and "Mean" in str(caught.value)


def test_interface_collections_win_over_inference():
    nodes = _model() + [_node("y", "Placeholder")] + _training(("add", "y"))
    found = infer_interface(nodes, {"outputs": ["pred"], "train_op": ["GradientDescent"]})
    assert (found.inputs, found.outputs, found.how) == (("x:0",), ("pred:0",), "collections")


def test_graph_fed_by_an_input_pipeline_names_it():
    nodes = [
        _node("IteratorV2", "IteratorV2"),
        _node("IteratorGetNext", "IteratorGetNext", "IteratorV2"),
        *_variable("W"),
        _node("MatMul", "MatMul", "IteratorGetNext", "W/read"),
    ]
    with pytest.raises(Ambiguous, match=r"input pipeline \(IteratorGetNext\)"):
        infer_interface(nodes)


def test_collections_of_reads_node_lists_and_trainable_variable_names():
    meta = protos.message_class("MetaGraphDef")()
    meta.collection_def["train_op"].node_list.value.append("GradientDescent")
    meta.collection_def["variables"].bytes_list.value.append(b"\n\x01W")
    variable = protos.message_class("VariableDef")(variable_name="dense/kernel:0")
    meta.collection_def["trainable_variables"].bytes_list.value.append(variable.SerializeToString())
    assert collections_of(meta) == {
        "train_op": ["GradientDescent"],
        "trainable_variables": ["dense/kernel"],
    }


def test_convert_options_name_graph_tensors(tmp_path):
    import argparse

    from migrator.convert.command import add_parser, options_from_args

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(
        [
            "convert",
            str(tmp_path),
            "--input-tensors",
            "x:0, keep_prob:0,x:0",
            "--output-tensors",
            "pred:0",
        ]
    )
    options = options_from_args(args)
    assert options.input_tensors == ("x:0", "keep_prob:0")
    assert options.output_tensors == ("pred:0",)
    assert options_from_args(parser.parse_args(["convert", str(tmp_path)])).input_tensors == ()


def test_only_trainable_variables_make_a_placeholder_a_feature():
    """tflearn keeps a moving average of the loss in a (non-trainable) variable and nests its
    gradients under the optimizer's scope: the labels still count as labels."""
    nodes = _model() + [_node("y", "Placeholder"), *_variable("moving_avg")]
    nodes += [
        _node("sub", "Sub", "pred", "y"),
        _node("Mean", "Mean", "sub"),
        _node("moving_avg/AssignMovingAvg/sub", "Sub", "moving_avg/read", "Mean"),
        _node("SGD/gradients/Shape", "Shape", "Mean"),
        _node("SGD/gradients/Mean_grad/Tile", "Tile", "SGD/gradients/Shape", "sub"),
        _node(
            "SGD/update/ApplyGradientDescent",
            "ApplyGradientDescent",
            "W",
            "SGD/gradients/Mean_grad/Tile",
        ),
    ]
    collections = {
        "trainable_variables": ["W", "b"],
        "train_op": ["SGD/update/ApplyGradientDescent"],
    }
    found = infer_interface(nodes, collections)
    assert (found.inputs, found.outputs) == (("x:0",), ("pred:0",))
    with pytest.raises(Ambiguous):  # counting the moving average as a weight makes y a feature
        infer_interface(nodes, {"train_op": ["SGD/update/ApplyGradientDescent"]})


def _saver_checkpoint(folder, nodes: list) -> None:
    """A Saver V2 checkpoint (index + data, written byte by byte) with its `.meta` graph."""
    from tests.test_checkpoint import write_bundle

    write_bundle(folder, "model.ckpt", {"W": (1, (4, 2)), "b": (1, (2,))})
    meta = protos.message_class("MetaGraphDef")()
    meta.meta_info_def.tensorflow_version = "1.15.0"
    meta.graph_def.node.extend(nodes)
    meta.collection_def["train_op"].node_list.value.append("GradientDescent")
    (folder / "model.ckpt.meta").write_bytes(meta.SerializeToString())


def test_plan_says_which_saver_checkpoints_convert_and_names_the_options_for_the_rest(tmp_path):
    """The interface is decided from the bytes before any runtime starts."""
    from migrator.convert import Options
    from migrator.convert.plan import make_plan

    labelled = _model() + [_node("y", "Placeholder")] + _training(("pred", "y"))
    unlabelled = _model() + [_node("target", "Const")] + _training(("pred", "target"))
    _saver_checkpoint(tmp_path / "tree" / "labelled", labelled)
    _saver_checkpoint(tmp_path / "tree" / "unlabelled", unlabelled)
    plan = make_plan(tmp_path / "tree", tmp_path / "out", Options())
    by_path = {a.path: a for a in plan.artifacts}
    ready, refused = by_path["labelled/model.ckpt"], by_path["unlabelled/model.ckpt"]
    assert (ready.status, ready.kind) == ("convert", "tf1-checkpoint")
    assert ready.targets[0]["steps"] == ["saver-checkpoint-to-savedmodel"]
    assert refused.status == "no-path"
    assert "no label placeholder" in refused.reason and "--output-tensors" in refused.reason
    named = make_plan(tmp_path / "tree", tmp_path / "out", Options(output_tensors=("pred:0",)))
    assert {a.path: a.status for a in named.artifacts}["unlabelled/model.ckpt"] == "convert"
